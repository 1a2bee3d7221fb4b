"""The report page's HTML tables: top-k, strategies, the comparison of strategies, branches, slowest
layers and all trials. Every table is sortable (page.PAGE_JS) and is also a CSV beside the page."""

from __future__ import annotations

from html import escape
from typing import Any

from coexplore.report import fmt, tables
from coexplore.report.branches import branch_sort_key, time_by_branch
from coexplore.results import RunResults, TrialRecord

SLOWEST_LAYERS_SHOWN = 10
# how a trial got its accuracy (TrialRecord.evaluation), as the trials table says it
SOURCE_LABELS = {"trained": "trained now", "cache": "cache", "table": "replayed (table)", "repeat": "repeat",
                 "none": "not trained"}  # fmt: skip


def cell(value: Any, text: str | None = None, cls: str = "") -> str:
    sort_value = "" if value is None else value
    if isinstance(sort_value, bool):
        sort_value = int(sort_value)
    shown = escape(text if text is not None else ("" if value is None else str(value)))
    class_attr = f' class="{cls}"' if cls else ""
    return f'<td data-v="{escape(str(sort_value))}"{class_attr}>{shown}</td>'


def table(headers: list[str], body_rows: list[str], cls: str = "", table_id: str = "", tall: bool = False,
           text_cols: tuple[int, ...] = ()) -> str:
    """A sortable table; `text_cols` are left-aligned like their (text) cells."""
    head = "".join(f'<th class="l">{escape(h)}</th>' if i in text_cols else f"<th>{escape(h)}</th>"
                   for i, h in enumerate(headers))  # fmt: skip
    id_attr = f' id="{table_id}"' if table_id else ""
    wrap = "table-wrap tall" if tall else "table-wrap"
    return (f'<div class="{wrap}"><table class="sortable {cls}"{id_attr}><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body_rows)}</tbody></table></div>")  # fmt: skip


def tone(value: float | None, positive_is_good: bool, *, good: str = "good", bad: str = "bad") -> str:
    """The CSS class of a signed figure: `good` on the good side of 0, `bad` on the other, none when missing."""
    if value is None:
        return ""
    return good if (value > 0) == positive_is_good else bad


def pct_cell(value: float | None, skip: bool) -> str:
    if skip:
        return cell(None, "")
    return cell(value, fmt.pct(value), "pos" if value and value > 0 else "neg" if value and value < 0 else "")


def topk_table(results: RunResults) -> str:
    headers = ["", "trial", "network", "accelerator", results.metric, "acc. loss", "compute ms", "faster",
               "memory ms", "faster", "total ms", "faster"]  # fmt: skip
    body = []
    for row in tables.topk_rows(results):
        base = row["row"] == "baseline"
        loss = row["accuracy_loss"]
        cls = "summary" if row["row"] in ("baseline", "average") else ""
        body.append(f'<tr class="{cls}">' + "".join([
            cell(row["row"]), cell(row["number"]), cell(row["spec"], cls="mono"),
            cell(row["design_str"], cls="mono small"), cell(row["accuracy"], fmt.acc(row["accuracy"])),
            cell(loss, "" if base else fmt.points(loss), "" if base else tone(loss, False, good="pos", bad="neg")),
            cell(row["compute_ms"], fmt.ms(row["compute_ms"])), pct_cell(row["compute_faster_pct"], base),
            cell(row["memory_ms"], fmt.ms(row["memory_ms"])), pct_cell(row["memory_faster_pct"], base),
            cell(row["total_ms"], fmt.ms(row["total_ms"])), pct_cell(row["total_faster_pct"], base),
        ]) + "</tr>")  # fmt: skip
    if results.topk.rows:
        paper = tables.PAPER_TOP5_AVERAGE
        body.append('<tr class="paper">' + "".join([
            cell("paper"), cell(None), f'<td colspan="2">{escape(paper["label"])} (for context; other board and network)</td>',
            cell(None), cell(paper["accuracy_loss"], fmt.points(paper["accuracy_loss"])),
            cell(None), cell(paper["compute_faster_pct"], fmt.pct(paper["compute_faster_pct"])),
            cell(None), cell(paper["memory_faster_pct"], fmt.pct(paper["memory_faster_pct"])),
            cell(None), cell(paper["total_faster_pct"], fmt.pct(paper["total_faster_pct"])),
        ]) + "</tr>")  # fmt: skip
    else:
        body.append('<tr><td colspan="12">no feasible design in the top-k block</td></tr>')
    return table(headers, body, "topk", text_cols=(2, 3))


def strategy_table(results: RunResults) -> str:
    headers = ["strategy", "trials", "complete", "hw‑rejected", "failed", "pruned", "feasible", "trainings",
               "trained now", "replayed", "GPU‑h", "hypervolume", "front size", f"best feasible {results.metric}",
               "its total ms", "fastest feasible ms"]  # fmt: skip
    body = []
    for row in tables.strategy_rows(results):
        body.append("<tr>" + "".join([
            cell(row["strategy"], cls="strategy"), cell(row["trials"]), cell(row["complete"]),
            cell(row["rejected_hw"]), cell(row["failed"]), cell(row["pruned"]), cell(row["feasible"]),
            cell(row["trainings"]), cell(row["trained_seconds"], fmt.seconds(row["trained_seconds"])),
            cell(row["replayed_seconds"], fmt.seconds(row["replayed_seconds"]) if row["replayed_seconds"] else ""),
            cell(row["gpu_hours"], f"{row['gpu_hours']:.2f}"), cell(row["hypervolume"], f"{row['hypervolume']:.4g}"),
            cell(row["pareto_size"]), cell(row["best_feasible_accuracy"], fmt.acc(row["best_feasible_accuracy"])),
            cell(row["best_feasible_total_ms"], fmt.ms(row["best_feasible_total_ms"])),
            cell(row["fastest_feasible_total_ms"], fmt.ms(row["fastest_feasible_total_ms"])),
        ]) + "</tr>")  # fmt: skip
    ref = results.hypervolume_reference
    note = (f'<p class="note">Hypervolume: area dominated by the feasible front, bounded by the reference point '
            f"({fmt.acc(ref.accuracy)} % {escape(results.metric)}, {fmt.ms(ref.total_ms)} ms); larger is better. "
            "Trainings exclude hardware-rejected candidates and repeats. <i>Replayed</i>: accuracies looked up in "
            "a tabular benchmark; the time shown is what their training took when the table was built, "
            "nothing was trained in this run.</p>")  # fmt: skip
    return table(headers, body, "strategies") + note


def slowest_layers(results: RunResults) -> str:
    best = tables.best_design(results)
    rows = sorted(tables.per_op_rows(best), key=lambda r: -r["total_ms"])[:SLOWEST_LAYERS_SHOWN]
    if not rows:
        return '<div><p class="note">No per-op costs stored for the best design.</p></div>'
    body = ["<tr>" + "".join([
        cell(r["name"], cls="mono small"), cell(r["kind"], cls="l"), cell(r["shape"], cls="small"),
        cell(r["compute_ms"], fmt.ms(r["compute_ms"])), cell(r["memory_ms"], fmt.ms(r["memory_ms"])),
        cell(r["total_ms"], fmt.ms(r["total_ms"])), cell(r["share_of_total_pct"], f"{r['share_of_total_pct']:.1f} %"),
        cell(r["bottleneck"], cls="mem" if tables.is_memory_bound(r["bottleneck"], r["compute_ms"], r["memory_ms"]) else "cmp"),
    ]) + "</tr>" for r in rows]  # fmt: skip
    title = f"<h3>Slowest {len(rows)} layers of the best design (#{best.number}), ms</h3>"  # type: ignore[union-attr]
    headers = ["layer", "kind", "shape", "compute", "memory", "total", "share", "bound by"]
    return "<div>" + title + table(headers, body, "compact", text_cols=(1, 2)) + "</div>"


def trials_table(results: RunResults) -> str:
    # the network comes right after the trial number so it is never scrolled off; long text wraps
    headers = ["strategy", "#", "network", "status", "feasible", "front", "top-k", results.metric, "compute ms",
               "memory ms", "total ms", "DSP", "BRAM18", "GB/s", "fits", "accuracy from", "train s", "accelerator",
               "reason"]  # fmt: skip
    body = []
    for r in tables.trial_rows(results):
        body.append(f'<tr data-status="{escape(r["status"])}">' + "".join([
            cell(r["strategy"], cls="strategy"), cell(r["number"]), cell(r["spec"], cls="mono"),
            cell(r["status"], cls=f"status {r['status']}"),
            cell(r["feasible"], "yes" if r["feasible"] else "no"), cell(r["pareto"], "★" if r["pareto"] else ""),
            cell(r["topk_rank"], f"#{r['topk_rank']}" if r["topk_rank"] else ""),
            cell(r["accuracy"], fmt.acc(r["accuracy"])), cell(r["compute_ms"], fmt.ms(r["compute_ms"])),
            cell(r["memory_ms"], fmt.ms(r["memory_ms"])), cell(r["total_ms"], fmt.ms(r["total_ms"])),
            cell(r["dsp"], fmt.num(r["dsp"])), cell(r["bram18"], fmt.num(r["bram18"])),
            cell(r["bandwidth_gbps"], fmt.num(r["bandwidth_gbps"])),
            cell(r["fits"], {True: "yes", False: "no", None: "–"}[r["fits"]]),
            cell(r["evaluation"], SOURCE_LABELS.get(r["evaluation"], r["evaluation"]), cls="l"),
            cell(r["train_seconds"], f"{r['train_seconds']:.0f}" + (f" {r['train_device']}" if r["train_device"] else "")),
            cell(r["design_str"], cls="mono small"), cell(r["reason"], cls="small"),
        ]) + "</tr>")  # fmt: skip
    controls = ('<div class="controls"><input type="search" id="trial-filter" placeholder="filter trials '
                '(e.g. coexplore, rejected_hw, hg-s2)…" aria-label="filter trials"> '
                f'<span id="trial-count">{len(body)} trials</span> · click a column header to sort</div>')  # fmt: skip
    return controls + table(headers, body, "trials", "trials", tall=True, text_cols=(2, 3, 15, 17, 18))


def branch_table(record: TrialRecord | None) -> str:
    """Total ms per branch (rows, network order) and stack (columns), each cell shaded by its share."""
    rows = time_by_branch(record)
    if not rows:
        return ""
    stacks = sorted({r["stack"] for r in rows if r["stack"] is not None})
    branches = sorted({r["branch"] for r in rows}, key=branch_sort_key)
    by_key = {(r["stack"], r["branch"]): r for r in rows}
    headers = ["branch", *(f"stack {s}" for s in stacks), "all stacks", "share"]
    body = []
    for branch in branches:
        cells = [cell(branch, cls="l")]
        for stack in stacks:
            cells.append(_share_cell(by_key.get((stack, branch))))
        group = [r for r in rows if r["branch"] == branch]
        total_ms = sum(r["total_ms"] for r in group)
        share = sum(r["share_of_total_pct"] for r in group)
        cells += [cell(total_ms, fmt.ms(total_ms)), cell(share, f"{share:.1f} %")]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return table(headers, body, "compact branches", text_cols=(0,))


def _share_cell(row: dict[str, Any] | None) -> str:
    if row is None:
        return cell(None, "")
    title = (f"{row['ops']} ops, {row['memory_bound_ops']} memory-bound; compute {fmt.ms(row['compute_ms'])} ms, "
             f"memory {fmt.ms(row['memory_ms'])} ms, {row['share_of_total_pct']:.1f} % of the network")  # fmt: skip
    shade = min(row["share_of_total_pct"] * 2.0, 100.0)  # 50 % of the time or more: full colour
    return (f'<td data-v="{row["total_ms"]}" title="{escape(title)}" style="background: linear-gradient(90deg, '
            f'rgba(240,140,46,0.35) {shade:.0f}%, transparent {shade:.0f}%)">{fmt.ms(row["total_ms"])}</td>')


def comparison_table(results: RunResults) -> str:
    """Co-exploration against the sequential way (network first, hardware after), side by side."""
    data = results.sequential_vs_coexplore
    columns = [name for name in ("coexplore", "sequential") if isinstance(data.get(name), dict)]
    if not columns:
        return ""
    blocks = {name: data[name] for name in columns}
    trials = {name: results.strategies[name].trials if name in results.strategies else [] for name in columns}
    def shown(key: str, form: Any = str) -> list[str]:  # the summary is free-form: any key may be missing
        return [fmt.MISSING if blocks[c].get(key) is None else form(blocks[c][key]) for c in columns]

    rows: list[tuple[str, list[str]]] = [
        ("hypervolume (larger is better)", shown("hypervolume", lambda v: f"{v:.4g}")),
        ("trainings", shown("trainings")),
        ("training time: trained now", [fmt.seconds(tables.seconds_by_source(trials[c], "trained")) for c in columns]),
        ("training time: replayed from a table", [fmt.seconds(tables.seconds_by_source(trials[c], "table")) for c in columns]),
        ("candidates rejected by the hardware check (free)", shown("rejected_hw")),
        ("trainings spent on networks that miss the budget or do not fit", shown("infeasible_trainings")),
        ("feasible designs", shown("feasible_designs")),
    ]  # fmt: skip
    picks = [("best feasible design (the study's ranking)", "best"),
             ("the sequential pick: most accurate network, hardware designed after", "selected")]  # fmt: skip
    html_rows = [f'<tr><th class="l">{escape(label)}</th>' + "".join(f"<td>{escape(v)}</td>" for v in values) + "</tr>"
                 for label, values in rows]  # fmt: skip
    for label, key in picks:
        briefs = [blocks[c].get(key) for c in columns]
        if not any(briefs):
            continue
        html_rows.append(f'<tr class="group"><th class="l" colspan="{len(columns) + 1}">{escape(label)}</th></tr>')
        for field, name in [("spec", "network"), ("design_str", "accelerator"), ("accuracy", results.metric),
                            ("total_ms", "total ms (compute / memory)"), ("feasible", "feasible")]:  # fmt: skip
            values = [_brief_value(b, field) for b in briefs]
            cls = ' class="mono small"' if field in ("spec", "design_str") else ""
            html_rows.append(f'<tr><th class="l sub">{escape(name)}</th>'
                             + "".join(f"<td{cls}>{escape(v)}</td>" for v in values) + "</tr>")  # fmt: skip
    head = '<tr><th class="l"></th>' + "".join(f"<th>{escape(c)}</th>" for c in columns) + "</tr>"
    summary = _comparison_summary(data)
    return (f'<h3>Co-exploration vs the sequential way, same budget</h3><div class="table-wrap"><table class="compare">'
            f"<thead>{head}</thead><tbody>{''.join(html_rows)}</tbody></table></div>{summary}")  # fmt: skip


def _brief_value(brief: dict[str, Any] | None, field: str) -> str:
    if brief is None:
        return fmt.MISSING
    if field == "accuracy":
        return fmt.acc(brief.get("accuracy"))
    if field == "total_ms":
        return f"{fmt.ms(brief.get('total_ms'))} ({fmt.ms(brief.get('compute_ms'))} / {fmt.ms(brief.get('memory_ms'))})"
    if field == "feasible":
        return {True: "yes", False: "no"}.get(brief.get("feasible"), fmt.MISSING)  # type: ignore[arg-type]
    return str(brief.get(field) or fmt.MISSING)


def _comparison_summary(data: dict[str, Any]) -> str:
    ratio = data.get("hypervolume_ratio")
    wasted = data.get("trainings_wasted_by_sequential")
    parts = []
    if ratio is not None:
        parts.append(f"co-exploration reaches {ratio:.2f}× the sequential hypervolume")
    if wasted is not None:
        parts.append(f"the sequential search spent {wasted} training(s) on networks that miss the latency budget "
                     "or do not fit the board")  # fmt: skip
    return f'<p class="note">{escape("; ".join(parts))}.</p>' if parts else ""
