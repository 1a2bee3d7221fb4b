"""The report's tables as plain rows (lists of dicts), and their CSV, Markdown and rich forms.

Rows are the single source for every output: the HTML page, the CSV files, the terminal table and
`--json` all print the same dicts, so they cannot disagree.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from rich import box
from rich.table import Table

from coexplore.report import fmt
from coexplore.results import TRIAL_STATUSES, RunResults, TopK, TrialRecord, topk_average

# The reference paper's top-5 average against its baseline (Qiu et al., "A CNN/FPGA Co-Exploration
# Method Based on Hourglass Network", ICET 2021, abstract; REFERENCES.md). Shown for context only.
PAPER_TOP5_AVERAGE = {
    "label": "Qiu et al. ICET 2021, top-5 average",
    "compute_faster_pct": 22.44,
    "memory_faster_pct": 16.48,
    "total_faster_pct": 17.81,
    "accuracy_loss": 0.75,
    "gpu_hours": 75.0,
}

STRATEGY_ORDER = ("coexplore", "sequential", "random", "hardware-only")
_TERMINAL_PADDING = (0, 1, 0, 0)  # one space after each cell plus the separator: fits ~100 columns

TOPK_COLUMNS = [
    "row", "number", "spec", "design_str", "accuracy", "accuracy_sd", "trainings", "accuracy_loss",
    "compute_ms", "memory_ms", "total_ms", "compute_faster_pct", "memory_faster_pct", "total_faster_pct",
]  # fmt: skip
STRATEGY_COLUMNS = [
    "strategy", "trials", "complete", "rejected_hw", "failed", "pruned", "feasible", "trainings",
    "train_seconds", "trained_seconds", "replayed_seconds", "gpu_hours", "hypervolume", "pareto_size", "best_feasible_accuracy",
    "best_feasible_total_ms", "fastest_feasible_total_ms",
]  # fmt: skip
TRIAL_COLUMNS = [
    "strategy", "number", "status", "feasible", "pareto", "topk_rank", "accuracy", "compute_ms", "memory_ms",
    "total_ms", "dsp", "bram18", "bandwidth_gbps", "fits", "evaluation", "train_seconds", "train_device", "cached", "spec",
    "design_str", "reason",
]  # fmt: skip
PER_OP_COLUMNS = [
    "index", "name", "kind", "shape", "compute_ms", "memory_ms", "total_ms", "bottleneck", "share_of_total_pct",
]  # fmt: skip


def ordered_strategies(results: RunResults) -> list[str]:
    """Known strategies in a fixed order (coexplore first), then any others by name."""
    names = list(results.strategies)
    known = [s for s in STRATEGY_ORDER if s in names]
    return known + sorted(n for n in names if n not in STRATEGY_ORDER)


# --- top-k -------------------------------------------------------------------------------------


def topk_reference(results: RunResults, topk: TopK) -> TrialRecord | None:
    """The record a top-k table compares against: the baseline, or the run's most accurate
    feasible network (found among the strategies' trials)."""
    if topk.reference == "baseline":
        return results.baseline
    trials = (t for result in results.strategies.values() for t in result.trials)
    return next((t for t in trials if t.spec == topk.reference_spec and t.feasible), None)


def topk_rows(results: RunResults, topk: TopK | None = None) -> list[dict[str, Any]]:
    """The reference, the top-k designs (the fastest within the accuracy loss), and their average,
    as the paper reports; `topk` defaults to the table against the baseline."""
    topk = topk or results.topk
    base = topk_reference(results, topk) or results.baseline
    accuracy = topk.reference_accuracy if topk.reference_accuracy is not None else base.accuracy
    rows: list[dict[str, Any]] = [
        {
            "row": "baseline" if topk.reference == "baseline" else "reference", "number": base.number,
            "spec": base.spec, "design_str": base.design_str, "accuracy": accuracy,
            "accuracy_sd": topk.reference_accuracy_sd, "trainings": topk.reference_trainings, "accuracy_loss": 0.0,
            "compute_ms": base.compute_ms, "memory_ms": base.memory_ms, "total_ms": base.total_ms,
            "compute_faster_pct": 0.0, "memory_faster_pct": 0.0, "total_faster_pct": 0.0,
        }
    ]  # fmt: skip
    rows += [{"row": str(rank), **row.model_dump()} for rank, row in enumerate(topk.rows, start=1)]
    average = topk.average or topk_average(topk.rows)
    if average is not None:
        rows.append({"row": "average", "number": None, "spec": f"top-{len(topk.rows)} average", "design_str": None,
                     **average.model_dump()})  # fmt: skip
    return [{c: r.get(c) for c in TOPK_COLUMNS} for r in rows]


def topk_rich_table(results: RunResults, with_paper: bool = True, topk: TopK | None = None) -> Table:
    """The terminal version: each time cell carries its "% faster" so the table fits ~100 columns."""
    topk = topk or results.topk
    reference = "the baseline" if topk.reference == "baseline" else "the most accurate feasible network"
    within = "any loss" if topk.max_accuracy_loss is None else f"loss ≤ {topk.max_accuracy_loss:g} pt"
    found = f", {len(topk.rows)} found" if len(topk.rows) < topk.k else ""
    title = (f"top-{topk.k} {topk.strategy} designs vs {reference} ({within}, fastest first"
             f"{found}) on {results.device_name} ({results.precision}); ms (% faster than {reference}, + = faster)")  # fmt: skip
    table = Table(title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False,
                  padding=_TERMINAL_PADDING)
    table.add_column("", no_wrap=True)
    table.add_column("trial", justify="right", no_wrap=True)
    table.add_column("spec", overflow="fold", min_width=12)
    table.add_column(f"{results.metric} mean±SD (n)", justify="right", no_wrap=True)
    table.add_column("loss pt (+ = worse)", justify="right", no_wrap=True)
    for name in ("compute", "memory", "total"):
        table.add_column(name, justify="right", no_wrap=True)
    for row in topk_rows(results, topk):
        label = row["row"]
        reference_row = label in ("baseline", "reference")
        table.add_row(
            label, "" if row["number"] is None else str(row["number"]), "" if label == "average" else row["spec"],
            _accuracy_cell(row), "" if reference_row else fmt.points(row["accuracy_loss"]),
            *(_time_with_pct(row[f"{part}_ms"], row[f"{part}_faster_pct"], label) for part in ("compute", "memory", "total")),
            style="bold" if label == "average" else None, end_section=label in ("baseline", "reference", "average"),
        )  # fmt: skip
    if with_paper and topk.rows and topk.reference == "baseline":
        paper = PAPER_TOP5_AVERAGE
        table.add_row(
            "paper", "", "Qiu et al. 2021", "", fmt.points(paper["accuracy_loss"]),
            *(f"({_compact_pct(paper[f'{part}_faster_pct'])})" for part in ("compute", "memory", "total")), style="dim",
        )  # fmt: skip
    return table


def _accuracy_cell(row: dict[str, Any]) -> str:
    text = fmt.acc(row["accuracy"])
    if row.get("accuracy_sd") is not None:
        text += f"±{row['accuracy_sd']:.2f}"
    return text + (f" ({row['trainings']})" if row.get("trainings") else "")


def _compact_pct(value: float) -> str:
    return f"{value:+.1f}%"  # the terminal gets one decimal; CSV, JSON and HTML keep full precision


def _time_with_pct(ms_value: float | None, pct_value: float | None, row: str) -> str:
    text = fmt.ms(ms_value)
    if row in ("baseline", "reference") or pct_value is None:
        return text
    color = "green" if pct_value > 0 else "red" if pct_value < 0 else "default"
    return f"{text} [{color}]({_compact_pct(pct_value)})[/]"


def topk_markdown(results: RunResults) -> str:
    """The top-k table in GitHub Markdown, ready for a paper draft or a pull request."""
    header = ["", "trial", "spec", results.metric, "acc. loss", "compute ms", "compute faster",
              "memory ms", "memory faster", "total ms", "total faster"]  # fmt: skip
    lines = [
        f"Top-{len(results.topk.rows)} `{results.topk.strategy}` designs vs the baseline on "
        f"{results.device_name} ({results.precision}); % faster = 100·(baseline − design)/baseline.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---"] * 3 + ["---:"] * (len(header) - 3)) + "|",
    ]
    for row in topk_rows(results):
        base = row["row"] == "baseline"
        cells = [
            f"**{row['row']}**" if row["row"] == "average" else row["row"],
            "" if row["number"] is None else str(row["number"]), f"`{row['spec']}`",
            fmt.acc(row["accuracy"]), fmt.points(row["accuracy_loss"]),
            fmt.ms(row["compute_ms"]), "" if base else fmt.pct(row["compute_faster_pct"]),
            fmt.ms(row["memory_ms"]), "" if base else fmt.pct(row["memory_faster_pct"]),
            fmt.ms(row["total_ms"]), "" if base else fmt.pct(row["total_faster_pct"]),
        ]  # fmt: skip
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


