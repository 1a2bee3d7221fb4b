"""The paper's comparison: "% faster" (positive = faster), accuracy loss (positive = worse), top-k."""

from __future__ import annotations

import pytest

from coexplore.results import TrialRecord, accuracy_loss, compare_topk, most_accurate, percent_faster


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


def test_topk_is_the_fastest_designs_within_the_accuracy_loss_as_the_paper_means_it():
    baseline = rec(-1, 80.0, 10.0, 30.0, 40.0)
    records = [
        rec(0, 79.0, 8.0, 24.0, 32.0),  # 20 % faster everywhere, 1 point lost: admitted
        rec(1, 78.0, 5.0, 15.0, 20.0),  # 50 % faster but 2 points lost: out at the default 1.0
        rec(2, 81.0, 9.0, 27.0, 36.0),  # more accurate than the baseline, 10 % faster: admitted
        rec(4, 79.5, 2.0, 6.0, 8.0),  # the fastest admitted one (80 % faster, 0.5 lost): ranked first
        rec(3, 99.0, 1.0, 1.0, 1.0, feasible=False),  # infeasible: never in the table
    ]
    table = compare_topk(baseline, records, k=2, strategy="coexplore")
    assert table.k == 2 and table.strategy == "coexplore" and table.max_accuracy_loss == 1.0
    rows = table.rows
    assert [r.number for r in rows] == [4, 0]  # ranked by total latency, not by accuracy
    assert (rows[1].compute_faster_pct, rows[1].memory_faster_pct, rows[1].total_faster_pct) == pytest.approx(
        (20.0, 20.0, 20.0))
    assert rows[1].accuracy_loss == pytest.approx(1.0)
    assert rows[0].total_faster_pct == pytest.approx(80.0)
    assert table.average.total_faster_pct == pytest.approx(50.0)
    assert table.average.accuracy_loss == pytest.approx(0.75)
    assert table.average.total_ms == pytest.approx(20.0)
    looser = compare_topk(baseline, records, k=5, strategy="coexplore", max_accuracy_loss=2.0)
    assert [r.number for r in looser.rows] == [4, 1, 0, 2]
    assert compare_topk(baseline, [], k=5, strategy="coexplore").average is None


def test_topk_reports_mean_and_sd_over_the_final_seeds():
    baseline = rec(-1, 80.0, 10.0, 30.0, 40.0)
    design = rec(0, 79.5, 8.0, 24.0, 32.0)
    seeds = {"net-1": [80.0, 79.0, 81.0], "net0": [79.5, 77.5, 78.5]}
    table = compare_topk(baseline, [design], k=5, strategy="coexplore", seed_accuracies=seeds)
    row = table.rows[0]
    assert (row.accuracy, row.accuracy_sd, row.trainings) == pytest.approx((78.5, 1.0, 3))
    assert row.accuracy_loss == pytest.approx(1.5)  # from the means: more than admitted, and shown
    assert (table.reference_accuracy, table.reference_accuracy_sd, table.reference_trainings) == pytest.approx(
        (80.0, 1.0, 3))


def test_topk_against_the_most_accurate_feasible_network():
    records = [rec(0, 70.0, 8.0, 24.0, 32.0), rec(1, 75.0, 9.0, 27.0, 36.0), rec(2, 74.5, 4.0, 12.0, 16.0),
               rec(3, 90.0, 1.0, 1.0, 1.0, feasible=False)]
    best = most_accurate(records)
    assert best.number == 1
    table = compare_topk(best, records, k=5, strategy="coexplore", reference_label="most accurate")
    assert table.reference == "most accurate" and table.reference_spec == "net1"
    assert [r.number for r in table.rows] == [2]  # never the reference itself
    assert table.rows[0].total_faster_pct == pytest.approx(100 * (36 - 16) / 36)
    assert table.rows[0].accuracy_loss == pytest.approx(0.5)


def test_compare_topk_against_an_unevaluated_baseline_has_no_percentages():
    baseline = TrialRecord(number=-1, strategy="baseline", spec="base", status="failed", evaluation="none")
    table = compare_topk(baseline, [rec(0, 79.0, 8.0, 24.0, 32.0)], k=5, strategy="coexplore")
    row = table.rows[0]
    assert (row.total_faster_pct, row.accuracy_loss) == (None, None)
    assert table.average.total_faster_pct is None and table.average.total_ms == pytest.approx(32.0)
