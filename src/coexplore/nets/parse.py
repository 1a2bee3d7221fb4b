"""`parse_spec`: any way a user names a hourglass (preset, compact string, spec file) → HourglassSpec."""

from __future__ import annotations

from pathlib import Path

from coexplore.errors import CoexploreError
from coexplore.nets.presets import PRESETS
from coexplore.nets.spec import (
    SPEC_FILE_SUFFIXES,
    SPEC_STRING_HELP,
    HourglassSpec,
    load_spec_file,
    looks_like_spec_string,
    parse_spec_string,
)


def parse_spec(text: str | Path | HourglassSpec) -> HourglassSpec:
    """A preset name (`newell8`), a compact string (`hg-s2-o4-f128-...`) or a YAML/JSON spec file."""
    if isinstance(text, HourglassSpec):
        return text
    if isinstance(text, Path) or str(text).lower().endswith(SPEC_FILE_SUFFIXES):
        return load_spec_file(text)
    name = str(text).strip()
    if name.lower() in PRESETS:
        return PRESETS[name.lower()]
    if looks_like_spec_string(name):
        return parse_spec_string(name)
    raise CoexploreError(
        f"{name!r} is not a hourglass preset, spec string or spec file", field="spec",
        fix=f"presets: {', '.join(PRESETS)}; or a spec string {SPEC_STRING_HELP}; or a .yaml/.json spec file",
    )