# --- per strategy ------------------------------------------------------------------------------


def best_feasible(trials: list[TrialRecord]) -> TrialRecord | None:
    """The most accurate feasible complete trial (ties: the faster one)."""
    feasible = [t for t in trials if t.feasible]
    return max(feasible, key=lambda t: (t.accuracy, -t.total_ms), default=None)  # type: ignore[operator]


def seconds_by_source(trials: list[TrialRecord], evaluation: str) -> float:
    """Training seconds of the records evaluated one way: "trained" ran now, "table" is the time the
    tabular benchmark's training took when the table was built (a replay trains nothing)."""
    return sum(t.train_seconds for t in trials if t.evaluation == evaluation)


def strategy_rows(results: RunResults) -> list[dict[str, Any]]:
    rows = []
    for name in ordered_strategies(results):
        result = results.strategies[name]
        trials = result.trials
        best = best_feasible(trials)
        feasible_ms = [t.total_ms for t in trials if t.feasible]
        counts = {status: sum(t.status == status for t in trials) for status in TRIAL_STATUSES}
        rows.append({
            "strategy": name, "trials": len(trials), **counts, "feasible": sum(t.feasible for t in trials),
            "trainings": result.trainings, "train_seconds": result.train_seconds,
            "trained_seconds": seconds_by_source(trials, "trained"), "replayed_seconds": seconds_by_source(trials, "table"),
            "gpu_hours": result.gpu_hours,
            "hypervolume": result.hypervolume, "pareto_size": len(result.pareto),
            "best_feasible_accuracy": best.accuracy if best else None,
            "best_feasible_total_ms": best.total_ms if best else None,
            "fastest_feasible_total_ms": min(feasible_ms, default=None),
        })  # fmt: skip
    return rows


