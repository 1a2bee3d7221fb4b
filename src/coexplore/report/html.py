"""`report.html`: one page that opens offline, plus the same data as files.

`write_report(run_dir)` writes into the run folder (or `out`): report.html, plotly.min.js (the
plotting library, copied from the installed plotly package and loaded by the page from beside it:
the page itself stays small, nothing is fetched) and, through `export`, topk.csv, topk.md,
trials.csv, strategies.csv, per_op_best.csv, per_op_baseline.csv, branches_best.csv, summary.json,
pareto.png and breakdown.png. Every table on the page is also a CSV next to it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from coexplore.errors import CoexploreError
from coexplore.report import fmt, plots, plots_time, tables
from coexplore.report.html_tables import (
    branch_table,
    comparison_table,
    slowest_layers,
    strategy_table,
    tone,
    topk_table,
    trials_table,
)
from coexplore.report.plotly_asset import PLOTLY_FILE
from coexplore.report.branches import OTHER, time_by_branch
from coexplore.report.roofline import roofline
from coexplore.report.consistency import check_consistency
from coexplore.report.export import REPORT_FILE, write_data_files
from coexplore.report.page import PAGE_CSS, PAGE_JS
from coexplore.results import RunResults, TrialRecord, load_results, results_path, write_text_atomic

_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": "hover",
                  "toImageButtonOptions": {"format": "svg", "scale": 1}}  # fmt: skip


@dataclass
class Report:
    """What `build_report` wrote: the page, every data file by name, the results it showed and
    their consistency warnings."""

    html: Path
    files: dict[str, Path]
    results: RunResults
    warnings: list[str] = field(default_factory=list)


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the report of the run in `run_dir` into `out` (default: the run folder); return report.html."""
    return build_report(run_dir, out).html


def build_report(run_dir: str | Path, out: str | Path | None = None) -> Report:
    results = load_results(run_dir)
    out_dir = Path(out) if out is not None else results_path(run_dir).parent
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CoexploreError(f"cannot create the report folder ({exc.strerror})", field=f"--out {out_dir}",
                             fix="pass a writable folder") from None  # fmt: skip
    warnings = check_consistency(results)
    try:
        files = write_data_files(results, out_dir, warnings)
        html_path = out_dir / REPORT_FILE
        write_text_atomic(html_path, render_html(results, warnings, files))
    except OSError as exc:
        raise CoexploreError(f"cannot write the report ({exc.strerror})", field=str(exc.filename or out_dir),
                             fix="pass a writable folder with --out") from None  # fmt: skip
    return Report(html=html_path, files={REPORT_FILE: html_path, **files}, warnings=warnings, results=results)


# --- the page ----------------------------------------------------------------------------------


def render_html(results: RunResults, warnings: list[str], files: dict[str, Path]) -> str:
    sections = [
        _header(results),
        _headline(results),
        _warnings(warnings),
        _section("Top designs vs the baseline", _topk_intro(results), topk_table(results),
                 _figure(plots.topk_bars_figure(results)) if results.topk.rows else ""),  # fmt: skip
        _section("Accuracy vs latency", _pareto_intro(results), _figure(plots.pareto_figure(results))),
        _section("Where the time goes", *_time_parts(results)),  # fmt: skip
        _section("Strategies", strategy_table(results), _figure(plots.progress_figure(results)),
                 comparison_table(results)),
        _section("All trials", trials_table(results)),
        _section("Files", _files(files), _config(results)),
    ]
    title = f"coexplore report — {escape(results.name)}"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title>"
        f"<style>{PAGE_CSS}</style>"
        "<script>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>"
        f'<script src="{PLOTLY_FILE}" charset="utf-8"></script></head><body><main>{_no_plotly_notice()}'

        + "\n".join(s for s in sections if s)
        + f"<footer>written by coexplore {escape(_version())} on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC "
        f"from results.json</footer></main><script>{PAGE_JS}</script></body></html>\n"
    )


def _no_plotly_notice() -> str:
    """Shown only when plotly.min.js is not beside the page (e.g. report.html copied on its own)."""
    return (f'<div class="warn" id="no-plotly" style="display:none">The plots need {PLOTLY_FILE} beside this page: '
            "copy the whole report folder, not report.html alone.</div>"
            "<script>if (!window.Plotly) document.getElementById('no-plotly').style.display = 'block';</script>")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("coexplore")
    except PackageNotFoundError:
        return "(not installed)"


def _figure(fig: go.Figure) -> str:
    height = fig.layout.height or 450
    body = fig.to_html(full_html=False, include_plotlyjs=False, config=_PLOTLY_CONFIG, default_width="100%",
                       default_height=f"{height}px")  # fmt: skip
    return f'<div class="figure">{body}</div>'


def _section(title: str, *parts: str) -> str:
    anchor = title.lower().replace(" ", "-")
    return f'<section id="{escape(anchor)}"><h2>{escape(title)}</h2>' + "".join(parts) + "</section>"


