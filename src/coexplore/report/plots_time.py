"""Where the chosen design's time goes, as plotly figures: by hourglass branch and on a roofline."""

from __future__ import annotations

import math
from html import escape

import plotly.graph_objects as go

from coexplore.report import fmt
from coexplore.report.branches import time_by_branch_over_stacks
from coexplore.report.plots import COMPUTE_COLOR, MEMORY_COLOR, TOTAL_COLOR, style
from coexplore.report.roofline import Roofline

BOARD_ROOF_COLOR = "#8c959f"
_ROOF_SAMPLES = 64


def branch_figure(branch_rows: list[dict], label: str) -> go.Figure:
    """Compute and memory-not-hidden time per branch (summed over the stacks), top to bottom in
    network order: stem, level 1 skip / down / up, ..., head, merge."""
    rows = list(reversed(time_by_branch_over_stacks(branch_rows)))  # horizontal bars are drawn bottom-up
    names = [r["branch"] for r in rows]
    hover = [f"{r['ops']} ops in {r['stacks']} stack(s), {r['memory_bound_ops']} memory-bound<br>"
             f"compute {fmt.ms(r['compute_ms'])} ms · memory {fmt.ms(r['memory_ms'])} ms<br>"
             f"total {fmt.ms(r['total_ms'])} ms ({r['share_of_total_pct']:.1f} %)" for r in rows]  # fmt: skip
    fig = go.Figure()
    fig.add_trace(go.Bar(y=names, x=[r["total_ms"] - r["exposed_memory_ms"] for r in rows], orientation="h",
                         name="compute", marker_color=COMPUTE_COLOR, hovertext=hover, hoverinfo="text"))  # fmt: skip
    fig.add_trace(go.Bar(y=names, x=[r["exposed_memory_ms"] for r in rows], orientation="h", name="memory not hidden",
                         marker_color=MEMORY_COLOR, hovertext=hover, hoverinfo="text",
                         text=[f"{r['share_of_total_pct']:.0f} %" for r in rows], textposition="outside",
                         cliponaxis=False, textfont=dict(size=11, color=TOTAL_COLOR)))  # fmt: skip
    fig.update_layout(barmode="stack", title=dict(text=escape(label), font=dict(size=13), x=0.01, y=0.995,
                                                  yref="container", yanchor="top"))  # fmt: skip
    # headroom right of the longest bar for its share label
    fig.update_xaxes(title_text="ms (summed over the stacks)", range=[0, max((r["total_ms"] for r in rows), default=1.0) * 1.18])
    fig.update_yaxes(automargin=True)
    figure = style(fig, 150 + 26 * max(len(rows), 1), top_px=70)
    figure.update_layout(legend=dict(y=0.93))
    return figure


def roofline_figure(roof: Roofline) -> go.Figure:
    """Log-log roofline: the board's and the design's compute roofs, the DRAM slope, one dot per layer."""
    intensities = [p.intensity for p in roof.points]
    low = 10 ** math.floor(math.log10(min(intensities + [roof.ridge_intensity]) / 2))
    high = 10 ** math.ceil(math.log10(max(intensities + [roof.ridge_intensity]) * 2))
    xs = [low * (high / low) ** (i / (_ROOF_SAMPLES - 1)) for i in range(_ROOF_SAMPLES)]
    fig = go.Figure()
    for peak, name, color, dash in [
        (roof.board_peak_gops, f"board roof: every DSP ({roof.board_peak_gops:,.0f} GOP/s)", BOARD_ROOF_COLOR, "dash"),
        (roof.design_peak_gops, f"design roof: Tm×Tn array ({roof.design_peak_gops:,.0f} GOP/s)", TOTAL_COLOR, "solid"),
    ]:  # fmt: skip
        fig.add_trace(go.Scatter(x=xs, y=[min(peak, roof.bandwidth_gbps * x) for x in xs], mode="lines", name=name,
                                 line=dict(color=color, dash=dash, width=2), hoverinfo="skip"))  # fmt: skip
    for memory_bound, name, color in [(False, "compute-bound layer", COMPUTE_COLOR), (True, "memory-bound layer", MEMORY_COLOR)]:
        points = [p for p in roof.points if p.memory_bound == memory_bound]
        if not points:
            continue
        fig.add_trace(go.Scatter(
            x=[p.intensity for p in points], y=[p.gops for p in points], mode="markers", name=name,
            marker=dict(color=color, size=[6 + 18 * math.sqrt(p.total_ms / max(q.total_ms for q in roof.points))
                                           for p in points], line=dict(width=0.5, color="white"), opacity=0.85),
            hovertext=[f"<b>{escape(p.name)}</b><br>{escape(p.shape)}<br>{p.intensity:.1f} op/B · {p.gops:,.1f} GOP/s"
                       f"<br>{fmt.ms(p.total_ms)} ms" for p in points], hoverinfo="text",
        ))  # fmt: skip
    fig.add_annotation(x=math.log10(roof.ridge_intensity), y=math.log10(roof.design_peak_gops), text="ridge",
                       showarrow=True, arrowhead=0, ax=0, ay=-22, font=dict(size=11))  # fmt: skip
    # dtick=1: labels at the powers of ten only (plotly's 2…9 minor labels collide)
    fig.update_xaxes(type="log", dtick=1, title_text="operational intensity (operations per DRAM byte)",
                     range=[math.log10(low), math.log10(high)])  # fmt: skip
    fig.update_yaxes(type="log", dtick=1, title_text="attained GOP/s (2 × MACs / layer time)")
    figure = style(fig, 480, top_px=80)
    figure.update_layout(title=dict(text=f"{escape(roof.label)} · DRAM slope {roof.bandwidth_gbps:.1f} GB/s",
                                    font=dict(size=13), x=0.01, y=0.995, yref="container", yanchor="top"),
                         legend=dict(y=0.93))  # fmt: skip
    return figure
