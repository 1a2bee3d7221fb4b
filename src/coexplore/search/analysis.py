"""What a search found: Pareto fronts, hypervolume, the study's ranking and the paper's top-k table.

Everything here works on plain `TrialRecord` dicts (the run folder contract, see `records.py`), so
the report, the benchmark and the tests use the same numbers. Objectives: accuracy (%, maximise)
and total latency on the board (ms, minimise). Only *feasible* records count: complete, fitting,
within the latency budget and above the accuracy floor (`record["feasible"]`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

# The paper's comparison (Qiu et al., ICET 2021, abstract): % faster in computation, memory access
# and total, and the accuracy loss, per top-k design and on average.
TIME_KEYS: tuple[str, ...] = ("compute_ms", "memory_ms", "total_ms")
# Default hypervolume reference latency: this much past the slowest design, so that design still
# adds a sliver of volume (used for results.json, the ehvi sampler and the benchmark alike).
HV_LATENCY_MARGIN = 1.1
TOPK_AVERAGE_KEYS: tuple[str, ...] = (
    "accuracy",
    *TIME_KEYS,
    "compute_faster_pct",
    "memory_faster_pct",
    "total_faster_pct",
    "accuracy_loss",
)


def _usable(record: dict) -> bool:
    return (
        bool(record.get("feasible"))
        and record.get("status") == "complete"
        and record.get("accuracy") is not None
        and record.get("total_ms") is not None
    )


def dominates(a: dict, b: dict) -> bool:
    """`a` is at least as accurate and as fast as `b`, and strictly better in one of the two."""
    acc_a, acc_b = float(a["accuracy"]), float(b["accuracy"])
    ms_a, ms_b = float(a["total_ms"]), float(b["total_ms"])
    return acc_a >= acc_b and ms_a <= ms_b and (acc_a > acc_b or ms_a < ms_b)


def pareto_front(records: Iterable[dict]) -> list[dict]:
    """The feasible complete records no other one dominates, sorted by total_ms (fastest first).

    Duplicates of the same (accuracy, total_ms) point are kept once (the first in input order).
    """
    points = _sorted_points([r for r in records if _usable(r)])
    front: list[dict] = []
    best_accuracy = float("-inf")
    for record in points:  # fastest first; ties: most accurate first
        if float(record["accuracy"]) > best_accuracy:
            front.append(record)
            best_accuracy = float(record["accuracy"])
    return front


def _sorted_points(records: list[dict]) -> list[dict]:
    # stable sort: equal points keep input order, so the earliest trial represents a duplicate
    return sorted(records, key=lambda r: (float(r["total_ms"]), -float(r["accuracy"])))


def hypervolume(records: Iterable[dict], ref_accuracy: float, ref_total_ms: float) -> float:
    """Exact 2-D hypervolume (units: accuracy points × ms) dominated by the feasible records.

    The region counted is bounded by the reference point: accuracy above `ref_accuracy` and latency
    below `ref_total_ms`. Points outside it contribute nothing. Larger is better.
    """
    front = [
        r
        for r in pareto_front(records)
        if float(r["accuracy"]) > ref_accuracy and float(r["total_ms"]) < ref_total_ms
    ]
    volume = 0.0
    # Sweep from the slowest front point to the fastest: each adds a slab between its latency and
    # the next slower point's (or the reference), at its own accuracy height.
    right_ms = ref_total_ms
    for record in reversed(front):  # slowest (most accurate) first
        ms, acc = float(record["total_ms"]), float(record["accuracy"])
        volume += (right_ms - ms) * (acc - ref_accuracy)
        right_ms = ms
    return volume


def non_dominated_ranks(records: Sequence[dict]) -> list[int]:
    """Non-dominated sorting rank (0 = on the front) of each record, in input order."""
    ranks = [-1] * len(records)
    remaining = set(range(len(records)))
    rank = 0
    while remaining:
        layer = {i for i in remaining if not any(dominates(records[j], records[i]) for j in remaining if j != i)}
        for i in layer:
            ranks[i] = rank
        remaining -= layer
        rank += 1
    return ranks


def rank_records(records: Iterable[dict]) -> list[dict]:
    """The study's ranking, best first: feasible complete records only.

    1. Pareto layer of (accuracy ↑, total_ms ↓): records on the front come first, then the front
       of what remains, and so on (non-dominated sorting, as NSGA-II ranks a population);
    2. within a layer, higher accuracy first (the paper reports its top designs against the
       baseline's accuracy, so the near-lossless end of the front leads);
    3. then lower total_ms, then the trial number (deterministic ties).

    The same network seen twice (a repeat proposal, or one served from the cache) appears once.
    """
    unique: dict[tuple, dict] = {}
    for record in records:
        if _usable(record):
            unique.setdefault((record.get("spec"), record.get("design_str")), record)
    usable = list(unique.values())
    ranks = non_dominated_ranks(usable)
    order = sorted(
        range(len(usable)),
        key=lambda i: (
            ranks[i],
            -float(usable[i]["accuracy"]),
            float(usable[i]["total_ms"]),
            int(usable[i].get("number", 0)),
        ),
    )
    return [usable[i] for i in order]


def percent_faster(baseline_value: float, design_value: float) -> float:
    """The paper's "% faster": 100 · (baseline − design) / baseline (negative = slower)."""
    if baseline_value <= 0:
        return 0.0
    return 100.0 * (baseline_value - design_value) / baseline_value


def compare_topk(baseline: dict, records: list[dict], k: int = 5, strategy: str = "coexplore") -> dict:
    """The paper's table: the top-k records by `rank_records` against the baseline.

    Per row: % faster in compute / memory / total time than the baseline and the accuracy loss in
    points (baseline − design; positive = worse). `average` is the mean of every numeric column
    over the rows (None when there are no rows), as the paper averages its top 5.
    """
    rows = []
    for record in rank_records(records)[:k]:
        row = {
            "number": int(record["number"]),
            "spec": record["spec"],
            "design_str": record.get("design_str"),
            "accuracy": float(record["accuracy"]),
        }
        for key in TIME_KEYS:
            row[key] = float(record[key])
            base = baseline.get(key)
            row[key.replace("_ms", "_faster_pct")] = percent_faster(float(base), row[key]) if base is not None else 0.0
        base_acc = baseline.get("accuracy")
        row["accuracy_loss"] = float(base_acc) - row["accuracy"] if base_acc is not None else 0.0
        rows.append(row)
    average = {key: sum(row[key] for row in rows) / len(rows) for key in TOPK_AVERAGE_KEYS} if rows else None
    return {"strategy": strategy, "k": k, "rows": rows, "average": average}
