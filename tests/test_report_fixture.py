"""A realistic search run folder for the report tests, and the loader's tests.

`build_results()` plays the search: four strategies with complete, hardware-rejected, failed,
pruned and cached trials, a baseline and top-k designs with per-op rows, on ZCU102. Its numbers are
inputs (made up but plausible), never asserted results; the top-k block and fronts are derived from
the records with the contract's formulas, written out again here (so the tests do not check the
results module against itself), and the file is self-consistent. Other report test files import it
(`from test_report_fixture import ...`).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from coexplore.errors import CoexploreError
from coexplore.report import check_consistency
from coexplore.results import load_results

LATENCY_BUDGET_MS = 12.0
ACCURACY_FLOOR = 70.0
HV_REFERENCE = {"accuracy": 60.0, "total_ms": 30.0}
# ZCU102 (XCZU9EG) resources: 2,520 DSP48E2, 1,824 BRAM18 (Xilinx DS891); input data only.
ZCU102 = {"name": "zcu102", "part": "xczu9eg-ffvb1156-2-e", "dsp": 2520, "bram18": 1824, "lut": 274080,
          "ff": 548160, "ddr_gbps": 19.2, "clock_mhz": 200.0}  # fmt: skip
TOPK = 5


def hourglass_ops(stacks: int, order: int) -> list[tuple[str, str, str, float]]:
    """(name, kind, shape, relative work) for a small Newell-style hourglass, in execution order, named
    as `coexplore.nets.lower` names its ops (the report's branch view reads the names)."""
    ops = [("stem.conv", "conv", "3→64 7×7/2 128²", 9.0), ("stem.res1.conv1", "conv", "64→64 1×1 64²", 1.0),
           ("stem.res1.conv2", "conv", "64→64 3×3 64²", 4.0), ("stem.pool", "pool", "128 2×2 64²→32²", 0.4)]  # fmt: skip
    for s in range(stacks):
        for level in range(1, order + 1):
            side = 32 >> (level - 1)
            for branch in ("up", "low1"):
                if branch == "low1":
                    ops.append((f"s{s}.hg.l{level}.pool", "pool", f"128 2×2 {side}²", 0.3 / level))
                for j, (k, w) in enumerate([("1×1", 0.6), ("3×3", 2.2), ("1×1", 0.6)]):
                    ops.append((f"s{s}.hg.l{level}.{branch}.m0.conv{j + 1}", "conv", f"128 {k} {side}²", w / level))
        ops.append((f"s{s}.hg.l{order}.bottom.m0.conv2", "conv", f"128 3×3 {32 >> order}²", 0.4))
        for level in reversed(range(1, order + 1)):
            side = 32 >> (level - 1)
            ops.append((f"s{s}.hg.l{level}.low3.m0.conv2", "conv", f"128 3×3 {side // 2}²", 1.0 / level))
            ops.append((f"skip s{s}.hg.l{level}.up.m0.conv3 → s{s}.hg.l{level}.add", "skip", f"128 {side}²", 0.2 / level))
            ops.append((f"s{s}.hg.l{level}.upsample", "upsample", f"128 ×2 {side // 2}²→{side}²", 0.5 / level))
            ops.append((f"s{s}.hg.l{level}.add", "add", f"128 {side}²", 0.6 / level))
        ops.append((f"s{s}.head.pred", "conv", "128→16 1×1 32²", 0.3))
        if s + 1 < stacks:
            ops.append((f"s{s}.merge.feat", "conv", "128→128 1×1 32²", 0.5))
    return ops


def per_op_costs(total_scale: float, memory_share: float, rng: random.Random, stacks=1, order=3) -> list[dict]:
    """Overlapped costs per op (total = max(compute, memory) + a little pipeline fill)."""
    rows = []
    for name, kind, shape, work in hourglass_ops(stacks, order):
        conv = kind == "conv"
        compute_ms = total_scale * work * 0.08 * rng.uniform(0.8, 1.2) if conv else 0.0
        memory_ms = total_scale * work * 0.08 * memory_share * rng.uniform(0.5, 1.6)
        total_ms = max(compute_ms, memory_ms) * 1.02
        rows.append({"name": name, "kind": kind, "shape": shape, "compute_ms": round(compute_ms, 5),
                     "memory_ms": round(memory_ms, 5), "total_ms": round(total_ms, 5),
                     "bottleneck": "compute" if compute_ms >= memory_ms else "memory",
                     "macs": int(work * 2e6) if conv else 0, "traffic_bytes": round(work * 2e5 * rng.uniform(0.3, 3.0))})  # fmt: skip
    return rows


def record(number: int, strategy: str, rng: random.Random, status: str = "complete", **over: Any) -> dict:
    stacks, width = rng.choice([1, 2]), rng.choice([64, 96, 128, 192])
    compute_ms = rng.uniform(1.5, 6.0) * stacks
    memory_ms = rng.uniform(4.0, 12.0) * stacks
    total_ms = max(compute_ms, memory_ms) * rng.uniform(1.02, 1.15)
    tm, tn = rng.choice([(32, 16), (64, 16), (64, 32), (128, 16)])
    rec = {
        "number": number, "strategy": strategy, "spec": f"hg-s{stacks}-f{width}-o{rng.choice([3, 4])}",
        "design": {"tm": tm, "tn": tn, "tr": 16, "tc": 16, "precision": "int16", "clock_mhz": 200.0},
        "design_str": f"Tm{tm} Tn{tn} Tr16 Tc16 int16 @200MHz", "status": status, "reason": None,
        "accuracy": round(rng.uniform(72.0, 86.0) - (2 if width < 96 else 0), 2),
        "compute_ms": round(compute_ms, 4), "memory_ms": round(memory_ms, 4), "total_ms": round(total_ms, 4),
        "dsp": tm * tn, "bram18": rng.randint(300, 1500), "bandwidth_gbps": round(rng.uniform(4, 14), 2),
        "fits": True, "feasible": False, "train_seconds": round(rng.uniform(300, 900), 1),
        "train_device": "cuda:0", "cached": False, "evaluation": "trained", "per_op": None,
    }  # fmt: skip
    if "total_ms" in over and "compute_ms" not in over:  # keep total ≈ max(compute, memory)
        scale = over["total_ms"] / rec["total_ms"]
        rec["compute_ms"], rec["memory_ms"] = round(compute_ms * scale, 4), round(memory_ms * scale, 4)
    rec.update(over)
    if rec["status"] == "rejected_hw":
        rec.update(accuracy=None, train_seconds=0.0, train_device=None, evaluation="none",
                   reason=over.get("reason", "best design needs more than the latency budget"))  # fmt: skip
    if rec["status"] in ("failed", "pruned"):
        rec["accuracy"] = None
    rec["feasible"] = bool(
        rec["status"] == "complete" and rec["fits"] and rec["total_ms"] <= LATENCY_BUDGET_MS
        and rec["accuracy"] is not None and rec["accuracy"] >= ACCURACY_FLOOR
    )  # fmt: skip
    return rec


def front_numbers(trials: list[dict]) -> list[int]:
    ok = sorted((t for t in trials if t["feasible"]), key=lambda t: (t["total_ms"], -t["accuracy"]))
    front, best = [], float("-inf")
    for t in ok:
        if t["accuracy"] > best:
            front.append(t["number"])
            best = t["accuracy"]
    return front


def hypervolume_of(trials: list[dict], front: list[int]) -> float:
    by_number = {t["number"]: t for t in trials}
    pts = [by_number[n] for n in front]
    area = 0.0
    for i, p in enumerate(pts):
        right = pts[i + 1]["total_ms"] if i + 1 < len(pts) else HV_REFERENCE["total_ms"]
        area += (right - p["total_ms"]) * (p["accuracy"] - HV_REFERENCE["accuracy"])
    return area


def faster(base: float, design: float) -> float:
    # "% faster" as in Qiu et al., ICET 2021: 100·(baseline − design)/baseline.
    return 100.0 * (base - design) / base


def topk_block(baseline: dict, trials: list[dict]) -> dict:
    ranked = sorted((t for t in trials if t["feasible"]), key=lambda t: (-t["accuracy"], t["total_ms"]))[:TOPK]
    rows = []
    for t in ranked:
        rows.append({
            "number": t["number"], "spec": t["spec"], "design_str": t["design_str"], "accuracy": t["accuracy"],
            "compute_ms": t["compute_ms"], "memory_ms": t["memory_ms"], "total_ms": t["total_ms"],
            "compute_faster_pct": faster(baseline["compute_ms"], t["compute_ms"]),
            "memory_faster_pct": faster(baseline["memory_ms"], t["memory_ms"]),
            "total_faster_pct": faster(baseline["total_ms"], t["total_ms"]),
            "accuracy_loss": baseline["accuracy"] - t["accuracy"],
        })  # fmt: skip
    keys = [k for k in rows[0] if k not in ("number", "spec", "design_str")]
    average = {k: sum(r[k] for r in rows) / len(rows) for k in keys}
    return {"strategy": "coexplore", "k": TOPK, "rows": rows, "average": average}


def strategy_block(trials: list[dict], budget: int) -> dict:
    """A strategy's summary: counts of the records by status and by how they were evaluated."""
    front = front_numbers(trials)
    spent = [t for t in trials if t["evaluation"] in ("trained", "cache", "table")]
    train_s = sum(t["train_seconds"] for t in trials)

    def count(key: str, value: str) -> int:
        return sum(t[key] == value for t in trials)

    return {"trials": trials, "trainings": len(spent), "budget": budget, "trained_now": count("evaluation", "trained"),
            "cache_hits": count("evaluation", "cache"), "repeats": count("evaluation", "repeat"),
            "rejected_hw": count("status", "rejected_hw"), "failed": count("status", "failed"),
            "pruned": count("status", "pruned"),
            "infeasible_trainings": sum(t["status"] == "complete" and not t["feasible"] for t in spent),
            "train_seconds": train_s, "gpu_hours": train_s / 3600.0, "hypervolume": hypervolume_of(trials, front),
            "pareto": front}  # fmt: skip


def build_results(seed: int = 3) -> dict:
    rng = random.Random(seed)
    baseline = record(-1, "baseline", rng, spec="hg-s2-f128-o4", accuracy=84.1, compute_ms=3.9, memory_ms=10.6,
                      total_ms=11.3, design_str="Tm64 Tn32 Tr16 Tc16 int16 @200MHz", train_seconds=2400.0)  # fmt: skip
    baseline["per_op"] = per_op_costs(1.0, 1.6, rng, stacks=2)
    strategies = {}
    plan = {"coexplore": 26, "sequential": 14, "random": 14, "hardware-only": 1}
    for name, n in plan.items():
        trials = []
        for number in range(n):
            if name == "hardware-only":
                trials.append({**baseline, "strategy": name, "number": number, "train_seconds": 0.0, "cached": True,
                               "evaluation": "cache"})  # fmt: skip
                continue
            status = "complete"
            if name != "sequential" and number % 5 == 3:
                status = "rejected_hw"
            elif number == 7:
                status = "failed"
            elif number == 11 and name == "coexplore":
                status = "pruned"
            over: dict[str, Any] = {}
            if status == "rejected_hw":
                over = {"total_ms": round(rng.uniform(12.5, 24.0), 3), "fits": number % 10 != 3}
            if status == "failed":
                over = {"reason": "loss became NaN at epoch 3"}
            if name == "coexplore":  # the joint search learns to stay inside the budget
                over.setdefault("total_ms", round(rng.uniform(6.0, 11.8), 3))
            if number == 21:  # the study had already trained this network: a free repeat
                over.update(cached=True, evaluation="repeat")
            trials.append(record(number, name, rng, status, **over))
        strategies[name] = strategy_block(trials, budget=1 if name == "hardware-only" else 24)
    topk = topk_block(baseline, strategies["coexplore"]["trials"])
    by_number = {t["number"]: t for t in strategies["coexplore"]["trials"]}
    for row in topk["rows"]:
        by_number[row["number"]]["per_op"] = per_op_costs(0.8, 1.1, rng, stacks=1)
    return {
        "schema": 1, "name": "zcu102-hourglass-demo", "created": "2026-03-14T09:26:53+00:00",
        "config": {"device": "zcu102", "precision": "int16", "latency_budget_ms": LATENCY_BUDGET_MS,
                   "strategies": list(plan), "trainings": 24, "hw": "exact"},
        "device": ZCU102, "precision": "int16", "latency_budget_ms": LATENCY_BUDGET_MS,
        "accuracy_floor": ACCURACY_FLOOR, "metric": "PCKh@0.5", "hypervolume_reference": HV_REFERENCE,
        "baseline": baseline, "strategies": strategies, "topk": topk,
        "sequential_vs_coexplore": {  # free-form; shaped like the search's summary
            "coexplore": {"hypervolume": strategies["coexplore"]["hypervolume"], "trainings": 20, "rejected_hw": 5,
                          "best": {"number": 2, "spec": "hg-s2-f128-o3", "accuracy": 85.6, "total_ms": 8.11}},
            "sequential": {"hypervolume": strategies["sequential"]["hypervolume"], "trainings": 14, "rejected_hw": 0,
                           "best": None, "selected": {"number": 9, "spec": "hg-s1-f96-o4", "total_ms": 15.4}},
            "hypervolume_ratio": 1.34, "note": "same training budget",
        },
    }  # fmt: skip


def write_run(folder: Path, data: dict | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(data if data is not None else build_results()))
    return folder


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return write_run(tmp_path / "run")


# --- the loader --------------------------------------------------------------------------------


def test_fixture_loads_and_is_consistent(run_dir: Path) -> None:
    results = load_results(run_dir)
    assert set(results.strategies) == {"coexplore", "sequential", "random", "hardware-only"}
    statuses = {t.status for t in results.strategies["coexplore"].trials}
    assert statuses == {"complete", "rejected_hw", "failed", "pruned"}
    assert len(results.topk.rows) == TOPK
    assert check_consistency(results) == []
    # The file itself can be passed instead of the folder.
    assert load_results(run_dir / "results.json").name == results.name


def test_missing_folder_names_it(tmp_path: Path) -> None:
    with pytest.raises(CoexploreError, match="nowhere.*run folder not found"):
        load_results(tmp_path / "nowhere")


def test_folder_without_results_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(CoexploreError, match=r"results\.json.*no results\.json"):
        load_results(tmp_path)


def test_truncated_json_names_file_and_line(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    text = json.dumps(build_results(), indent=1)
    (run / "results.json").write_text(text[: len(text) // 2])
    with pytest.raises(CoexploreError, match=r"results\.json: not valid JSON: .* at line \d+"):
        load_results(run)


def test_bad_field_names_the_path(tmp_path: Path) -> None:
    data = build_results()
    data["strategies"]["random"]["trials"][2]["status"] = "done"
    with pytest.raises(CoexploreError, match=r"results\.json.*strategies\.random\.trials\.2\.status"):
        load_results(write_run(tmp_path / "run", data))


def test_missing_key_and_wrong_version(tmp_path: Path) -> None:
    data = build_results()
    del data["baseline"]["total_ms"], data["topk"]
    with pytest.raises(CoexploreError, match=r"results\.json.*topk"):
        load_results(write_run(tmp_path / "a", data))
    data = build_results()
    data["schema"] = 2
    with pytest.raises(CoexploreError, match=r"results\.json: schema.*version 2"):
        load_results(write_run(tmp_path / "b", data))


def test_per_op_shape_as_list_and_null_bottleneck_are_accepted(run_dir: Path) -> None:
    data = build_results()
    data["baseline"]["per_op"][0].update(shape=[128, 64, 32, 32], bottleneck=None)
    op = load_results(write_run(run_dir, data)).baseline.per_op[0]
    assert (op.shape, op.bottleneck) == ("128×64×32×32", "")


def test_json_array_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "results.json").write_text("[1, 2]")
    with pytest.raises(CoexploreError, match="JSON object"):
        load_results(tmp_path)


def test_inconsistent_topk_gives_warnings(run_dir: Path) -> None:
    data = build_results()
    data["topk"]["rows"][1]["total_faster_pct"] += 3.0  # stored % no longer matches the times
    data["topk"]["rows"][2]["number"] = 999  # names a trial that does not exist
    data["strategies"]["random"]["pareto"].append(555)
    data["strategies"]["sequential"]["hypervolume"] *= 2
    warnings = check_consistency(load_results(write_run(run_dir, data)))
    assert any("#2" in w and "total_faster_pct" in w for w in warnings)
    assert any("#3" in w and "trial 999 not found" in w for w in warnings)
    assert any("random" in w and "555" in w for w in warnings)
    assert any("sequential" in w and "hypervolume" in w for w in warnings)
    assert len(warnings) == 4
