"""Where the time goes, as the report shows it: hourglass branches from real op names, the roofline
from real cost-model rows, axes that ignore far outliers, replayed vs trained time, the comparison."""

from __future__ import annotations

import csv
import math

import pytest
from test_report_fixture import build_results, write_run

from coexplore.fpga import DesignSettings, explore, get_device
from coexplore.nets import lower
from coexplore.report import build_report
from coexplore.report.axes import robust_range, spread_labels
from coexplore.report.branches import OTHER, STEM, branch_of, time_by_branch, time_by_branch_over_stacks
from coexplore.report.plots import pareto_figure
from coexplore.report.roofline import roofline
from coexplore.results import OpCost, RunResults, TrialRecord

SPEC = "hg-s2-o3-f32-m1-bottleneck-k3-nearest-r64"
# ZCU102: 2,520 DSP48E2 (Xilinx DS891), int16 = 1 DSP per MAC, 200 MHz, 2 operations per MAC
ZCU102_INT16_PEAK_GOPS = 2520 * 2 * 200e6 / 1e9


@pytest.fixture(scope="module")
def costed() -> TrialRecord:
    """SPEC on its best ZCU102 int16 design, per-op rows straight from the cost model."""
    workload = lower(SPEC)
    dse = explore(workload, get_device("zcu102"), DesignSettings(precision="int16"))
    rows = [OpCost.model_validate(op.to_dict()) for op in dse.best_cost.ops]
    return TrialRecord(number=4, strategy="coexplore", spec=SPEC, design=dse.best.to_dict(), status="complete",
                       evaluation="trained", total_ms=sum(r.total_ms for r in rows), per_op=rows)  # fmt: skip


def test_every_op_of_a_lowered_hourglass_has_its_branch() -> None:
    names = [op.name for op in lower(SPEC).ops]
    branches = {branch_of(name) for name in names}
    assert (None, OTHER) not in branches
    expected = {(None, STEM)} | {(s, f"level {lv} {path}") for s in (0, 1) for lv in (1, 2, 3)
                                 for path in ("skip", "down", "up")}  # fmt: skip
    expected |= {(s, "level 3 bottom") for s in (0, 1)} | {(0, "head"), (1, "head"), (0, "merge")}
    assert branches == expected  # the last stack merges into nothing


@pytest.mark.parametrize("name, branch", [
    ("stem.res2.conv1", (None, "stem")),
    ("s0.hg.l1.up.m0.conv1", (0, "level 1 skip")),
    ("s1.hg.l2.pool", (1, "level 2 down")),
    ("s1.hg.l2.low1.m0.add", (1, "level 2 down")),
    ("s0.hg.l3.bottom.m0.conv2", (0, "level 3 bottom")),
    ("s0.hg.l2.low3.m0.conv3", (0, "level 2 up")),
    ("s0.hg.l2.upsample", (0, "level 2 up")),
    ("skip s0.hg.l1.up.m0.add → s0.hg.l1.add", (0, "level 1 up")),  # charged where it is read
    ("s1.head.pred", (1, "head")),
    ("s0.merge.add_feat", (0, "merge")),
    ("conv3", (None, "other")),  # AlexNet
])  # fmt: skip
def test_branch_of_names(name: str, branch: tuple) -> None:
    assert branch_of(name) == branch


def test_time_by_branch_adds_up_to_the_network(costed: TrialRecord) -> None:
    rows = time_by_branch(costed)
    total = sum(op.total_ms for op in costed.per_op)  # type: ignore[union-attr]
    assert sum(r["total_ms"] for r in rows) == pytest.approx(total)
    assert sum(r["ops"] for r in rows) == len(costed.per_op)  # type: ignore[arg-type]
    assert sum(r["share_of_total_pct"] for r in rows) == pytest.approx(100.0)
    assert rows[0]["branch"] == STEM and rows[-1]["stack"] == 1
    summed = time_by_branch_over_stacks(rows)
    assert [r["branch"] for r in summed][:4] == [STEM, "level 1 skip", "level 1 down", "level 1 up"]
    assert sum(r["total_ms"] for r in summed) == pytest.approx(total)


