"""Reading the settings files users write: one reader for YAML, TOML and JSON mappings.

Configs, device files, search spaces and spec files all go through `read_mapping`, so every
malformed file gives the same kind of message: the file, the line when the parser knows it, and
the fix (DESIGN.md, "Conventions"). Importable from every layer: it needs only pyyaml.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

from coexplore.errors import CoexploreError

# The configs and spaces shipped inside the package (package data), found by name: `--config demo`
# is SHIPPED_CONFIGS / "search-demo.yaml", `space show cpu` is SHIPPED_CONFIGS / "space-cpu.yaml".
SHIPPED_CONFIGS = Path(__file__).resolve().parent / "configs"

# Suffix → format name; the suffix alone decides the parser.
MAPPING_FORMATS = {".yaml": "YAML", ".yml": "YAML", ".toml": "TOML", ".json": "JSON"}

# tomllib (Python < 3.14) puts the position only in its message: "... (at line 3, column 7)".
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def read_mapping(path: str | Path, *, what: str, fix: str | None = None) -> dict[str, Any]:
    """The mapping stored in a .yaml/.yml, .toml or .json file; an empty file is `{}`.

    `what` names where the path came from (a CLI flag or a setting, e.g. "--config" or "device");
    `fix` says what the file should hold. Every problem is one CoexploreError.
    """
    path = Path(path)
    fmt = MAPPING_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise CoexploreError(
            f"cannot tell the format of {path} from its suffix {path.suffix!r}", field=what,
            fix=f"name it with one of: {', '.join(MAPPING_FORMATS)}",
        )
    if not path.exists():
        raise CoexploreError(f"file not found: {path}", field=what, fix=fix)
    if not path.is_file():
        raise CoexploreError(f"{path} is not a file", field=what, fix=fix)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.reason if isinstance(exc, UnicodeDecodeError) else (exc.strerror or str(exc))
        raise CoexploreError(f"cannot read ({reason})", field=str(path), fix=f"give a {fmt} text file") from None
    data = _parse(text, fmt, path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CoexploreError(
            f"must hold a mapping of settings, not a {type(data).__name__}", field=str(path), fix=fix,
        )
    return data


def shipped_configs(kind: str) -> dict[str, Path]:
    """The shipped configs of one kind ("search" or "space"), by short name: {"demo": .../search-demo.yaml}."""
    prefix = f"{kind}-"
    return {p.stem[len(prefix):]: p for p in sorted(SHIPPED_CONFIGS.glob(f"{prefix}*.yaml"))}


def find_config(value: str | Path, kind: str) -> Path:
    """A config given as a path (used as it is when the file exists) or by the name of a shipped
    one: "demo", "search-demo" or "search-demo.yaml" for kind "search". An unknown bare name is
    one CoexploreError listing the shipped names; a missing path is left to `read_mapping`."""
    path = Path(value)
    if path.exists() or len(path.parts) != 1:
        return path
    shipped = shipped_configs(kind)
    name = path.name.removesuffix(path.suffix) if path.suffix in MAPPING_FORMATS else path.name
    found = shipped.get(name.removeprefix(f"{kind}-"))
    if found is not None:
        return found
    if path.suffix in MAPPING_FORMATS:
        return path  # a file name of the user's: `read_mapping` says it is missing
    raise CoexploreError(
        f"no {kind} config named {name!r}", field=kind,
        fix=f"give a file, or one of the shipped names: {', '.join(shipped) or '(none)'}",
    )


def _parse(text: str, fmt: str, path: Path) -> Any:
    """Parse `text`; a syntax error becomes a CoexploreError with the line and column."""
    import yaml  # pyyaml is imported only where a file is read

    try:
        if fmt == "TOML":
            return tomllib.loads(text)
        if fmt == "JSON":
            return json.loads(text)
        return yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, yaml.YAMLError) as exc:
        problem, line, column = _syntax_problem(exc)
        where = f" at line {line}, column {column}" if line else ""
        raise CoexploreError(
            f"cannot parse the {fmt}{where}: {problem}", field=str(path), fix=f"fix the {fmt} syntax",
        ) from None


def _syntax_problem(exc: Exception) -> tuple[str, int | None, int | None]:
    """(what is wrong, 1-based line, 1-based column) from any of the three parsers' errors."""
    if isinstance(exc, json.JSONDecodeError):
        return exc.msg, exc.lineno, exc.colno
    mark = getattr(exc, "problem_mark", None)  # yaml.MarkedYAMLError
    if mark is not None:
        return str(getattr(exc, "problem", None) or exc), mark.line + 1, mark.column + 1
    message = str(exc)
    found = _TOML_POSITION.search(message)
    if found:
        return message[: found.start()], int(found[1]), int(found[2])
    return message, None, None
