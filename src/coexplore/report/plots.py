"""Interactive plotly figures of a search run (embedded in report.html).

Each function takes the loaded `RunResults` and returns a `go.Figure`; nothing here writes files.
"""

from __future__ import annotations

from html import escape

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from coexplore.report import fmt
from coexplore.report.axes import AxisRange, robust_range, spread_labels
from coexplore.report.progress import progress
from coexplore.report.tables import (
    best_design,
    is_memory_bound,
    memory_bound_summary,
    ordered_strategies,
    time_by_kind,
    time_split,
    topk_rows,
)
from coexplore.results import RunResults, TrialRecord

STRATEGY_COLORS = {"coexplore": "#1f6feb", "sequential": "#e8710a", "random": "#8b949e", "hardware-only": "#8250df"}
_EXTRA_COLORS = ["#2da44e", "#bf3989", "#0a7ea4", "#9a6700"]
COMPUTE_COLOR = "#2f6db5"
HIDDEN_COMPUTE_COLOR = "#a9c6ea"  # compute of a memory-bound op: hidden under its memory traffic
MEMORY_COLOR = "#f08c2e"
TOTAL_COLOR = "#3d444d"
BUDGET_COLOR = "#cf222e"
BASELINE_COLOR = "#111111"
_FONT = dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=13, color="#1f2328")
_REJECT_SYMBOLS = {"rejected_hw": "x-thin-open", "failed": "triangle-down-open", "pruned": "diamond-open"}


def strategy_color(name: str, names: list[str]) -> str:
    if name in STRATEGY_COLORS:
        return STRATEGY_COLORS[name]
    others = [n for n in names if n not in STRATEGY_COLORS]
    return _EXTRA_COLORS[others.index(name) % len(_EXTRA_COLORS)] if name in others else _EXTRA_COLORS[0]


def style(fig: go.Figure, height: int, top_px: int = 50) -> go.Figure:
    """Shared look; the legend sits in the top margin (`top_px`), above any subplot titles."""
    fig.update_layout(
        template="plotly_white", height=height, font=_FONT, margin=dict(l=70, r=30, t=top_px, b=60),
        legend=dict(orientation="h", yanchor="top", y=0.995, yref="container", xanchor="left", x=0.005,
                    xref="container",
                    traceorder="normal"),
        hoverlabel=dict(font_size=12), bargap=0.15,
    )  # fmt: skip
    return fig


def _hover(trial: TrialRecord, metric: str) -> str:
    lines = [
        f"<b>{escape(trial.strategy)} #{trial.number}</b> ({trial.status})", f"spec {escape(trial.spec)}",
        f"design {escape(trial.design_str or '–')}", f"{escape(metric)} {fmt.acc(trial.accuracy)}",
        f"compute {fmt.ms(trial.compute_ms)} ms · memory {fmt.ms(trial.memory_ms)} ms",
        f"total {fmt.ms(trial.total_ms)} ms · DSP {fmt.num(trial.dsp)} · BRAM18 {fmt.num(trial.bram18)}",
    ]  # fmt: skip
    if trial.reason:
        lines.append(f"reason: {escape(trial.reason)}")
    return "<br>".join(lines)


# --- accuracy vs latency -----------------------------------------------------------------------


