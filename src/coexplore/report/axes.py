"""Axis ranges that ignore far outliers, so one stray point does not squeeze every other one.

Tukey's far-out fence (quartile ± 3 × IQR) decides what is an outlier; values the reader must see
(the budget line, the baseline, the front) are always kept inside. The plot marks what it cut.
"""

from __future__ import annotations

from dataclasses import dataclass

FAR_OUT_IQR = 3.0
PAD = 0.06  # of the span, on each side


@dataclass
class AxisRange:
    low: float
    high: float
    below: list[float]  # values cut off under `low`
    above: list[float]  # values cut off over `high`

    @property
    def cuts(self) -> bool:
        return bool(self.below or self.above)


def _quantile(sorted_values: list[float], q: float) -> float:
    position = q * (len(sorted_values) - 1)
    lower = int(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower)


def robust_range(values: list[float], keep: tuple[float | None, ...] = (), *, floor: float | None = None) -> AxisRange | None:
    """A padded range over `values` without far outliers, always covering `keep`; None when nothing
    is cut (the plotting library's own range is then fine). `floor`: never go below it (e.g. 0)."""
    data = sorted(v for v in values if v is not None)
    if len(data) < 4:
        return None
    q1, q3 = _quantile(data, 0.25), _quantile(data, 0.75)
    spread = (q3 - q1) or (abs(q3) * 0.05) or 1.0
    fence_low, fence_high = q1 - FAR_OUT_IQR * spread, q3 + FAR_OUT_IQR * spread
    kept = [v for v in data if fence_low <= v <= fence_high] + [v for v in keep if v is not None]
    pad = (max(kept) - min(kept)) * PAD or abs(max(kept)) * PAD or 1.0
    low, high = min(kept) - pad, max(kept) + pad
    if floor is not None:
        low = max(low, floor)
    below = [v for v in data if v < low]
    above = [v for v in data if v > high]
    if not below and not above:
        return None
    return AxisRange(low, high, below, above)


# Text positions tried for a point label, in order of preference, with the label centre's offset in
# fractions of the axis spans (a short label like "#3" at the report's plot sizes).
_LABEL_SPOTS = [("top center", 0.0, 0.05), ("bottom center", 0.0, -0.05), ("middle right", 0.035, 0.0),
                ("middle left", -0.035, 0.0), ("top right", 0.03, 0.05), ("bottom left", -0.03, -0.05)]  # fmt: skip
_LABEL_HALF = (0.02, 0.025)  # half the width and height of a label box, same units
_MARKER_HALF = (0.008, 0.015)


def spread_labels(points: list[tuple[float, float]], x_span: tuple[float, float], y_span: tuple[float, float]) -> list[str]:
    """A plotly `textposition` per point so that no label covers another label or another point."""
    def norm(x: float, y: float) -> tuple[float, float]:
        return ((x - x_span[0]) / ((x_span[1] - x_span[0]) or 1.0), (y - y_span[0]) / ((y_span[1] - y_span[0]) or 1.0))

    marks = [norm(x, y) for x, y in points]
    placed: list[tuple[float, float]] = []
    positions = []
    for i, (px, py) in enumerate(marks):
        for spot, dx, dy in _LABEL_SPOTS:
            cx, cy = px + dx, py + dy
            hits_label = any(abs(cx - lx) < 2 * _LABEL_HALF[0] and abs(cy - ly) < 2 * _LABEL_HALF[1] for lx, ly in placed)
            hits_mark = any(j != i and abs(cx - mx) < _LABEL_HALF[0] + _MARKER_HALF[0]
                            and abs(cy - my) < _LABEL_HALF[1] + _MARKER_HALF[1] for j, (mx, my) in enumerate(marks))  # fmt: skip
            if not hits_label and not hits_mark:
                break
        else:
            spot, dx, dy = _LABEL_SPOTS[0]
        placed.append((px + dx, py + dy))
        positions.append(spot)
    return positions
