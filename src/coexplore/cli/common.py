"""What every command shares: the one-line error path, JSON output, rich console."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from coexplore.errors import CoexploreError

# Piped output (CI logs, `| less`) gets a wide fixed width instead of rich's 80 columns, so the
# per-op tables stay readable; a terminal keeps its own width.
_PIPED_WIDTH = 140
console = Console(width=None if sys.stdout.isatty() else _PIPED_WIDTH)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else _PIPED_WIDTH)

USAGE_ERROR_EXIT = 2
INTERRUPTED_EXIT = 130  # the shell's code for a process stopped by Ctrl-C (128 + SIGINT)

# The `--json` flag of the commands whose JSON is their table's data.
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def run_guarded(app: typer.Typer | Callable[..., Any], args: list[str] | None = None) -> int:
    """Run the typer app; every bad input becomes ONE line on stderr and exit code 2.

    A CoexploreError and a usage error (unknown flag, missing argument, a flag value of the wrong
    type) are printed by `print_error`; typer's own multi-line usage panel is not used, so a script
    reading stderr always gets one line naming the flag or field and the fix. `app` may also be
    the app's click command (`typer.main.get_command`), built once by callers that run many.
    """
    try:
        code = app(args=args, prog_name="coexplore", standalone_mode=False)
    except CoexploreError as exc:
        print_error(str(exc))
        return USAGE_ERROR_EXIT
    except typer.TyperException as exc:  # typer's (vendored click's) usage errors
        if type(exc).__name__ == "NoArgsIsHelpError":  # typer printed the help already
            return exc.exit_code
        print_error(usage_error_line(exc))
        return exc.exit_code
    except (KeyboardInterrupt, typer.Abort):
        code = INTERRUPTED_EXIT
    if code == INTERRUPTED_EXIT:  # typer turns Ctrl-C into this exit code
        err_console.print("[yellow]interrupted[/] — finished work is stored; re-run the same command to resume")
    return code if isinstance(code, int) else 0


def usage_error_line(exc: typer.TyperException) -> str:
    """A usage error as one line: typer's message (it names the flag) and where the help is."""
    ctx = getattr(exc, "ctx", None)
    fix = f" — see `{ctx.command_path} --help`" if ctx is not None else ""
    return exc.format_message().rstrip(".") + fix


def check_output_file(path: Path | None, flag: str) -> None:
    """A file the command will write: refused before any work when it cannot be written there."""
    if path is None:
        return
    if path.is_dir():
        raise CoexploreError(f"{path} is a folder", field=flag, fix="give a file name inside it")
    parent = next((p for p in path.parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise CoexploreError(f"{parent} is a file, not a folder", field=flag, fix="give a path in a folder")


def check_output_folder(path: Path, flag: str) -> None:
    """A folder the command will write into: refused before any work when a file stands in the way."""
    blocker = next((p for p in (path, *path.parents) if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise CoexploreError(f"{blocker} is a file, not a folder", field=flag, fix="give a folder path")


def print_error(message: str) -> None:
    """`error: <message>` on ONE stderr line: newlines folded, text never read as rich markup."""
    one_line = " ".join(message.split())
    err_console.print(f"[bold red]error:[/] {escape(one_line)}", highlight=False, soft_wrap=True)


def parse_key_values(pairs: list[str] | None, flag: str) -> dict[str, Any]:
    """`KEY=VALUE` flags as settings: values read as YAML scalars (3, 0.5, true), `-` in keys as `_`."""
    import yaml

    settings: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CoexploreError(f"expected KEY=VALUE, got {pair!r}", field=flag, fix=f"write e.g. {flag} lr=0.001")
        settings[key.strip().replace("-", "_")] = yaml.safe_load(value)
    return settings


def print_json(data: Any) -> None:
    """Machine-readable output for `--json`: plain JSON on stdout, nothing else."""
    sys.stdout.write(json.dumps(data, indent=1, default=_json_default) + "\n")


def _json_default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if hasattr(obj, "model_dump"):
        return obj.model_dump()
    raise TypeError(f"not JSON serialisable: {type(obj)}")
