"""The report's tables and progress curves against recomputations from the trial records."""

from __future__ import annotations

import pytest
from test_report_fixture import HV_REFERENCE, build_results, run_dir  # noqa: F401  (fixture)

from coexplore.report.progress import progress
from coexplore.report.tables import (
    best_design,
    per_op_rows,
    strategy_rows,
    time_by_kind,
    time_split,
    topk_markdown,
    topk_rows,
    trial_rows,
)
from coexplore.results import RunResults, load_results


@pytest.fixture
def results(run_dir) -> RunResults:  # noqa: F811
    return load_results(run_dir)


def recomputed_topk(data: dict) -> list[dict]:
    """The paper's quantities straight from the records: 100·(baseline − design)/baseline (Qiu et al. 2021)."""
    base = data["baseline"]
    trials = {t["number"]: t for t in data["strategies"][data["topk"]["strategy"]]["trials"]}
    rows = []
    for row in data["topk"]["rows"]:
        t = trials[row["number"]]
        rows.append({
            "number": t["number"], "accuracy": t["accuracy"], "accuracy_loss": base["accuracy"] - t["accuracy"],
            **{f"{p}_ms": t[f"{p}_ms"] for p in ("compute", "memory", "total")},
            **{f"{p}_faster_pct": 100 * (base[f"{p}_ms"] - t[f"{p}_ms"]) / base[f"{p}_ms"]
               for p in ("compute", "memory", "total")},
        })  # fmt: skip
    return rows


def test_topk_rows_equal_recomputation_from_records(results: RunResults) -> None:
    data = build_results()
    expected = recomputed_topk(data)
    rows = topk_rows(results)
    assert [r["row"] for r in rows] == ["baseline", "1", "2", "3", "4", "5", "average"]
    assert rows[0]["total_ms"] == data["baseline"]["total_ms"] and rows[0]["total_faster_pct"] == 0.0
    for got, want in zip(rows[1:-1], expected):
        assert got["number"] == want["number"]
        for key, value in want.items():
            assert got[key] == pytest.approx(value, abs=1e-9), key
    average = rows[-1]
    for key in ("accuracy_loss", "compute_faster_pct", "memory_faster_pct", "total_faster_pct", "total_ms"):
        assert average[key] == pytest.approx(sum(r[key] for r in expected) / len(expected), abs=1e-9), key


def test_average_is_recomputed_when_missing(run_dir) -> None:  # noqa: F811
    data = build_results()
    data["topk"]["average"] = None
    from test_report_fixture import write_run

    rows = topk_rows(load_results(write_run(run_dir, data)))
    expected = recomputed_topk(data)
    assert rows[-1]["memory_faster_pct"] == pytest.approx(sum(r["memory_faster_pct"] for r in expected) / 5)


def test_markdown_has_one_line_per_row(results: RunResults) -> None:
    text = topk_markdown(results)
    table_lines = [line for line in text.splitlines() if line.startswith("|")]
    assert len(table_lines) == 2 + 7  # header, rule, baseline + 5 designs + average
    assert "| **average** |" in text


def test_strategy_rows_count_the_records(results: RunResults) -> None:
    data = build_results()
    rows = {r["strategy"]: r for r in strategy_rows(results)}
    assert list(rows) == ["coexplore", "sequential", "random", "hardware-only"]  # fixed order
    for name, strategy in data["strategies"].items():
        trials = strategy["trials"]
        row = rows[name]
        assert row["trials"] == len(trials)
        assert row["rejected_hw"] == sum(t["status"] == "rejected_hw" for t in trials)
        assert row["failed"] == sum(t["status"] == "failed" for t in trials)
        feasible = [t for t in trials if t["feasible"]]
        assert row["best_feasible_accuracy"] == max(t["accuracy"] for t in feasible)
        assert row["fastest_feasible_total_ms"] == min(t["total_ms"] for t in feasible)
        assert row["hypervolume"] == strategy["hypervolume"] and row["trainings"] == strategy["trainings"]


def test_trial_rows_mark_front_and_topk(results: RunResults) -> None:
    data = build_results()
    rows = trial_rows(results)
    assert len(rows) == sum(len(s["trials"]) for s in data["strategies"].values())
    coexplore = [r for r in rows if r["strategy"] == "coexplore"]
    assert {r["number"] for r in coexplore if r["pareto"]} == set(data["strategies"]["coexplore"]["pareto"])
    ranks = {r["number"]: r["topk_rank"] for r in coexplore if r["topk_rank"]}
    assert ranks == {row["number"]: i for i, row in enumerate(data["topk"]["rows"], start=1)}
    assert all(r["topk_rank"] is None for r in rows if r["strategy"] != "coexplore")


def test_best_design_and_per_op(results: RunResults) -> None:
    best = best_design(results)
    assert best is not None and best.number == results.topk.rows[0].number
    rows = per_op_rows(best)
    assert len(rows) == len(best.per_op)
    assert sum(r["share_of_total_pct"] for r in rows) == pytest.approx(100.0)
    kinds = {g["kind"]: g for g in time_by_kind(best)}
    assert sum(g["ops"] for g in kinds.values()) == len(rows)
    assert kinds["conv"]["total_ms"] == pytest.approx(sum(r["total_ms"] for r in rows if r["kind"] == "conv"))
    # Pool / upsample / add run no MACs in the fixture: they are all memory-bound.
    assert kinds["pool"]["memory_bound_ops"] == kinds["pool"]["ops"]


def test_best_design_skips_rows_without_per_op(run_dir) -> None:  # noqa: F811
    from test_report_fixture import write_run

    data = build_results()
    first = data["topk"]["rows"][0]["number"]
    for trial in data["strategies"]["coexplore"]["trials"]:
        if trial["number"] == first:
            trial["per_op"] = None
    best = best_design(load_results(write_run(run_dir, data)))
    assert best is not None and best.number == data["topk"]["rows"][1]["number"]


@pytest.mark.parametrize(("compute", "total", "split"), [
    (3.0, 5.0, (3.0, 2.0)),   # memory-bound, overlapped: 2 ms of memory not hidden
    (5.0, 5.1, (5.0, 0.1)),   # compute-bound with a small pipeline fill
    (0.0, 1.0, (0.0, 1.0)),   # pool/add: memory only
    (4.0, 3.0, (3.0, 0.0)),   # a model whose total undercuts compute still stacks to the total
])  # fmt: skip
def test_time_split_adds_up_to_total(compute: float, total: float, split: tuple[float, float]) -> None:
    assert time_split(compute, total) == pytest.approx(split)
    assert sum(time_split(compute, total)) == pytest.approx(total)


def test_progress_ends_at_the_stored_totals(results: RunResults) -> None:
    for name, strategy in results.strategies.items():
        points = progress(strategy.trials, results.hypervolume_reference)
        assert points[0].trainings == 0 and points[0].hypervolume == 0.0
        assert points[-1].trainings == strategy.trainings
        # The fixture's hypervolume was computed independently (test_report_fixture.hypervolume_of).
        assert points[-1].hypervolume == pytest.approx(strategy.hypervolume)
        volumes = [p.hypervolume for p in points]
        assert volumes == sorted(volumes)  # a front only grows
        assert HV_REFERENCE["accuracy"] == results.hypervolume_reference.accuracy