def strategy_rich_table(results: RunResults) -> Table:
    budget = results.latency_budget_ms
    title = "strategies" + (f" (latency budget {fmt.ms(budget)} ms)" if budget is not None else "")
    table = Table(title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False,
                  padding=_TERMINAL_PADDING)
    # "train" is what ran now; a replay from a tabular benchmark trains nothing and says so
    columns = ["strategy", "trials", "trainings", "hw-rej", "failed", "train", "replayed", "GPU-h", "HV",
               f"best {results.metric}", "at ms"]  # fmt: skip
    for i, name in enumerate(columns):
        table.add_column(name, justify="left" if i == 0 else "right", no_wrap=True)
    for row in strategy_rows(results):
        table.add_row(
            row["strategy"], str(row["trials"]), str(row["trainings"]), str(row["rejected_hw"]),
            str(row["failed"]), fmt.seconds(row["trained_seconds"]),
            fmt.seconds(row["replayed_seconds"]) if row["replayed_seconds"] else "", f"{row['gpu_hours']:.2f}",
            f"{row['hypervolume']:.4g}", fmt.acc(row["best_feasible_accuracy"]), fmt.ms(row["best_feasible_total_ms"]),
        )  # fmt: skip
    return table


# --- trials and per-op rows --------------------------------------------------------------------


