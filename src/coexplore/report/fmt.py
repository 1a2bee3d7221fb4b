"""Number formatting shared by the terminal tables, the HTML page and the Markdown table."""

from __future__ import annotations

MISSING = "–"


def ms(value: float | None) -> str:
    """Milliseconds: 3 significant decimals below 1 ms, 2 above."""
    if value is None:
        return MISSING
    return f"{value:,.3f}" if abs(value) < 1 else f"{value:,.2f}"


def pct(value: float | None, signed: bool = True) -> str:
    if value is None:
        return MISSING
    return f"{value:+.2f} %" if signed else f"{value:.2f} %"


def acc(value: float | None) -> str:
    if value is None:
        return MISSING
    return f"{value:.2f}"


def points(value: float | None) -> str:
    """Accuracy differences, in percentage points."""
    if value is None:
        return MISSING
    return f"{value:+.2f}"


def num(value: float | int | None, digits: int = 2) -> str:
    if value is None:
        return MISSING
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 1000:
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"


def seconds(value: float | None) -> str:
    """Training time: s below a minute, then min, then h."""
    if value is None:
        return MISSING
    if value < 60:
        return f"{value:.1f} s"
    if value < 3600:
        return f"{value / 60:.1f} min"
    return f"{value / 3600:.2f} h"
