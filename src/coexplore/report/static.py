"""Static PNG versions of the Pareto plot and the per-layer breakdown, for papers and slides.

Matplotlib's object API with the Agg canvas: no pyplot state, no display needed.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from coexplore.report import fmt
from coexplore.report.plots import (
    BASELINE_COLOR,
    BUDGET_COLOR,
    COMPUTE_COLOR,
    HIDDEN_COMPUTE_COLOR,
    MEMORY_COLOR,
    edge_arrow,
    pareto_ranges,
    strategy_color,
)
from coexplore.report.tables import best_design, is_memory_bound, memory_bound_summary, ordered_strategies, time_split
from coexplore.results import RunResults, TrialRecord

PNG_DPI = 150
HEADROOM = 1.12  # room above the tallest bar for the design label
_MPL_ARROWS = {"triangle-right": ">", "triangle-left": "<", "triangle-down": "v", "triangle-up": "^"}


def _save(fig: Figure, path: Path) -> Path:
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=PNG_DPI, bbox_inches="tight", facecolor="white")
    return path


def write_pareto_png(results: RunResults, path: Path) -> Path:
    """Accuracy vs total latency: trials, step-line fronts, budget, baseline and top-k."""
    fig = Figure(figsize=(7.5, 4.8))
    ax = fig.add_subplot()
    names = ordered_strategies(results)
    for name in names:
        color = strategy_color(name, names)
        trials = [t for t in results.strategies[name].trials if t.accuracy is not None and t.total_ms is not None]
        feasible = [t for t in trials if t.feasible]
        other = [t for t in trials if not t.feasible]
        ax.scatter([t.total_ms for t in feasible], [t.accuracy for t in feasible], s=22, color=color, label=name,
                   zorder=3, edgecolors="white", linewidths=0.4)  # fmt: skip
        ax.scatter([t.total_ms for t in other], [t.accuracy for t in other], s=22, facecolors="none",
                   edgecolors=color, linewidths=1.0, alpha=0.6, zorder=2)  # fmt: skip
        front = sorted(
            (t for n in results.strategies[name].pareto if (t := results.trial(name, n)) and t.accuracy is not None),
            key=lambda t: t.total_ms,
        )
        if front:
            ax.step([t.total_ms for t in front], [t.accuracy for t in front], where="post", color=color, lw=1.8, zorder=2)
    for rank, row in enumerate(results.topk.rows, start=1):
        ax.annotate(f"#{rank}", (row.total_ms, row.accuracy), textcoords="offset points", xytext=(0, 6),
                    ha="center", fontsize=7)  # fmt: skip
    base = results.baseline
    if base.accuracy is not None and base.total_ms is not None:
        ax.scatter([base.total_ms], [base.accuracy], marker="*", s=220, color=BASELINE_COLOR, zorder=4, label="baseline")
    if results.latency_budget_ms is not None:
        ax.axvline(results.latency_budget_ms, color=BUDGET_COLOR, ls="--", lw=1.2,
                   label=f"budget {fmt.ms(results.latency_budget_ms)} ms")  # fmt: skip
    if results.accuracy_floor is not None:
        ax.axhline(results.accuracy_floor, color="#6e7781", ls=":", lw=1, label="accuracy floor")
    _clip_outliers(ax, results)
    ax.set_xlabel("total latency on the board (ms)")
    ax.set_ylabel(f"accuracy ({results.metric}, %)")
    ax.set_title(f"{results.name}: {results.device_name}, {results.precision} (hollow: infeasible)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right", framealpha=0.9)
    return _save(fig, path)


def _clip_outliers(ax, results: RunResults) -> None:  # type: ignore[no-untyped-def]
    """The same axis ranges as the page: far outliers are cut and drawn as arrows at the edge."""
    x_range, y_range = pareto_ranges(results)
    if x_range is not None:
        ax.set_xlim(x_range.low, x_range.high)
    if y_range is not None:
        ax.set_ylim(y_range.low, y_range.high)
    x_low, x_high = ax.get_xlim()
    y_low, y_high = ax.get_ylim()
    scored = [t for s in results.strategies.values() for t in s.trials if t.accuracy is not None and t.total_ms is not None]
    cut = [t for t in scored if edge_arrow(t, (x_low, x_high), (y_low, y_high))]
    for trial in cut:
        x = min(max(trial.total_ms, x_low), x_high)  # type: ignore[type-var]
        y = min(max(trial.accuracy, y_low), y_high)  # type: ignore[type-var]
        marker = _MPL_ARROWS[edge_arrow(trial, (x_low, x_high), (y_low, y_high))]
        ax.plot([x], [y], marker=marker, color="#6e7781", markersize=8, clip_on=False, zorder=5)
    if cut:
        ax.text(1.0, -0.13, f"{len(cut)} trial(s) off the axes, drawn as arrows at the edge", transform=ax.transAxes,
                ha="right", va="top", fontsize=7, color="#59636e")  # fmt: skip


def write_breakdown_png(results: RunResults, path: Path) -> Path:
    """Per-layer compute / exposed memory of the best design above the baseline, same y scale."""
    fig = Figure(figsize=(10, 5.6))
    axes = fig.subplots(2, 1, sharey=True)
    panels: list[tuple[TrialRecord | None, str]] = [(best_design(results), "best design"), (results.baseline, "baseline")]
    for ax, (record, label) in zip(axes, panels):
        _breakdown_panel(ax, record, label)
    tallest_ms = max((op.total_ms for record, _ in panels if record for op in record.per_op or []), default=0.0)
    if tallest_ms > 0:
        axes[0].set_ylim(0, tallest_ms * HEADROOM)
    axes[1].set_xlabel("layer (execution order)")
    fig.legend(
        handles=[Patch(color=COMPUTE_COLOR, label="compute (compute-bound layer)"),
                 Patch(color=HIDDEN_COMPUTE_COLOR, label="compute hidden under memory (memory-bound layer)"),
                 Patch(color=MEMORY_COLOR, label="memory time not hidden by compute")],
        loc="upper center", ncol=3, fontsize=8, frameon=False, bbox_to_anchor=(0.5, 1.0),
    )  # fmt: skip
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return _save(fig, path)


def _breakdown_panel(ax, record: TrialRecord | None, label: str) -> None:  # type: ignore[no-untyped-def]
    if record is None or not record.per_op:
        ax.text(0.5, 0.5, f"{label}: no per-op costs stored", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    ops = record.per_op
    x = range(len(ops))
    split = [time_split(op.compute_ms, op.total_ms) for op in ops]
    bound = [is_memory_bound(op.bottleneck, op.compute_ms, op.memory_ms) for op in ops]
    colors = [HIDDEN_COMPUTE_COLOR if mb else COMPUTE_COLOR for mb in bound]
    ax.bar(x, [c for c, _ in split], color=colors, width=0.85)
    ax.bar(x, [m for _, m in split], bottom=[c for c, _ in split], color=MEMORY_COLOR, width=0.85)
    ax.set_ylabel("ms")
    ax.set_xlim(-0.6, len(ops) - 0.4)
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(
        f"{label}: {record.spec} #{record.number} — {fmt.ms(record.total_ms)} ms total, {memory_bound_summary(record)}",
        fontsize=9, loc="left",
    )
    ax.legend(handles=[Line2D([], [], lw=0)], labels=[record.design_str or ""], fontsize=7, loc="upper right",
              frameon=False, handlelength=0)  # fmt: skip