def pareto_figure(results: RunResults) -> go.Figure:
    """All trials of all strategies, their Pareto fronts as steps, the budget and the baseline.

    Trials without an accuracy (hardware-rejected before training, failed, pruned) sit in a strip
    under the plot at their latency: they show what the hardware-first check saved.
    """
    names = ordered_strategies(results)
    has_strip = has_unscored_trials(results)
    if has_strip:
        fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.84, 0.16], vertical_spacing=0.03)
    else:  # nothing went untrained: one panel, so the x axis keeps its labels
        fig = make_subplots(rows=1, cols=1)
    for name in names:
        color = strategy_color(name, names)
        trials = results.strategies[name].trials
        scored = [t for t in trials if t.accuracy is not None and t.total_ms is not None]
        for feasible in (True, False):
            group = [t for t in scored if t.feasible == feasible]
            if not group:
                continue
            fig.add_trace(go.Scatter(
                x=[t.total_ms for t in group], y=[t.accuracy for t in group], mode="markers",
                name=f"{name}" if feasible else f"{name} (infeasible)", legendgroup=name,
                showlegend=feasible or not any(t.feasible for t in scored),
                marker=dict(color=color, size=9, symbol="circle" if feasible else "circle-open",
                            line=dict(width=1.5 if not feasible else 0.5, color=color if not feasible else "white"),
                            opacity=0.9 if feasible else 0.6),
                hovertext=[_hover(t, results.metric) for t in group], hoverinfo="text",
            ), row=1, col=1)  # fmt: skip
        front = _front_records(results, name)
        if front:
            fig.add_trace(go.Scatter(
                x=[t.total_ms for t in front], y=[t.accuracy for t in front], mode="lines",
                line=dict(color=color, width=2.5, shape="hv"), name=f"{name} front", legendgroup=name,
                showlegend=False, hoverinfo="skip",
            ), row=1, col=1)  # fmt: skip
        unscored = [t for t in trials if t.accuracy is None and t.total_ms is not None]
        if unscored:
            fig.add_trace(go.Scatter(
                x=[t.total_ms for t in unscored], y=[name] * len(unscored), mode="markers", legendgroup=name,
                showlegend=False, name=f"{name} not trained",
                marker=dict(color=color, size=10, symbol=[_REJECT_SYMBOLS.get(t.status, "circle-open") for t in unscored],
                            line=dict(width=2, color=color)),
                hovertext=[_hover(t, results.metric) for t in unscored], hoverinfo="text",
            ), row=2, col=1)  # fmt: skip
    fig.add_trace(go.Scatter(  # legend key only: hollow markers are infeasible trials
        x=[None], y=[None], mode="markers", name="infeasible (hollow)",
        marker=dict(symbol="circle-open", size=9, color="#6e7781", line=dict(width=1.5)),
    ), row=1, col=1)  # fmt: skip
    x_range, y_range = pareto_ranges(results)
    _mark_topk(fig, results, x_range, y_range)
    _mark_baseline(fig, results)
    _add_limits(fig, results, rows="all" if has_strip else 1)
    _mark_cut_points(fig, results, x_range, y_range)
    fig.update_xaxes(title_text="total latency on the board (ms)", row=2 if has_strip else 1, col=1)
    fig.update_yaxes(title_text=f"accuracy ({results.metric}, %)", row=1, col=1)
    if has_strip:
        fig.update_yaxes(title_text="no accuracy", title_font_size=11, row=2, col=1, categoryorder="array",
                         categoryarray=list(reversed(names)))  # fmt: skip
    return style(fig, 620 if has_strip else 540)


def has_unscored_trials(results: RunResults) -> bool:
    """Trials with a latency but no accuracy (hardware-rejected, failed, pruned)?"""
    return any(t.accuracy is None and t.total_ms is not None for s in results.strategies.values() for t in s.trials)


def _front_records(results: RunResults, strategy: str) -> list[TrialRecord]:
    found = [results.trial(strategy, n) for n in results.strategies[strategy].pareto]
    return sorted(
        (t for t in found if t is not None and t.accuracy is not None and t.total_ms is not None),
        key=lambda t: t.total_ms,
    )


def pareto_ranges(results: RunResults) -> tuple[AxisRange | None, AxisRange | None]:
    """Latency and accuracy ranges without far outliers; the budget, floor, baseline and top-k stay in."""
    trials = [t for s in results.strategies.values() for t in s.trials]
    base, top = results.baseline, results.topk.rows
    x_range = robust_range([t.total_ms for t in trials if t.total_ms is not None],
                           (results.latency_budget_ms, base.total_ms, *(r.total_ms for r in top)), floor=0.0)  # fmt: skip
    y_range = robust_range([t.accuracy for t in trials if t.accuracy is not None],
                           (results.accuracy_floor, base.accuracy, *(r.accuracy for r in top)))  # fmt: skip
    return x_range, y_range


def _span(values: list[float], axis: AxisRange | None) -> tuple[float, float]:
    if axis is not None:
        return axis.low, axis.high
    return (min(values), max(values)) if values else (0.0, 1.0)


