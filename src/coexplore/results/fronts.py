"""Pareto fronts, hypervolume and the study's ranking, for accuracy (%, maximise) and total latency
on the board (ms, minimise).

The array functions work on plain points; the record functions apply them to the feasible records
only. The 2-D hypervolume is exact and equals Optuna's `compute_hypervolume` on the same points
(tests/test_results_fronts.py checks it), computed here in numpy so results stays free of optuna.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike
from pydantic import BaseModel, ConfigDict, Field

from coexplore.results.records import TrialRecord

# The default reference latency is this much past the slowest design, so that design still adds a
# sliver of volume (results.json, the ehvi sampler and the benchmark use the same rule).
HV_LATENCY_MARGIN = 1.1
# The reference latency when there is no design at all to measure (any positive value will do).
EMPTY_REFERENCE_MS = 1.0


class HypervolumeReference(BaseModel):
    """The corner the hypervolume is measured from: the worst accuracy and latency that count
    (stated in a search config as `hv_reference`, or set by `hypervolume_reference`)."""

    model_config = ConfigDict(extra="forbid")

    accuracy: float
    total_ms: float = Field(gt=0)


def hypervolume_reference(
    latencies_ms: Iterable[float], *, accuracy_floor: float | None, latency_budget_ms: float | None
) -> HypervolumeReference:
    """The default reference point: the accuracy floor (or 0) and the latency budget (or 10 % past
    the slowest of `latencies_ms`, the designs that count)."""
    accuracy = accuracy_floor if accuracy_floor is not None else 0.0
    if latency_budget_ms is not None:
        return HypervolumeReference(accuracy=accuracy, total_ms=latency_budget_ms)
    slowest = max(latencies_ms, default=EMPTY_REFERENCE_MS)
    return HypervolumeReference(accuracy=accuracy, total_ms=slowest * HV_LATENCY_MARGIN)


# --- points ---------------------------------------------------------------------------------------


def _arrays(accuracy: ArrayLike, total_ms: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    acc, ms = np.asarray(accuracy, dtype=float).reshape(-1), np.asarray(total_ms, dtype=float).reshape(-1)
    if acc.shape != ms.shape:
        raise ValueError(f"{acc.size} accuracies but {ms.size} latencies")
    return acc, ms


def pareto_mask(accuracy: ArrayLike, total_ms: ArrayLike) -> np.ndarray:
    """Which points no other point dominates; of several equal points only the first is marked."""
    acc, ms = _arrays(accuracy, total_ms)
    order = np.lexsort((-acc, ms))  # fastest first, then most accurate first; stable for equal points
    ordered = acc[order]
    best_before = np.maximum.accumulate(np.concatenate(([-np.inf], ordered[:-1])))[: ordered.size]
    mask = np.zeros(acc.size, dtype=bool)
    mask[order] = ordered > best_before  # on the front: more accurate than everything faster
    return mask


def points_hypervolume(accuracy: ArrayLike, total_ms: ArrayLike, reference: HypervolumeReference) -> float:
    """Exact 2-D hypervolume (accuracy points × ms) that the points dominate, bounded by the
    reference: accuracy above `reference.accuracy`, latency below `reference.total_ms`."""
    acc, ms = _arrays(accuracy, total_ms)
    inside = (acc > reference.accuracy) & (ms < reference.total_ms)
    acc, ms = acc[inside], ms[inside]
    front = pareto_mask(acc, ms)
    acc, ms = acc[front], ms[front]
    order = np.argsort(ms)
    acc, ms = acc[order], ms[order]
    # each front point owns the slab from its latency to the next slower point's (or the reference)
    right_ms = np.append(ms[1:], reference.total_ms)
    return float(np.sum((right_ms - ms) * (acc - reference.accuracy)))


def non_dominated_ranks(accuracy: ArrayLike, total_ms: ArrayLike) -> np.ndarray:
    """Non-dominated sorting rank of each point (0 = on the front), as NSGA-II ranks a population."""
    acc, ms = _arrays(accuracy, total_ms)
    # dominated_by[i, j]: point j is at least as good as i in both objectives and better in one
    no_worse = (acc[None, :] >= acc[:, None]) & (ms[None, :] <= ms[:, None])
    better = (acc[None, :] > acc[:, None]) | (ms[None, :] < ms[:, None])
    dominated_by = no_worse & better
    ranks = np.full(acc.size, -1, dtype=int)
    remaining = np.ones(acc.size, dtype=bool)
    rank = 0
    while remaining.any():
        layer = remaining & ~(dominated_by & remaining[None, :]).any(axis=1)
        ranks[layer] = rank
        remaining &= ~layer
        rank += 1
    return ranks


# --- records --------------------------------------------------------------------------------------


def _feasible(records: Iterable[TrialRecord]) -> list[TrialRecord]:
    return [r for r in records if r.feasible]


def _points(records: list[TrialRecord]) -> tuple[list[float], list[float]]:
    return [float(r.accuracy) for r in records], [float(r.total_ms) for r in records]  # type: ignore[arg-type]


def pareto_front(records: Iterable[TrialRecord]) -> list[TrialRecord]:
    """The feasible records no other one dominates, fastest first; of equal points the earliest."""
    feasible = _feasible(records)
    mask = pareto_mask(*_points(feasible))
    front = [r for r, on in zip(feasible, mask) if on]
    return sorted(front, key=lambda r: float(r.total_ms))  # type: ignore[arg-type]


def hypervolume(records: Iterable[TrialRecord], reference: HypervolumeReference) -> float:
    """The hypervolume of the feasible records (see `points_hypervolume`)."""
    return points_hypervolume(*_points(_feasible(records)), reference)


def rank_records(records: Iterable[TrialRecord]) -> list[TrialRecord]:
    """The study's ranking, best first: feasible records only.

    1. Pareto layer of (accuracy ↑, total_ms ↓): records on the front come first, then the front
       of what remains, and so on;
    2. within a layer, higher accuracy first (the paper reports its top designs against the
       baseline's accuracy, so the near-lossless end of the front leads);
    3. then lower total_ms, then the trial number (deterministic ties).

    The same network on the same design seen twice (a repeat proposal, a cache hit) appears once.
    """
    unique: dict[tuple[str, str | None], TrialRecord] = {}
    for record in _feasible(records):
        unique.setdefault((record.spec, record.design_str), record)
    usable = list(unique.values())
    ranks = non_dominated_ranks(*_points(usable))
    accuracy, total_ms = _points(usable)
    order = sorted(range(len(usable)), key=lambda i: (ranks[i], -accuracy[i], total_ms[i], usable[i].number))
    return [usable[i] for i in order]