def _header(results: RunResults) -> str:
    device = results.device
    chips = [("device", results.device_name)]
    for key, label in [("dsp", "DSP"), ("bram18", "BRAM18"), ("bandwidth_gbps", "DDR GB/s"), ("clock_mhz", "MHz")]:
        if key in device:
            chips.append((label, fmt.num(device[key], 1)))
    chips += [
        ("precision", results.precision),
        ("latency budget", f"{fmt.ms(results.latency_budget_ms)} ms" if results.latency_budget_ms is not None else "none"),
        ("accuracy floor", fmt.acc(results.accuracy_floor) if results.accuracy_floor is not None else "none"),
        ("metric", results.metric),
    ]  # fmt: skip
    chip_html = "".join(f'<span class="chip"><b>{escape(k)}</b> {escape(str(v))}</span>' for k, v in chips)
    return (f"<header><h1>{escape(results.name)}</h1><p class=\"sub\">CNN/FPGA co-exploration run, created "
            f"{escape(results.created)} · strategies: {escape(', '.join(tables.ordered_strategies(results)))}</p>"
            f'<div class="chips">{chip_html}</div></header>')  # fmt: skip


def _card(value: str, label: str, note: str = "", tone: str = "") -> str:
    return (f'<div class="card {tone}"><div class="value">{escape(value)}</div><div class="label">{escape(label)}</div>'
            f'<div class="note">{escape(note)}</div></div>')  # fmt: skip


def _headline(results: RunResults) -> str:
    cards = []
    strategy = results.topk.strategy
    rows = tables.topk_rows(results)
    average = next((r for r in rows if r["row"] == "average"), None)
    if average:
        k = len(results.topk.rows)
        total = average["total_faster_pct"]
        cards.append(_card(fmt.pct(total), f"top-{k} average: total latency vs baseline",
                           f"computation {fmt.pct(average['compute_faster_pct'])}, memory {fmt.pct(average['memory_faster_pct'])}",
                           tone(total, True)))  # fmt: skip
        loss = average["accuracy_loss"]
        cards.append(_card(f"{fmt.points(loss)} pt", f"top-{k} average accuracy loss",
                           f"baseline {fmt.acc(results.baseline.accuracy)} {results.metric}",
                           "good" if loss is not None and loss <= 0 else ""))  # fmt: skip
    if strategy in results.strategies:
        best = tables.best_feasible(results.strategies[strategy].trials)
        if best:
            cards.append(_card(fmt.acc(best.accuracy), f"best feasible {results.metric} ({strategy})",
                               f"{best.spec} at {fmt.ms(best.total_ms)} ms"))  # fmt: skip
        rejected = sum(t.status == "rejected_hw" for t in results.strategies[strategy].trials)
        cards.append(_card(str(rejected), "candidates rejected by hardware before training",
                           f"{strategy}: {results.strategies[strategy].trainings} trainings"))  # fmt: skip
    cards.append(_training_card(results))
    return f'<div class="cards">{"".join(cards)}</div>'


def _training_card(results: RunResults) -> str:
    """What training cost: GPU-hours, or CPU time; a replay trained nothing and says so."""
    trials = [t for s in results.strategies.values() for t in s.trials]
    trained_s = tables.seconds_by_source(trials, "trained")
    replayed_s = tables.seconds_by_source(trials, "table")
    # GPU-hours from the records trained now: a table built on a GPU does not make its replay cost any
    gpu_hours = sum(t.train_seconds for t in trials if t.evaluation == "trained"
                    and (t.train_device or "").startswith("cuda")) / 3600.0  # fmt: skip
    replay_note = (f"; {fmt.seconds(replayed_s)} replayed from a tabular benchmark (its training time when the "
                   "table was built)") if replayed_s else ""  # fmt: skip
    if gpu_hours > 0:
        return _card(f"{gpu_hours:.2f}", "GPU-hours, all strategies", f"{fmt.seconds(trained_s)} trained now{replay_note}")
    if replayed_s and not trained_s:
        return _card("0 s", "trained in this run: a replay",
                     f"accuracies looked up in a tabular benchmark, whose trainings took {fmt.seconds(replayed_s)}")  # fmt: skip
    return _card(fmt.seconds(trained_s), "training time, all strategies", f"on CPU (0 GPU-hours){replay_note}")


def _warnings(warnings: list[str]) -> str:
    if not warnings:
        return ""
    items = "".join(f"<li>{escape(w)}</li>" for w in warnings)
    return f'<div class="warn"><b>results.json disagrees with itself</b> — the numbers below are shown as stored:<ul>{items}</ul></div>'


