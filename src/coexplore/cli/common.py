"""What every command shares: the one-line error path, JSON output, rich console."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console

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


def run_guarded(app: typer.Typer) -> int:
    """Run the typer app; a CoexploreError becomes one red line on stderr and exit code 2.

    Usage errors (unknown flag, missing argument) are reported by typer itself, also with exit 2.
    """
    try:
        app()
    except CoexploreError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return USAGE_ERROR_EXIT
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/] — finished work is stored; re-run the same command to resume")
        return INTERRUPTED_EXIT
    return 0


def parse_key_values(pairs: list[str] | None, flag: str) -> dict[str, Any]:
    """`KEY=VALUE` flags as settings: values read as YAML scalars (3, 0.5, true), `-` in keys as `_`."""
    import yaml

    settings: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CoexploreError(f"expected KEY=VALUE, got {pair!r}", field=flag)
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