def _mark_cut_points(fig: go.Figure, results: RunResults, x_range: AxisRange | None, y_range: AxisRange | None) -> None:
    """Clip the axes to `x_range`/`y_range`; each trial beyond them becomes an arrow at the edge."""
    if x_range is None and y_range is None:
        return
    scored = [t for s in results.strategies.values() for t in s.trials if t.accuracy is not None and t.total_ms is not None]
    x_span = _span([t.total_ms for t in scored], x_range)  # type: ignore[misc]
    y_span = _span([t.accuracy for t in scored], y_range)  # type: ignore[misc]
    cut = [t for t in scored if edge_arrow(t, x_span, y_span)]
    if x_range is not None:
        fig.update_xaxes(range=[x_range.low, x_range.high])
    if y_range is not None:
        fig.update_yaxes(range=[y_range.low, y_range.high], row=1, col=1)
    if cut:
        inset_x, inset_y = 0.012 * (x_span[1] - x_span[0]), 0.02 * (y_span[1] - y_span[0])
        fig.add_trace(go.Scatter(
            x=[min(max(t.total_ms, x_span[0] + inset_x), x_span[1] - inset_x) for t in cut],  # type: ignore[type-var]
            y=[min(max(t.accuracy, y_span[0] + inset_y), y_span[1] - inset_y) for t in cut],  # type: ignore[type-var]
            mode="markers", name=f"off the axes ({len(cut)}, arrow at the edge)",
            marker=dict(size=13, color="#6e7781", symbol=[edge_arrow(t, x_span, y_span) for t in cut]),
            hovertext=[_hover(t, results.metric) for t in cut], hoverinfo="text",
        ), row=1, col=1)  # fmt: skip
    notes = []
    if x_range is not None and x_range.above:
        notes.append(f"{len(x_range.above)} beyond {fmt.ms(x_range.high)} ms (up to {fmt.ms(max(x_range.above))} ms) ▶")
    if y_range is not None and y_range.below:
        notes.append(f"{len(y_range.below)} below {fmt.acc(y_range.low)} (down to {fmt.acc(min(y_range.below))}) ▼")
    if notes:
        # under the plot, right of the centred axis title: inside the plot it would cover points or labels
        fig.add_annotation(x=1, y=0, xref="paper", yref="paper", xanchor="right", yanchor="top", yshift=-36,
                           text="off the axes: " + "; ".join(notes), showarrow=False, font=dict(size=11, color="#59636e"),
                           bgcolor="rgba(255,255,255,0.85)")  # fmt: skip


def edge_arrow(trial: TrialRecord, x_span: tuple[float, float], y_span: tuple[float, float]) -> str:
    """The plotly symbol pointing where an off-axis trial lies; "" for a trial inside the axes."""
    if trial.total_ms > x_span[1]:  # type: ignore[operator]
        return "triangle-right"
    if trial.total_ms < x_span[0]:  # type: ignore[operator]
        return "triangle-left"
    if trial.accuracy < y_span[0]:  # type: ignore[operator]
        return "triangle-down"
    return "triangle-up" if trial.accuracy > y_span[1] else ""  # type: ignore[operator]


def _mark_topk(fig: go.Figure, results: RunResults, x_range: AxisRange | None, y_range: AxisRange | None) -> None:
    rows = results.topk.rows
    if not rows:
        return
    scored = [t for s in results.strategies.values() for t in s.trials if t.accuracy is not None and t.total_ms is not None]
    x_span = _span([t.total_ms for t in scored], x_range)  # type: ignore[misc]
    y_span = _span([t.accuracy for t in scored], y_range)  # type: ignore[misc]
    positions = spread_labels([(r.total_ms, r.accuracy) for r in rows], x_span, y_span)
    fig.add_trace(go.Scatter(
        x=[r.total_ms for r in rows], y=[r.accuracy for r in rows], mode="markers+text",
        text=[f"#{i}" for i in range(1, len(rows) + 1)], textposition=positions, textfont=dict(size=11),
        marker=dict(size=17, symbol="circle-open", color="#1f2328", line=dict(width=1.5)),
        name=f"top-{len(rows)} ({results.topk.strategy})", hoverinfo="skip",
    ), row=1, col=1)  # fmt: skip


def _mark_baseline(fig: go.Figure, results: RunResults) -> None:
    base = results.baseline
    if base.accuracy is None or base.total_ms is None:
        return
    fig.add_trace(go.Scatter(
        x=[base.total_ms], y=[base.accuracy], mode="markers+text", text=["baseline"], textposition="middle right",
        marker=dict(size=18, symbol="star", color=BASELINE_COLOR, line=dict(width=1, color="white")),
        name="baseline", hovertext=[_hover(base, results.metric)], hoverinfo="text",
    ), row=1, col=1)  # fmt: skip


