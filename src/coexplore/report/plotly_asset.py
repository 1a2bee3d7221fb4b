"""plotly.min.js beside the report: the page loads it from its own folder (offline, no CDN), so the
4.8 MB library is one file instead of being inlined into every page."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

PLOTLY_FILE = "plotly.min.js"


def copy_plotly(out_dir: Path) -> Path:
    """Copy the installed plotly package's bundle into `out_dir` (skipped when an equal copy is there)."""
    source = files("plotly") / "package_data" / PLOTLY_FILE
    target = out_dir / PLOTLY_FILE
    data = source.read_bytes()
    if not target.is_file() or target.stat().st_size != len(data) or target.read_bytes() != data:
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    return target