def trial_rows(results: RunResults) -> list[dict[str, Any]]:
    """Every trial of every strategy, with its Pareto membership and top-k rank."""
    topk_rank = {row.number: rank for rank, row in enumerate(results.topk.rows, start=1)}
    rows = []
    for name in ordered_strategies(results):
        result = results.strategies[name]
        front = set(result.pareto)
        for trial in sorted(result.trials, key=lambda t: t.number):
            row = trial.model_dump(include=set(TRIAL_COLUMNS))
            row["strategy"] = name
            row["pareto"] = trial.number in front
            row["topk_rank"] = topk_rank.get(trial.number) if name == results.topk.strategy else None
            rows.append({c: row.get(c) for c in TRIAL_COLUMNS})
    return rows


def best_design(results: RunResults) -> TrialRecord | None:
    """The design shown next to the baseline: the best-ranked top-k design that kept per-op costs."""
    for row in results.topk.rows:
        record = results.trial(results.topk.strategy, row.number)
        if record is not None and record.per_op:
            return record
    return None


def per_op_rows(record: TrialRecord | None) -> list[dict[str, Any]]:
    if record is None or not record.per_op:
        return []
    total_ms = sum(op.total_ms for op in record.per_op)
    return [
        {
            "index": i, "name": op.name, "kind": op.kind, "shape": op.shape, "compute_ms": op.compute_ms,
            "memory_ms": op.memory_ms, "total_ms": op.total_ms, "bottleneck": op.bottleneck,
            "share_of_total_pct": 100.0 * op.total_ms / total_ms if total_ms else 0.0,
        }  # fmt: skip
        for i, op in enumerate(record.per_op)
    ]


def time_by_kind(record: TrialRecord | None) -> list[dict[str, Any]]:
    """Per op kind: ops, compute, memory and total ms, and how many ops are memory-bound."""
    groups: dict[str, dict[str, Any]] = {}
    for op in (record.per_op or []) if record else []:
        group = groups.setdefault(op.kind, {"kind": op.kind, "ops": 0, "compute_ms": 0.0, "memory_ms": 0.0,
                                            "total_ms": 0.0, "memory_bound_ops": 0})  # fmt: skip
        group["ops"] += 1
        group["compute_ms"] += op.compute_ms
        group["memory_ms"] += op.memory_ms
        group["total_ms"] += op.total_ms
        group["exposed_memory_ms"] = group.get("exposed_memory_ms", 0.0) + time_split(op.compute_ms, op.total_ms)[1]
        group["memory_bound_ops"] += is_memory_bound(op.bottleneck, op.compute_ms, op.memory_ms)
    return sorted(groups.values(), key=lambda g: -g["total_ms"])


def memory_bound_summary(record: TrialRecord) -> str:
    """"25/32 layers memory-bound (41 % of the time)": how many layers wait on DRAM, and how much it costs."""
    ops = record.per_op or []
    bound = [op for op in ops if is_memory_bound(op.bottleneck, op.compute_ms, op.memory_ms)]
    total_ms = sum(op.total_ms for op in ops)
    share = 100.0 * sum(op.total_ms for op in bound) / total_ms if total_ms else 0.0
    return f"{len(bound)}/{len(ops)} layers memory-bound ({share:.0f} % of the time)"


def is_memory_bound(bottleneck: str, compute_ms: float, memory_ms: float) -> bool:
    """The cost model's label when it gives one ("compute", "memory", "input", ...), else the longer side."""
    label = bottleneck.lower()
    if label:
        return not label.startswith("comp")
    return memory_ms > compute_ms


def time_split(compute_ms: float, total_ms: float) -> tuple[float, float]:
    """Split an op's total into (compute, memory time not hidden behind compute).

    With double buffering the total is about max(compute, memory): the second part is the memory
    stall. Serial designs give total = compute + memory and the second part is all the memory time.
    The split always adds up to the total, so stacked bars show the total height.
    """
    compute_part = min(compute_ms, total_ms)
    return compute_part, max(total_ms - compute_part, 0.0)


# --- writers -----------------------------------------------------------------------------------


def csv_text(rows: list[dict[str, Any]], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()


def write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> Path:
    path.write_text(csv_text(rows, columns), encoding="utf-8")
    return path
