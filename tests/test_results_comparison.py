"""The paper's comparison: "% faster" (positive = faster), accuracy loss (positive = worse), top-k."""

from __future__ import annotations

import pytest

from coexplore.results import TrialRecord, accuracy_loss, compare_topk, percent_faster


def rec(number, accuracy, compute_ms, memory_ms, total_ms, *, feasible=True) -> TrialRecord:
    return TrialRecord(
        number=number, strategy="coexplore", spec=f"net{number}", design_str=f"d{number}", status="complete",
        evaluation="table", accuracy=accuracy, compute_ms=compute_ms, memory_ms=memory_ms, total_ms=total_ms,
        fits=True, feasible=feasible,
    )  # fmt: skip


def test_percent_faster_follows_the_paper():
    # 100 · (baseline − design) / baseline (Qiu et al., ICET 2021): positive = the design is faster
    assert percent_faster(10.0, 8.0) == pytest.approx(20.0)
    assert percent_faster(10.0, 12.0) == pytest.approx(-20.0)
    assert percent_faster(10.0, 10.0) == 0.0


@pytest.mark.parametrize(("baseline", "design"), [(0.0, 5.0), (-4.0, 2.0), (None, 5.0), (10.0, None)])
def test_percent_faster_without_a_usable_baseline_is_none(baseline, design):
    # no percentage of zero, and no sign flip from a negative baseline
    assert percent_faster(baseline, design) is None


def test_accuracy_loss_is_positive_when_worse():
    assert accuracy_loss(80.0, 78.5) == pytest.approx(1.5)
    assert accuracy_loss(80.0, 81.0) == pytest.approx(-1.0)
    assert accuracy_loss(None, 81.0) is None


def test_compare_topk_rows_and_average():
    baseline = rec(-1, 80.0, 10.0, 30.0, 40.0)
    records = [
        rec(0, 79.0, 8.0, 24.0, 32.0),  # 20 % faster everywhere, 1 point lost
        rec(1, 78.0, 5.0, 15.0, 20.0),  # 50 % faster, 2 points lost
        rec(2, 60.0, 9.0, 27.0, 36.0),  # dominated by 0 (second layer)
        rec(3, 99.0, 1.0, 1.0, 1.0, feasible=False),  # infeasible: never in the table
    ]
    table = compare_topk(baseline, records, k=2, strategy="coexplore")
    assert table.k == 2 and table.strategy == "coexplore"
    rows = table.rows
    assert [r.number for r in rows] == [0, 1]
    assert (rows[0].compute_faster_pct, rows[0].memory_faster_pct, rows[0].total_faster_pct) == pytest.approx(
        (20.0, 20.0, 20.0))
    assert rows[0].accuracy_loss == pytest.approx(1.0)
    assert rows[1].total_faster_pct == pytest.approx(50.0)
    assert table.average.total_faster_pct == pytest.approx(35.0)
    assert table.average.accuracy_loss == pytest.approx(1.5)
    assert table.average.total_ms == pytest.approx(26.0)
    assert compare_topk(baseline, [], k=5, strategy="coexplore").average is None


def test_compare_topk_against_an_unevaluated_baseline_has_no_percentages():
    baseline = TrialRecord(number=-1, strategy="baseline", spec="base", status="failed", evaluation="none")
    table = compare_topk(baseline, [rec(0, 79.0, 8.0, 24.0, 32.0)], k=5, strategy="coexplore")
    row = table.rows[0]
    assert (row.total_faster_pct, row.accuracy_loss) == (None, None)
    assert table.average.total_faster_pct is None and table.average.total_ms == pytest.approx(32.0)