def _topk_intro(results: RunResults) -> str:
    if not results.topk.rows:
        return (f'<p class="intro">No top-k designs: the <b>{escape(results.topk.strategy)}</b> search found no '
                "feasible design within the accuracy loss of the baseline (see the trials below for why).</p>")
    within = "" if results.topk.max_accuracy_loss is None else f" within {results.topk.max_accuracy_loss:g} point(s)"
    return (f'<p class="intro">The {len(results.topk.rows)} fastest <b>{escape(results.topk.strategy)}</b> designs'
            f"{within} of the baseline's accuracy, against the baseline network on its own best hardware for this "
            "board. "
            "% faster = 100·(baseline − design)/baseline for computation, memory access and total time, as in "
            "Qiu et al. (ICET 2021); accuracy loss is in points (positive = worse than the baseline).</p>")  # fmt: skip


def _time_parts(results: RunResults) -> list[str]:
    best, base = tables.best_design(results), results.baseline
    if best is None and not base.per_op:
        return ['<p class="note">No per-op costs stored for the baseline or the top-k designs, so there is no '
                "per-layer breakdown; the search keeps them for the baseline and the top-k designs.</p>"]
    return [
        _breakdown_intro(), _figure(plots.breakdown_figure(results)),
        *_branch_parts(best),
        '<div class="two"><div><h3>Time by op kind, ms</h3>' + _figure(plots.kind_figure(results)) + "</div>"
        + slowest_layers(results) + "</div>",
        *_roofline_parts(results, best),
    ]  # fmt: skip


def _branch_parts(best: TrialRecord | None) -> list[str]:
    rows = time_by_branch(best)
    if not rows or all(r["branch"] == OTHER for r in rows):
        return []  # not an hourglass: its ops have no branches
    return [
        f"<h3>Time by hourglass branch: best design #{best.number}</h3>"  # type: ignore[union-attr]
        '<p class="intro">Which part of the network the time goes to, from the op names of the lowered workload '
        "(<code>coexplore net show</code>): the stem; per level of each hourglass the <i>skip</i> path (the box "
        "kept at full resolution), the <i>down</i> path (pool and the box below it), the innermost <i>bottom</i> "
        "box, and the <i>up</i> path (upsample and the add that merges the skip); the heatmap <i>head</i> and the "
        "<i>merge</i> into the next stack. Skip read-backs from DRAM count where they are read.</p>",
        '<div class="two"><div>' + _figure(plots_time.branch_figure(rows, "summed over the stacks")) + "</div><div>"
        + branch_table(best) + '<p class="note">ms per branch and stack; the shading is the share of the '
        "network's time. Hover a cell for its compute / memory split.</p></div></div>",
    ]  # fmt: skip


def _roofline_parts(results: RunResults, best: TrialRecord | None) -> list[str]:
    roof = roofline(best, results.device, results.precision)
    if roof is None or not roof.points:
        return ['<p class="note">No roofline: the per-op costs of this run predate the MAC and DRAM-byte columns '
                "(rebuild results.json with <code>coexplore results RUN</code>).</p>"] if best is not None else []  # fmt: skip
    unplotted = (f" The {roof.unplotted_ops} ops without MACs (pool, upsample, add, skip read-backs; "
                 f"{fmt.ms(roof.unplotted_ms)} ms) have no point.") if roof.unplotted_ops else ""  # fmt: skip
    return [
        f"<h3>Roofline of the best design (#{best.number})</h3>"  # type: ignore[union-attr]
        '<p class="intro">Each conv layer at its operational intensity (operations per byte moved to or from '
        "DRAM on this design) and the performance it attains (2 × MACs / its time). A layer left of the ridge is "
        "limited by the DRAM slope, right of it by the MAC array; the gap to the roof is lost to tiling, ragged "
        f"edges and stalls. Dot size: the layer's time.{unplotted}</p>",
        _figure(plots_time.roofline_figure(roof)),
    ]


def _pareto_intro(results: RunResults) -> str:
    strip = ("The strip below holds the candidates that never got an accuracy: rejected by the hardware check "
             "before training (×), failed (▽) or pruned (◇). ") if plots.has_unscored_trials(results) else ""  # fmt: skip
    return ('<p class="intro">Every trained trial of every strategy; filled markers are feasible (fit the board, '
            "meet the budget and the accuracy floor), hollow ones are not. Step lines are each strategy's Pareto "
            f"front. {strip}Click a legend entry to hide a strategy.</p>")


def _breakdown_intro() -> str:
    return ('<p class="intro">Per layer, in execution order, the best design (top) and the baseline (bottom) on '
            "the same scale. Each bar is the layer's total time: dark blue is computation of a compute-bound "
            "layer, light blue computation hidden under memory traffic, orange the memory time that computation "
            "does not hide. Hover a bar for the layer's name, shape and raw compute / memory / total times.</p>")


def _files(files: dict[str, Path]) -> str:
    links = "".join(f'<li><a href="{escape(p.name)}">{escape(p.name)}</a></li>' for p in files.values())
    return f'<p class="intro">The same data, next to this page:</p><ul class="files">{links}</ul>'


def _config(results: RunResults) -> str:
    text = json.dumps({"config": results.config, "device": results.device}, indent=1)
    return f"<details><summary>search configuration and device</summary><pre>{escape(text)}</pre></details>"