def _add_limits(fig: go.Figure, results: RunResults, rows: str | int) -> None:
    if results.latency_budget_ms is not None:
        fig.add_vline(x=results.latency_budget_ms, line=dict(color=BUDGET_COLOR, dash="dash", width=1.5), row=rows, col=1)
        # left of the line: the budget often sits at the right edge of the clipped axis
        fig.add_annotation(x=results.latency_budget_ms, y=1, yref="paper", text=f"budget {fmt.ms(results.latency_budget_ms)} ms",
                           showarrow=False, xanchor="right", yanchor="top", xshift=-4, font=dict(color=BUDGET_COLOR),
                           bgcolor="rgba(255,255,255,0.8)")  # fmt: skip
    if results.accuracy_floor is not None:
        fig.add_hline(y=results.accuracy_floor, line=dict(color="#6e7781", dash="dot", width=1), row=1, col=1,
                      annotation_text=f"accuracy floor {fmt.acc(results.accuracy_floor)}", annotation_position="bottom right")  # fmt: skip


# --- where the time goes -----------------------------------------------------------------------


def _op_bars(fig: go.Figure, record: TrialRecord, row: int, show_legend: bool) -> None:
    ops = record.per_op or []
    x = [f"{i}" for i in range(len(ops))]
    split = [time_split(op.compute_ms, op.total_ms) for op in ops]
    memory_bound = [is_memory_bound(op.bottleneck, op.compute_ms, op.memory_ms) for op in ops]
    hover = [
        f"<b>{escape(op.name)}</b> ({escape(op.kind)})<br>{escape(op.shape)}<br>compute {fmt.ms(op.compute_ms)} ms"
        f"<br>memory {fmt.ms(op.memory_ms)} ms<br>total {fmt.ms(op.total_ms)} ms<br>bound by {escape(op.bottleneck or '–')}"
        for op in ops
    ]  # fmt: skip
    layers = [
        ("compute (compute-bound layer)", COMPUTE_COLOR, [c if not mb else 0.0 for (c, _), mb in zip(split, memory_bound)]),
        ("compute hidden under memory (memory-bound layer)", HIDDEN_COMPUTE_COLOR,
         [c if mb else 0.0 for (c, _), mb in zip(split, memory_bound)]),
        ("memory time not hidden by compute", MEMORY_COLOR, [m for _, m in split]),
    ]  # fmt: skip
    for name, color, values in layers:
        fig.add_trace(go.Bar(x=x, y=values, name=name, marker_color=color, legendgroup=name, showlegend=show_legend,
                             hovertext=hover, hoverinfo="text"), row=row, col=1)  # fmt: skip


def breakdown_figure(results: RunResults) -> go.Figure:
    """Per-op stacked compute / exposed-memory time of the best design above the baseline's.

    Both panels share the latency axis so bar heights compare directly; light-blue bars are layers
    whose compute is hidden under memory traffic (memory-bound).
    """
    best, base = best_design(results), results.baseline
    panels = [(best, "best design"), (base, "baseline")]
    titles = [_panel_title(record, label) for record, label in panels]
    fig = make_subplots(rows=2, cols=1, subplot_titles=titles, vertical_spacing=0.16)
    legend_shown = False
    for row, (record, _) in enumerate(panels, start=1):
        if record is None or not record.per_op:
            continue  # the panel title says so
        _op_bars(fig, record, row, show_legend=not legend_shown)
        legend_shown = True
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text="ms", matches="y")
    fig.update_xaxes(title_text="layer (execution order; hover for name and shape)", row=2, col=1)
    fig.update_xaxes(showticklabels=False)
    return style(fig, 680, top_px=90)


def _panel_title(record: TrialRecord | None, label: str) -> str:
    if record is None:
        return f"{label}: no top-k design with per-op costs"
    if not record.per_op:
        return f"{label}: {escape(record.spec)} #{record.number} — no per-op costs stored"
    return (f"{label}: {escape(record.spec)} #{record.number} — {fmt.ms(record.total_ms)} ms total, "
            f"{memory_bound_summary(record)}")  # fmt: skip


