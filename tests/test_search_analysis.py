"""Pareto front, hypervolume, ranking and the paper-style top-k table (pure functions)."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coexplore.search.analysis import (
    compare_topk,
    dominates,
    hypervolume,
    non_dominated_ranks,
    pareto_front,
    percent_faster,
    rank_records,
)


def rec(number, accuracy, total_ms, *, feasible=True, status="complete", compute_ms=None, memory_ms=None, spec=None):
    return {
        "number": number,
        "spec": spec or f"net{number}",
        "design_str": f"d{number}",
        "status": status,
        "feasible": feasible,
        "accuracy": accuracy,
        "total_ms": total_ms,
        "compute_ms": compute_ms if compute_ms is not None else total_ms / 4,
        "memory_ms": memory_ms if memory_ms is not None else total_ms * 3 / 4,
    }


def test_pareto_front_keeps_only_non_dominated_feasible_complete():
    records = [
        rec(0, 50.0, 10.0),
        rec(1, 60.0, 20.0),
        rec(2, 55.0, 25.0),  # dominated by 1
        rec(3, 70.0, 40.0),
        rec(4, 90.0, 5.0, feasible=False),  # infeasible: ignored
        rec(5, 99.0, 1.0, status="rejected_hw"),
        rec(6, 50.0, 10.0),  # duplicate point of 0: kept once
    ]
    front = pareto_front(records)
    assert [r["number"] for r in front] == [0, 1, 3]


def test_hypervolume_by_hand():
    # Reference (acc 0, 50 ms). Front: (50 %, 10 ms), (60 %, 20 ms), (70 %, 40 ms).
    # Slabs from the slowest: (50−40)·70 + (40−20)·60 + (20−10)·50 = 700 + 1200 + 500 = 2400.
    records = [rec(0, 50.0, 10.0), rec(1, 60.0, 20.0), rec(2, 55.0, 25.0), rec(3, 70.0, 40.0)]
    assert hypervolume(records, 0.0, 50.0) == pytest.approx(2400.0)
    # Reference accuracy 55: only the part above 55 counts: (50−40)·15 + (40−20)·5 = 250.
    assert hypervolume(records, 55.0, 50.0) == pytest.approx(250.0)
    # A point outside the reference box adds nothing.
    assert hypervolume([rec(0, 50.0, 60.0)], 0.0, 50.0) == 0.0
    assert hypervolume([], 0.0, 50.0) == 0.0


def _grid_hypervolume(records, ref_acc, ref_ms, steps=400):
    """Independent estimate: count grid cells dominated by at least one point."""
    pts = [(r["accuracy"], r["total_ms"]) for r in records if r["feasible"]]
    hi_acc = max([p[0] for p in pts] + [ref_acc])
    da, dm = (hi_acc - ref_acc) / steps, ref_ms / steps
    covered = 0
    for i in range(steps):
        a = ref_acc + (i + 0.5) * da
        for j in range(steps):
            m = (j + 0.5) * dm
            if any(pa >= a and pm <= m for pa, pm in pts):
                covered += 1
    return covered * da * dm


def test_hypervolume_matches_a_grid_count():
    rng = random.Random(3)
    records = [rec(i, rng.uniform(10, 90), rng.uniform(1, 45)) for i in range(12)]
    exact = hypervolume(records, 0.0, 50.0)
    assert exact == pytest.approx(_grid_hypervolume(records, 0.0, 50.0), rel=0.02)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(1, 99), st.floats(0.1, 99)), min_size=1, max_size=12))
def test_hypervolume_invariants(points):
    records = [rec(i, a, m) for i, (a, m) in enumerate(points)]
    volume = hypervolume(records, 0.0, 100.0)
    assert volume >= 0
    # the front alone has the same volume; adding a point never lowers it
    assert hypervolume(pareto_front(records), 0.0, 100.0) == pytest.approx(volume)
    assert hypervolume(records + [rec(99, 50.0, 50.0)], 0.0, 100.0) >= volume - 1e-9
    # no point of the front dominates another one
    front = pareto_front(records)
    assert not any(dominates(a, b) for a, b in itertools.permutations(front, 2))


def test_non_dominated_ranks_layers():
    records = [rec(0, 50, 10), rec(1, 40, 20), rec(2, 60, 30), rec(3, 30, 40)]
    # 0 and 2 are on the front; 1 is dominated by 0; 3 by 0, 1 and 2.
    assert non_dominated_ranks(records) == [0, 1, 0, 2]


def test_rank_records_front_first_then_accuracy():
    records = [
        rec(0, 50, 10),
        rec(1, 40, 20),
        rec(2, 60, 30),
        rec(3, 30, 40),
        rec(4, 80, 5, feasible=False),
        rec(5, 60, 30, spec="net2"),  # the same network again (a repeat): listed once
    ]
    records[5]["design_str"] = "d2"
    assert [r["number"] for r in rank_records(records)] == [2, 0, 1, 3]


def test_percent_faster_follows_the_paper():
    # 100 · (baseline − design) / baseline
    assert percent_faster(10.0, 8.0) == pytest.approx(20.0)
    assert percent_faster(10.0, 12.0) == pytest.approx(-20.0)


def test_compare_topk_rows_and_average():
    baseline = {"accuracy": 80.0, "compute_ms": 10.0, "memory_ms": 30.0, "total_ms": 40.0}
    records = [
        rec(0, 79.0, 32.0, compute_ms=8.0, memory_ms=24.0),  # 20 % faster everywhere, 1 point lost
        rec(1, 78.0, 20.0, compute_ms=5.0, memory_ms=15.0),  # 50 % faster, 2 points lost
        rec(2, 60.0, 36.0, compute_ms=9.0, memory_ms=27.0),  # dominated by 0 (second layer)
    ]
    table = compare_topk(baseline, records, k=2)
    assert table["k"] == 2 and table["strategy"] == "coexplore"
    rows = table["rows"]
    assert [r["number"] for r in rows] == [0, 1]
    assert rows[0]["compute_faster_pct"] == pytest.approx(20.0)
    assert rows[0]["memory_faster_pct"] == pytest.approx(20.0)
    assert rows[0]["total_faster_pct"] == pytest.approx(20.0)
    assert rows[0]["accuracy_loss"] == pytest.approx(1.0)
    assert rows[1]["total_faster_pct"] == pytest.approx(50.0)
    assert table["average"]["total_faster_pct"] == pytest.approx(35.0)
    assert table["average"]["accuracy_loss"] == pytest.approx(1.5)
    assert compare_topk(baseline, [], k=5)["average"] is None