def test_roofline_of_a_costed_design(costed: TrialRecord) -> None:
    roof = roofline(costed, get_device("zcu102").model_dump(mode="json"), "int16")
    assert roof is not None
    assert roof.board_peak_gops == pytest.approx(ZCU102_INT16_PEAK_GOPS)  # 1,008 GOP/s
    design = costed.design
    assert roof.design_peak_gops == pytest.approx(design["tm"] * design["tn"] * 2 * 0.2)  # type: ignore[index]
    # the board's 19.2 GB/s peak × its DDR efficiency, 75 % (ZCU102 PS DDR4, Manev et al. FPT'19)
    assert roof.bandwidth_gbps == pytest.approx(19.2 * 0.75)
    convs = [op for op in costed.per_op if op.macs]  # type: ignore[union-attr]
    assert len(roof.points) == len(convs) and roof.unplotted_ops == len(costed.per_op) - len(convs)  # type: ignore[arg-type]
    for point in roof.points:  # nothing beats the MAC array
        assert point.gops <= roof.design_peak_gops * (1 + 1e-9)
    stem = next(p for p in roof.points if p.name == "stem.conv")
    op = next(o for o in convs if o.name == "stem.conv")
    assert stem.intensity == pytest.approx(2 * op.macs / op.traffic_bytes)  # type: ignore[operator]
    assert stem.gops == pytest.approx(2 * op.macs / (op.total_ms / 1e3) / 1e9)  # type: ignore[operator]


def test_no_roofline_without_macs(costed: TrialRecord) -> None:
    old = costed.model_copy(update={"per_op": [op.model_copy(update={"macs": None, "traffic_bytes": None})
                                               for op in costed.per_op]})  # type: ignore[union-attr]  # fmt: skip
    assert roofline(old, {"dsp": 2520, "clock_mhz": 200.0}, "int16") is None


def test_robust_range_cuts_far_outliers_but_keeps_what_must_show() -> None:
    values = [0.5, 0.55, 0.6, 0.62, 0.7, 0.71, 0.8, 2.92]
    axis = robust_range(values, (1.0,), floor=0.0)
    assert axis is not None and axis.above == [2.92] and not axis.below
    assert axis.low < 0.5 and 1.0 < axis.high < 2.92
    assert robust_range(values[:-1], (1.0,)) is None  # nothing far out: plotly's own range
    assert robust_range(values, (3.0,)) is None  # the point the reader must see is kept


def test_spread_labels_keeps_close_labels_apart() -> None:
    positions = spread_labels([(0.70, 20.8), (0.705, 20.9), (0.2, 12.0)], (0.4, 1.0), (11.0, 22.0))
    assert positions[0] != positions[1] and positions[2] == "top center"


def test_pareto_axis_ignores_a_far_infeasible_point() -> None:
    data = build_results()
    trials = data["strategies"]["sequential"]["trials"]
    trials[0].update(total_ms=400.0, compute_ms=100.0, memory_ms=390.0, feasible=False)
    fig = pareto_figure(RunResults.model_validate(data))
    x_range = fig.layout.xaxis.range
    assert x_range is not None and x_range[1] < 40  # the budget (12 ms) and the rest stay readable
    edge = next(t for t in fig.data if (t.name or "").startswith("off the axes"))
    assert len(edge.x) == 1 and edge.x[0] < x_range[1] and "triangle-right" in edge.marker.symbol
    assert any("400" in (a.text or "") for a in fig.layout.annotations)


def test_replayed_time_is_not_training_time(tmp_path) -> None:
    data = build_results()
    for name in ("coexplore", "sequential", "random"):
        for trial in data["strategies"][name]["trials"]:
            if trial["evaluation"] == "trained":
                trial.update(evaluation="table", train_device="cpu")
    report = build_report(write_run(tmp_path / "run", data), tmp_path / "out")
    html = report.html.read_text(encoding="utf-8")
    assert "trained in this run: a replay" in html and "GPU-hours, all strategies" not in html
    rows = {r["strategy"]: r for r in csv.DictReader((tmp_path / "out" / "strategies.csv").open())}
    coexplore = data["strategies"]["coexplore"]["trials"]
    assert float(rows["coexplore"]["trained_seconds"]) == 0.0
    replayed = sum(t["train_seconds"] for t in coexplore if t["evaluation"] == "table")
    assert replayed > 0 and float(rows["coexplore"]["replayed_seconds"]) == pytest.approx(replayed)


def test_report_shows_branches_roofline_and_a_readable_comparison(tmp_path) -> None:
    report = build_report(write_run(tmp_path / "run"), tmp_path / "out")
    html = report.html.read_text(encoding="utf-8")
    assert "Time by hourglass branch" in html and "Roofline of the best design" in html
    assert "level 1 skip" in html and ">head<" in html
    assert "best.spec" not in html and "selected.total_ms" not in html  # no raw key dump
    assert "Co-exploration vs the sequential way" in html and "the sequential pick" in html
    branches = list(csv.DictReader((tmp_path / "out" / "branches_best.csv").open()))
    assert branches[0]["branch"] == STEM
    assert math.isclose(sum(float(r["share_of_total_pct"]) for r in branches), 100.0, rel_tol=1e-9)
