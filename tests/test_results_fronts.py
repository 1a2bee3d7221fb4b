"""Pareto fronts, hypervolume (against a grid count and Optuna's own), non-dominated ranks, the
study's ranking and the hypervolume reference rule."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coexplore.results import (
    HypervolumeReference,
    TrialRecord,
    hypervolume,
    hypervolume_reference,
    non_dominated_ranks,
    pareto_front,
    pareto_mask,
    points_hypervolume,
    rank_records,
)


def rec(number, accuracy, total_ms, *, feasible=True, status="complete", spec=None) -> TrialRecord:
    complete = status == "complete"
    return TrialRecord(
        number=number, strategy="coexplore", spec=spec or f"net{number}", design_str=f"d{number}", status=status,
        evaluation="table" if status != "rejected_hw" else "none", accuracy=accuracy if complete else None,
        compute_ms=total_ms / 4, memory_ms=total_ms * 3 / 4, total_ms=total_ms, fits=True,
        feasible=feasible and complete,
    )  # fmt: skip


def ref(accuracy: float, total_ms: float) -> HypervolumeReference:
    return HypervolumeReference(accuracy=accuracy, total_ms=total_ms)


def dominates(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """(accuracy, ms): `a` is at least as accurate and as fast as `b`, and better in one."""
    return a[0] >= b[0] and a[1] <= b[1] and a != b


def test_pareto_front_keeps_only_non_dominated_feasible_records():
    records = [
        rec(0, 50.0, 10.0),
        rec(1, 60.0, 20.0),
        rec(2, 55.0, 25.0),  # dominated by 1
        rec(3, 70.0, 40.0),
        rec(4, 90.0, 5.0, feasible=False),  # infeasible: ignored
        rec(5, 99.0, 1.0, status="rejected_hw"),
        rec(6, 50.0, 10.0),  # duplicate point of 0: kept once, the earlier one
        rec(7, 50.0, 12.0),  # same accuracy as 0, slower: dominated
    ]
    assert [r.number for r in pareto_front(records)] == [0, 1, 3]


def test_pareto_mask_marks_the_first_of_equal_points():
    assert pareto_mask([50.0, 50.0, 60.0], [10.0, 10.0, 20.0]).tolist() == [True, False, True]
    assert pareto_mask([], []).tolist() == []


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=14))
def test_pareto_mask_equals_brute_force(points):
    # small integer grids make ties and duplicates common
    mask = pareto_mask([p[0] for p in points], [p[1] for p in points])
    for i, point in enumerate(points):
        undominated = not any(dominates(other, point) for other in points)
        first = points.index(point) == i
        assert mask[i] == (undominated and first)


def test_hypervolume_by_hand():
    # Reference (acc 0, 50 ms). Front: (50 %, 10 ms), (60 %, 20 ms), (70 %, 40 ms).
    # Slabs from the slowest: (50−40)·70 + (40−20)·60 + (20−10)·50 = 700 + 1200 + 500 = 2400.
    records = [rec(0, 50.0, 10.0), rec(1, 60.0, 20.0), rec(2, 55.0, 25.0), rec(3, 70.0, 40.0)]
    assert hypervolume(records, ref(0.0, 50.0)) == pytest.approx(2400.0)
    # Reference accuracy 55: only the part above 55 counts: (50−40)·15 + (40−20)·5 = 250.
    assert hypervolume(records, ref(55.0, 50.0)) == pytest.approx(250.0)
    # A point outside the reference box adds nothing; infeasible records add nothing.
    assert hypervolume([rec(0, 50.0, 60.0)], ref(0.0, 50.0)) == 0.0
    assert hypervolume([rec(0, 50.0, 10.0, feasible=False)], ref(0.0, 50.0)) == 0.0
    assert hypervolume([], ref(0.0, 50.0)) == 0.0


def _grid_hypervolume(points, reference, steps=400):
    """Independent estimate: count grid cells dominated by at least one point."""
    hi_acc = max([p[0] for p in points] + [reference.accuracy])
    da, dm = (hi_acc - reference.accuracy) / steps, reference.total_ms / steps
    covered = 0
    for i in range(steps):
        a = reference.accuracy + (i + 0.5) * da
        for j in range(steps):
            m = (j + 0.5) * dm
            if any(pa >= a and pm <= m for pa, pm in points):
                covered += 1
    return covered * da * dm


def test_hypervolume_matches_a_grid_count():
    rng = random.Random(3)
    points = [(rng.uniform(10, 90), rng.uniform(1, 45)) for _ in range(12)]
    exact = points_hypervolume([p[0] for p in points], [p[1] for p in points], ref(0.0, 50.0))
    assert exact == pytest.approx(_grid_hypervolume(points, ref(0.0, 50.0)), rel=0.02)


@pytest.mark.parametrize("seed", range(20))
def test_hypervolume_equals_optunas(seed):
    from optuna._hypervolume import compute_hypervolume

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    accuracy = np.round(rng.uniform(0, 100, n), 1)  # rounding makes ties and duplicates
    total_ms = np.round(rng.uniform(0.1, 20, n), 1)
    reference = ref(float(rng.uniform(0, 40)), float(rng.uniform(5, 25)))
    ours = points_hypervolume(accuracy, total_ms, reference)
    # Optuna minimises every objective and needs every point inside the reference box
    inside = (accuracy < reference.accuracy) | (total_ms > reference.total_ms)
    losses = np.column_stack([-accuracy, total_ms])[~inside]
    theirs = compute_hypervolume(losses, np.array([-reference.accuracy, reference.total_ms]))
    assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(1, 99), st.floats(0.1, 99)), min_size=1, max_size=12))
def test_hypervolume_invariants(points):
    records = [rec(i, a, m) for i, (a, m) in enumerate(points)]
    reference = ref(0.0, 100.0)
    volume = hypervolume(records, reference)
    assert volume >= 0
    # the front alone has the same volume; adding a point never lowers it
    assert hypervolume(pareto_front(records), reference) == pytest.approx(volume)
    assert hypervolume(records + [rec(99, 50.0, 50.0)], reference) >= volume - 1e-9
    front = [(r.accuracy, r.total_ms) for r in pareto_front(records)]
    assert not any(dominates(a, b) for a, b in itertools.permutations(front, 2))


def test_non_dominated_ranks_layers():
    # (accuracy, ms): 0 and 2 are on the front; 1 is dominated by 0; 3 by 0, 1 and 2.
    ranks = non_dominated_ranks([50, 40, 60, 30], [10, 20, 30, 40])
    assert ranks.tolist() == [0, 1, 0, 2]
    assert non_dominated_ranks([], []).tolist() == []


def test_rank_records_front_first_then_accuracy():
    records = [
        rec(0, 50, 10),
        rec(1, 40, 20),
        rec(2, 60, 30),
        rec(3, 30, 40),
        rec(4, 80, 5, feasible=False),
        rec(5, 60, 30, spec="net2"),  # the same network on the same design again (a repeat): listed once
    ]
    records[5].design_str = "d2"
    assert [r.number for r in rank_records(records)] == [2, 0, 1, 3]


def test_hypervolume_reference_rule():
    # a latency budget is the reference latency; the accuracy floor the reference accuracy
    assert hypervolume_reference([3.0, 9.0], accuracy_floor=40.0, latency_budget_ms=5.0) == ref(40.0, 5.0)
    # without a budget: 10 % past the slowest design, so that design still adds volume
    no_budget = hypervolume_reference([3.0, 9.0], accuracy_floor=None, latency_budget_ms=None)
    assert (no_budget.accuracy, no_budget.total_ms) == (0.0, pytest.approx(9.9))
    # nothing to measure: 1.1 ms, still a valid corner
    assert hypervolume_reference([], accuracy_floor=None, latency_budget_ms=None).total_ms == pytest.approx(1.1)
