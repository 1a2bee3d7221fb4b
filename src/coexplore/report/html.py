"""`report.html`: one self-contained page (plotly.js inline, no CDN) plus the same data as files.

`write_report(run_dir)` writes into the run folder (or `out`): report.html and, through `export`,
topk.csv, topk.md, trials.csv, strategies.csv, per_op_best.csv, per_op_baseline.csv, summary.json,
pareto.png and breakdown.png. The page opens offline; every table on it is also a CSV next to it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from coexplore.errors import CoexploreError
from coexplore.report import fmt, plots, tables
from coexplore.report.consistency import check_consistency
from coexplore.report.export import REPORT_FILE, write_data_files
from coexplore.report.page import PAGE_CSS, PAGE_JS
from coexplore.results import RunResults, load_results, results_path, write_text_atomic

_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": "hover",
                  "toImageButtonOptions": {"format": "svg", "scale": 1}}  # fmt: skip
_SLOWEST_LAYERS_SHOWN = 10


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
        _section("Top designs vs the baseline", _topk_intro(results), _topk_table(results),
                 _figure(plots.topk_bars_figure(results)) if results.topk.rows else ""),  # fmt: skip
        _section("Accuracy vs latency", _pareto_intro(results), _figure(plots.pareto_figure(results))),
        _section("Where the time goes", *_time_parts(results)),  # fmt: skip
        _section("Strategies", _strategy_table(results), _figure(plots.progress_figure(results)),
                 _key_values("Sequential vs co-exploration", results.sequential_vs_coexplore)),  # fmt: skip
        _section("All trials", _trials_table(results)),
        _section("Files", _files(files), _config(results)),
    ]
    title = f"coexplore report — {escape(results.name)}"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title>"
        f"<style>{PAGE_CSS}</style>"
        "<script>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>"
        f"<script>{get_plotlyjs()}</script></head><body><main>"
        + "\n".join(s for s in sections if s)
        + f"<footer>written by coexplore {escape(_version())} on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC "
        f"from results.json</footer></main><script>{PAGE_JS}</script></body></html>\n"
    )


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
    for key, label in [("dsp", "DSP"), ("bram18", "BRAM18"), ("ddr_gbps", "DDR GB/s"), ("clock_mhz", "MHz")]:
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
                           _tone(total, True)))  # fmt: skip
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
    gpu_hours = sum(s.gpu_hours for s in results.strategies.values())
    train_s = sum(s.train_seconds for s in results.strategies.values())
    if gpu_hours > 0:
        cards.append(_card(f"{gpu_hours:.2f}", "GPU-hours, all strategies", f"{fmt.seconds(train_s)} of training"))
    else:  # a CPU run: GPU-hours would read as "free"
        cards.append(_card(fmt.seconds(train_s), "training time, all strategies", "on CPU (0 GPU-hours)"))
    return f'<div class="cards">{"".join(cards)}</div>'


def _warnings(warnings: list[str]) -> str:
    if not warnings:
        return ""
    items = "".join(f"<li>{escape(w)}</li>" for w in warnings)
    return f'<div class="warn"><b>results.json disagrees with itself</b> — the numbers below are shown as stored:<ul>{items}</ul></div>'


def _topk_intro(results: RunResults) -> str:
    if not results.topk.rows:
        return (f'<p class="intro">No top-k designs: the <b>{escape(results.topk.strategy)}</b> search found no '
                "feasible design to compare with the baseline (see the trials below for why).</p>")
    return (f'<p class="intro">The top {len(results.topk.rows)} <b>{escape(results.topk.strategy)}</b> designs by the '
            "study's ranking, against the baseline network on its own best hardware for this board. "
            "% faster = 100·(baseline − design)/baseline for computation, memory access and total time, as in "
            "Qiu et al. (ICET 2021); accuracy loss is in points (positive = worse than the baseline).</p>")  # fmt: skip


def _time_parts(results: RunResults) -> list[str]:
    best, base = tables.best_design(results), results.baseline
    if best is None and not base.per_op:
        return ['<p class="note">No per-op costs stored for the baseline or the top-k designs, so there is no '
                "per-layer breakdown; the search keeps them for the baseline and the top-k designs.</p>"]
    return [
        _breakdown_intro(), _figure(plots.breakdown_figure(results)),
        '<div class="two"><div><h3>Time by layer kind, ms</h3>' + _figure(plots.kind_figure(results)) + "</div>"
        + _slowest_layers(results) + "</div>",
    ]  # fmt: skip


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


def _cell(value: Any, text: str | None = None, cls: str = "") -> str:
    sort_value = "" if value is None else value
    if isinstance(sort_value, bool):
        sort_value = int(sort_value)
    shown = escape(text if text is not None else ("" if value is None else str(value)))
    class_attr = f' class="{cls}"' if cls else ""
    return f'<td data-v="{escape(str(sort_value))}"{class_attr}>{shown}</td>'


def _table(headers: list[str], body_rows: list[str], cls: str = "", table_id: str = "", tall: bool = False,
           text_cols: tuple[int, ...] = ()) -> str:
    """A sortable table; `text_cols` are left-aligned like their (text) cells."""
    head = "".join(f'<th class="l">{escape(h)}</th>' if i in text_cols else f"<th>{escape(h)}</th>"
                   for i, h in enumerate(headers))  # fmt: skip
    id_attr = f' id="{table_id}"' if table_id else ""
    wrap = "table-wrap tall" if tall else "table-wrap"
    return (f'<div class="{wrap}"><table class="sortable {cls}"{id_attr}><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body_rows)}</tbody></table></div>")  # fmt: skip


def _tone(value: float | None, positive_is_good: bool, *, good: str = "good", bad: str = "bad") -> str:
    """The CSS class of a signed figure: `good` on the good side of 0, `bad` on the other, none when missing."""
    if value is None:
        return ""
    return good if (value > 0) == positive_is_good else bad


def _pct_cell(value: float | None, skip: bool) -> str:
    if skip:
        return _cell(None, "")
    return _cell(value, fmt.pct(value), "pos" if value and value > 0 else "neg" if value and value < 0 else "")


def _topk_table(results: RunResults) -> str:
    headers = ["", "trial", "network", "accelerator", results.metric, "acc. loss", "compute ms", "faster",
               "memory ms", "faster", "total ms", "faster"]  # fmt: skip
    body = []
    for row in tables.topk_rows(results):
        base = row["row"] == "baseline"
        loss = row["accuracy_loss"]
        cls = "summary" if row["row"] in ("baseline", "average") else ""
        body.append(f'<tr class="{cls}">' + "".join([
            _cell(row["row"]), _cell(row["number"]), _cell(row["spec"], cls="mono"),
            _cell(row["design_str"], cls="mono small"), _cell(row["accuracy"], fmt.acc(row["accuracy"])),
            _cell(loss, "" if base else fmt.points(loss), "" if base else _tone(loss, False, good="pos", bad="neg")),
            _cell(row["compute_ms"], fmt.ms(row["compute_ms"])), _pct_cell(row["compute_faster_pct"], base),
            _cell(row["memory_ms"], fmt.ms(row["memory_ms"])), _pct_cell(row["memory_faster_pct"], base),
            _cell(row["total_ms"], fmt.ms(row["total_ms"])), _pct_cell(row["total_faster_pct"], base),
        ]) + "</tr>")  # fmt: skip
    if results.topk.rows:
        paper = tables.PAPER_TOP5_AVERAGE
        body.append('<tr class="paper">' + "".join([
            _cell("paper"), _cell(None), f'<td colspan="2">{escape(paper["label"])} (for context; other board and network)</td>',
            _cell(None), _cell(paper["accuracy_loss"], fmt.points(paper["accuracy_loss"])),
            _cell(None), _cell(paper["compute_faster_pct"], fmt.pct(paper["compute_faster_pct"])),
            _cell(None), _cell(paper["memory_faster_pct"], fmt.pct(paper["memory_faster_pct"])),
            _cell(None), _cell(paper["total_faster_pct"], fmt.pct(paper["total_faster_pct"])),
        ]) + "</tr>")  # fmt: skip
    else:
        body.append('<tr><td colspan="12">no feasible design in the top-k block</td></tr>')
    return _table(headers, body, "topk", text_cols=(2, 3))


def _strategy_table(results: RunResults) -> str:
    headers = ["strategy", "trials", "complete", "hw-rejected", "failed", "pruned", "feasible", "trainings",
               "training", "GPU-h", "hypervolume", "front size", f"best feasible {results.metric}",
               "its total ms", "fastest feasible ms"]  # fmt: skip
    body = []
    for row in tables.strategy_rows(results):
        body.append("<tr>" + "".join([
            _cell(row["strategy"], cls="strategy"), _cell(row["trials"]), _cell(row["complete"]),
            _cell(row["rejected_hw"]), _cell(row["failed"]), _cell(row["pruned"]), _cell(row["feasible"]),
            _cell(row["trainings"]), _cell(row["train_seconds"], fmt.seconds(row["train_seconds"])),
            _cell(row["gpu_hours"], f"{row['gpu_hours']:.2f}"), _cell(row["hypervolume"], f"{row['hypervolume']:.4g}"),
            _cell(row["pareto_size"]), _cell(row["best_feasible_accuracy"], fmt.acc(row["best_feasible_accuracy"])),
            _cell(row["best_feasible_total_ms"], fmt.ms(row["best_feasible_total_ms"])),
            _cell(row["fastest_feasible_total_ms"], fmt.ms(row["fastest_feasible_total_ms"])),
        ]) + "</tr>")  # fmt: skip
    ref = results.hypervolume_reference
    note = (f'<p class="note">Hypervolume: area dominated by the feasible front, bounded by the reference point '
            f"({fmt.acc(ref.accuracy)} % {escape(results.metric)}, {fmt.ms(ref.total_ms)} ms); larger is better. "
            "Trainings exclude hardware-rejected candidates and cache hits.</p>")  # fmt: skip
    return _table(headers, body, "strategies") + note


def _slowest_layers(results: RunResults) -> str:
    best = tables.best_design(results)
    rows = sorted(tables.per_op_rows(best), key=lambda r: -r["total_ms"])[:_SLOWEST_LAYERS_SHOWN]
    if not rows:
        return '<div><p class="note">No per-op costs stored for the best design.</p></div>'
    body = ["<tr>" + "".join([
        _cell(r["name"], cls="mono small"), _cell(r["kind"], cls="l"), _cell(r["shape"], cls="small"),
        _cell(r["compute_ms"], fmt.ms(r["compute_ms"])), _cell(r["memory_ms"], fmt.ms(r["memory_ms"])),
        _cell(r["total_ms"], fmt.ms(r["total_ms"])), _cell(r["share_of_total_pct"], f"{r['share_of_total_pct']:.1f} %"),
        _cell(r["bottleneck"], cls="mem" if tables.is_memory_bound(r["bottleneck"], r["compute_ms"], r["memory_ms"]) else "cmp"),
    ]) + "</tr>" for r in rows]  # fmt: skip
    title = f"<h3>Slowest {len(rows)} layers of the best design (#{best.number}), ms</h3>"  # type: ignore[union-attr]
    headers = ["layer", "kind", "shape", "compute", "memory", "total", "share", "bound by"]
    return "<div>" + title + _table(headers, body, "compact", text_cols=(1, 2)) + "</div>"


def _trials_table(results: RunResults) -> str:
    headers = ["strategy", "#", "status", "feasible", "front", "top-k", results.metric, "compute ms", "memory ms",
               "total ms", "DSP", "BRAM18", "GB/s", "fits", "train s", "device", "cached", "network",
               "accelerator", "reason"]  # fmt: skip
    body = []
    for r in tables.trial_rows(results):
        body.append(f'<tr data-status="{escape(r["status"])}">' + "".join([
            _cell(r["strategy"], cls="strategy"), _cell(r["number"]), _cell(r["status"], cls=f"status {r['status']}"),
            _cell(r["feasible"], "yes" if r["feasible"] else "no"), _cell(r["pareto"], "★" if r["pareto"] else ""),
            _cell(r["topk_rank"], f"#{r['topk_rank']}" if r["topk_rank"] else ""),
            _cell(r["accuracy"], fmt.acc(r["accuracy"])), _cell(r["compute_ms"], fmt.ms(r["compute_ms"])),
            _cell(r["memory_ms"], fmt.ms(r["memory_ms"])), _cell(r["total_ms"], fmt.ms(r["total_ms"])),
            _cell(r["dsp"], fmt.num(r["dsp"])), _cell(r["bram18"], fmt.num(r["bram18"])),
            _cell(r["bandwidth_gbps"], fmt.num(r["bandwidth_gbps"])),
            _cell(r["fits"], {True: "yes", False: "no", None: "–"}[r["fits"]]),
            _cell(r["train_seconds"], f"{r['train_seconds']:.0f}"), _cell(r["train_device"]),
            _cell(r["cached"], "yes" if r["cached"] else ""), _cell(r["spec"], cls="mono"),
            _cell(r["design_str"], cls="mono small"), _cell(r["reason"], cls="small"),
        ]) + "</tr>")  # fmt: skip
    controls = ('<div class="controls"><input type="search" id="trial-filter" placeholder="filter trials '
                '(e.g. coexplore, rejected_hw, hg-s2)…" aria-label="filter trials"> '
                f'<span id="trial-count">{len(body)} trials</span> · click a column header to sort</div>')  # fmt: skip
    return controls + _table(headers, body, "trials", "trials", tall=True, text_cols=(2, 17, 18, 19))


def _key_values(title: str, data: dict[str, Any]) -> str:
    """A free-form summary: per-strategy dicts side by side, then the remaining scalars."""
    if not data:
        return ""
    columns = [k for k, v in data.items() if isinstance(v, dict)]
    flat_columns = {c: _flatten(data[c]) for c in columns}
    keys = list(dict.fromkeys(k for c in columns for k in flat_columns[c]))
    html = f"<h3>{escape(title)}</h3>"
    if columns:
        head = "<tr><th></th>" + "".join(f"<th>{escape(c)}</th>" for c in columns) + "</tr>"
        body = "".join(
            f"<tr><th>{escape(k)}</th>" + "".join(f"<td>{escape(_plain(flat_columns[c].get(k)))}</td>" for c in columns)
            + "</tr>" for k in keys
        )  # fmt: skip
        html += f'<div class="table-wrap"><table class="kv"><thead>{head}</thead><tbody>{body}</tbody></table></div>'
    scalars = {k: v for k, v in data.items() if k not in columns}
    if scalars:
        rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(_plain(v))}</td></tr>" for k, v in scalars.items())
        html += f'<div class="table-wrap"><table class="kv">{rows}</table></div>'
    return html


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _plain(value: Any) -> str:
    if value is None:
        return fmt.MISSING
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(v) for v in value)
    return str(value)


def _files(files: dict[str, Path]) -> str:
    links = "".join(f'<li><a href="{escape(p.name)}">{escape(p.name)}</a></li>' for p in files.values())
    return f'<p class="intro">The same data, next to this page:</p><ul class="files">{links}</ul>'


def _config(results: RunResults) -> str:
    text = json.dumps({"config": results.config, "device": results.device}, indent=1)
    return f"<details><summary>search configuration and device</summary><pre>{escape(text)}</pre></details>"
