"""Pareto front, hypervolume and search-progress curves computed from trial records.

The search owns the definitions (`coexplore.search.analysis`); when that module is importable its
functions are used, so the report and the study agree to the last digit. The local versions below
follow the same documented contract (maximise accuracy, minimise total_ms, feasible complete trials
only, exact 2-D hypervolume) and keep the report usable on its own.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from typing import Any, Callable

from coexplore.report.schema import HypervolumeReference, StrategyResult, TrialRecord

Record = dict[str, Any]
HYPERVOLUME_REL_TOLERANCE = 1e-6


def _search_function(name: str, module: str = "analysis") -> Callable[..., Any] | None:
    try:
        found = importlib.import_module(f"coexplore.search.{module}")
    except ImportError:
        return None
    return getattr(found, name, None)


def spent_training(record: Record) -> bool:
    """Did this trial use a training? The search's rule when the record says how it was evaluated
    (`evaluation`: trained / cache / table / repeat / none), else: not hardware-rejected, not cached."""
    if "evaluation" in record:
        rule = _search_function("spends_budget", module="records")
        if rule is not None:
            return bool(rule(record))
    return record.get("status") != "rejected_hw" and not record.get("cached")


def _front_candidates(records: list[Record]) -> list[Record]:
    return [
        r
        for r in records
        if r.get("status") == "complete"
        and r.get("feasible")
        and r.get("accuracy") is not None
        and r.get("total_ms") is not None
    ]


def local_pareto_front(records: list[Record]) -> list[Record]:
    """Non-dominated feasible complete records, sorted by total_ms ascending (accuracy rises too)."""
    ordered = sorted(_front_candidates(records), key=lambda r: (r["total_ms"], -r["accuracy"]))
    front: list[Record] = []
    for record in ordered:
        if not front or record["accuracy"] > front[-1]["accuracy"]:
            front.append(record)
    return front


def local_hypervolume(records: list[Record], ref_accuracy: float, ref_total_ms: float) -> float:
    """Exact 2-D area dominated by the front and bounded by the reference point."""
    area = 0.0
    front = [r for r in local_pareto_front(records) if r["accuracy"] > ref_accuracy and r["total_ms"] < ref_total_ms]
    for i, record in enumerate(front):
        right_ms = front[i + 1]["total_ms"] if i + 1 < len(front) else ref_total_ms
        area += (right_ms - record["total_ms"]) * (record["accuracy"] - ref_accuracy)
    return area


def hypervolume(records: list[Record], ref_accuracy: float, ref_total_ms: float) -> float:
    fn = _search_function("hypervolume") or local_hypervolume
    return float(fn(records, ref_accuracy, ref_total_ms))


@dataclass(frozen=True)
class ProgressPoint:
    """The state of one strategy after `trainings` trainings (trial `number` was the last)."""

    trainings: int
    number: int
    hypervolume: float
    best_feasible_accuracy: float | None


def progress(trials: list[TrialRecord], reference: HypervolumeReference) -> list[ProgressPoint]:
    """Hypervolume and best feasible accuracy as trainings accumulate, in trial order.

    A trial counts as a training by `spent_training` (hardware-rejected trials and repeats are
    free). The curve starts at 0 trainings; the hypervolume is recomputed only when a
    feasible trial arrives (it cannot change otherwise).
    """
    points = [ProgressPoint(0, -1, 0.0, None)]
    feasible: list[Record] = []  # only these can move the front
    trainings, volume, best = 0, 0.0, None
    for trial in sorted(trials, key=lambda t: t.number):
        record = trial.model_dump(exclude={"per_op"})
        trained = spent_training(record)
        trainings += trained
        on_front_candidate = bool(_front_candidates([record]))
        if on_front_candidate:
            feasible.append(record)
            volume = hypervolume(feasible, reference.accuracy, reference.total_ms)
            best = record["accuracy"] if best is None else max(best, record["accuracy"])
        if trained or on_front_candidate:
            points.append(ProgressPoint(trainings, trial.number, volume, best))
    return points


def hypervolume_mismatches(strategies: dict[str, StrategyResult], reference: HypervolumeReference) -> list[str]:
    """Strategies whose stored hypervolume differs from the one recomputed from their trials."""
    out = []
    for name, result in strategies.items():
        records = [t.model_dump(exclude={"per_op"}) for t in result.trials]
        volume = hypervolume(records, reference.accuracy, reference.total_ms)
        if not math.isclose(volume, result.hypervolume, rel_tol=HYPERVOLUME_REL_TOLERANCE, abs_tol=1e-9):
            out.append(f"strategy {name!r}: stored hypervolume {result.hypervolume:.6g} but its trials give {volume:.6g}")
    return out
