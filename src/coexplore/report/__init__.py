"""coexplore.report: tables, plots and the HTML report of a search run (opens offline, plotly.min.js beside it).

Reads `RUN/results.json` through `coexplore.results` only (never the search, never torch).
`write_report`/`build_report` load plotly and matplotlib on first use, so `check_consistency`
stays light.
"""

from __future__ import annotations

from typing import Any

from coexplore.report.consistency import check_consistency

__all__ = ["Report", "build_report", "check_consistency", "write_report"]
_HTML_NAMES = ("Report", "build_report", "write_report")


def __getattr__(name: str) -> Any:
    if name in _HTML_NAMES:
        from coexplore.report import html

        return getattr(html, name)
    raise AttributeError(f"module 'coexplore.report' has no attribute {name!r}")