def kind_figure(results: RunResults) -> go.Figure:
    """Time per layer kind (conv, pool, upsample, add, ...) of the best design and the baseline."""
    best, base = best_design(results), results.baseline
    fig = go.Figure()
    # Horizontal categories are drawn bottom-up: baseline first puts the best design on top.
    groups = [("baseline", time_by_kind(base)), (f"best #{best.number}" if best else "best", time_by_kind(best))]
    kinds = sorted({g["kind"] for _, rows in groups for g in rows})
    for part, color, key in [("compute", COMPUTE_COLOR, "compute_part"), ("memory not hidden", MEMORY_COLOR, "exposed_memory_ms")]:
        xs, ys, texts = [], [], []
        for label, rows in groups:
            by_kind = {g["kind"]: g for g in rows}
            for kind in kinds:
                g = by_kind.get(kind)
                value = 0.0 if g is None else (g["total_ms"] - g["exposed_memory_ms"] if key == "compute_part" else g[key])
                xs.append(value)
                ys.append([label, kind])
                texts.append("" if g is None else f"{g['ops']} ops, {g['memory_bound_ops']} memory-bound")
        fig.add_trace(go.Bar(
            x=xs, y=[[y[0] for y in ys], [y[1] for y in ys]], orientation="h", name=part, marker_color=color,
            hovertext=texts, hovertemplate="%{y}: %{x:.3f} ms<br>%{hovertext}<extra>" + part + "</extra>",
        ))  # fmt: skip
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text="ms (sum over the layers of that kind)")
    return style(fig, 150 + 34 * 2 * max(len(kinds), 1))


# --- top-k vs baseline -------------------------------------------------------------------------


def topk_bars_figure(results: RunResults) -> go.Figure:
    """Compute, memory and total ms of the baseline, each top-k design and their average."""
    rows = topk_rows(results)
    labels = [r["row"] if r["row"] in ("baseline", "average") else f"#{r['row']} (trial {r['number']})" for r in rows]
    fig = go.Figure()
    for key, name, color in [("compute_ms", "computation", COMPUTE_COLOR), ("memory_ms", "memory access", MEMORY_COLOR),
                             ("total_ms", "total", TOTAL_COLOR)]:  # fmt: skip
        pct_key = key.replace("_ms", "_faster_pct")
        text = ["" if r["row"] == "baseline" else fmt.pct(r[pct_key]) for r in rows]
        fig.add_trace(go.Bar(
            x=labels, y=[r[key] for r in rows], name=name, marker_color=color, text=text, textposition="outside",
            textfont=dict(size=10), cliponaxis=False,
            hovertemplate="%{x}<br>" + name + " %{y:.3f} ms (%{text} vs baseline)<extra></extra>",
        ))  # fmt: skip
    fig.update_layout(barmode="group", bargroupgap=0.05)
    fig.update_yaxes(title_text="ms on the board")
    return style(fig, 440)


# --- search progress ---------------------------------------------------------------------------


def progress_figure(results: RunResults) -> go.Figure:
    """Hypervolume and best feasible accuracy against the number of trainings, per strategy."""
    names = ordered_strategies(results)
    ref = results.hypervolume_reference
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1, subplot_titles=[
        f"hypervolume (reference {fmt.acc(ref.accuracy)} %, {fmt.ms(ref.total_ms)} ms)",
        f"best feasible {escape(results.metric)}"])  # fmt: skip
    for name in names:
        points = progress(results.strategies[name].trials, ref)
        color = strategy_color(name, names)
        x = [p.trainings for p in points]
        common = dict(mode="lines+markers", line=dict(color=color, width=2, shape="hv"), marker=dict(size=5),
                      legendgroup=name)  # fmt: skip
        fig.add_trace(go.Scatter(x=x, y=[p.hypervolume for p in points], name=name,
                                 customdata=[p.number for p in points],
                                 hovertemplate=f"{name}<br>%{{x}} trainings (trial %{{customdata}})<br>hypervolume %{{y:.4g}}<extra></extra>",
                                 **common), row=1, col=1)  # fmt: skip
        fig.add_trace(go.Scatter(x=x, y=[p.best_feasible_accuracy for p in points], name=name, showlegend=False,
                                 hovertemplate=f"{name}<br>%{{x}} trainings<br>best %{{y:.2f}}<extra></extra>",
                                 **common), row=1, col=2)  # fmt: skip
    if results.baseline.accuracy is not None:
        fig.add_hline(y=results.baseline.accuracy, line=dict(color=BASELINE_COLOR, dash="dot", width=1), row=1, col=2,
                      annotation_text="baseline", annotation_position="bottom right")  # fmt: skip
    fig.update_xaxes(title_text="trainings (hardware-rejected and cached trials are free)")
    return style(fig, 440, top_px=90)
