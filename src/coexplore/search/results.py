"""`RUN/results.json`: rebuilt from the study storage alone, so it can be re-written at any time
(`coexplore results RUN`) and by any machine. Schema 1, the run folder contract shared with the
report (see `coexplore.report.schema`).
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from coexplore.search.analysis import HV_LATENCY_MARGIN, compare_topk, hypervolume, pareto_front, rank_records
from coexplore.search.config import SearchConfig
from coexplore.search.records import record_from_attrs, spends_budget, trial_attrs, write_json_atomic
from coexplore.search.components import Components
from coexplore.search.strategies import plan_for

RESULTS_SCHEMA = 1
RESULTS_FILE = "results.json"
DEFAULT_METRIC = "PCKh@0.5"
SECONDS_PER_HOUR = 3600.0


def strategy_records(storage: Any, study_name: str, strategy: str) -> list[dict]:
    """TrialRecords of a study's finished trials (COMPLETE and PRUNED), in trial order.

    FAIL trials are left out: a worker died in them (their retry is a later trial) or the budget
    was already spent when they asked for a training.
    """
    try:
        study = optuna.load_study(study_name=study_name, storage=storage)
    except KeyError:
        return []
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))
    return [record_from_attrs(t.number, strategy, trial_attrs(t)) for t in sorted(trials, key=lambda t: t.number)]


def baseline_record(components: Components) -> dict:
    """The reference network on its own best hardware, with its accuracy if it was ever evaluated."""
    spec = components.baseline
    hw = components.hardware.best(spec)
    evaluation = components.evaluator.lookup(spec)
    accuracy = evaluation.accuracy if evaluation is not None and evaluation.status == "complete" else None
    config = components.config
    feasible = (
        accuracy is not None
        and hw.fits
        and hw.within(config.latency_budget_ms)
        and (config.accuracy_floor is None or accuracy >= config.accuracy_floor)
    )
    attrs = {
        **hw.attrs(),
        "spec": spec,
        "status": "complete" if accuracy is not None else "failed",
        "reason": None if accuracy is not None else "the baseline was not evaluated",
        "accuracy": accuracy,
        "feasible": feasible,
        "train_seconds": evaluation.cost_seconds if evaluation is not None else 0.0,
        "train_device": evaluation.train_device if evaluation is not None else None,
        "cached": evaluation is not None,
        "evaluation": evaluation.source if evaluation is not None else "none",
    }
    record = record_from_attrs(-1, "baseline", attrs)
    record["per_op"] = components.hardware.per_op(spec, hw.design)
    return record


def hv_reference(config: SearchConfig, records: list[dict]) -> dict[str, float]:
    """The stated reference point (config.hv_reference, else see SearchConfig.hv_reference)."""
    if config.hv_reference is not None:
        return {"accuracy": config.hv_reference.accuracy, "total_ms": config.hv_reference.total_ms}
    accuracy = config.accuracy_floor if config.accuracy_floor is not None else 0.0
    if config.latency_budget_ms is not None:
        return {"accuracy": accuracy, "total_ms": config.latency_budget_ms}
    slowest = max((r["total_ms"] for r in records if r.get("feasible") and r.get("total_ms")), default=1.0)
    return {"accuracy": accuracy, "total_ms": slowest * HV_LATENCY_MARGIN}


def strategy_summary(records: list[dict], reference: dict[str, float], budget: int) -> dict[str, Any]:
    front = pareto_front(records)
    seconds = sum(r["train_seconds"] for r in records)
    gpu_seconds = sum(r["train_seconds"] for r in records if str(r.get("train_device") or "").startswith("cuda"))
    count = lambda **match: sum(1 for r in records if all(r.get(k) == v for k, v in match.items()))  # noqa: E731
    return {
        "trials": records,
        "trainings": sum(1 for r in records if spends_budget(r)),
        "budget": budget,
        "trained_now": count(evaluation="trained"),
        "cache_hits": count(evaluation="cache"),
        "repeats": count(evaluation="repeat"),
        "rejected_hw": count(status="rejected_hw"),
        "failed": count(status="failed"),
        "pruned": count(status="pruned"),
        "infeasible_trainings": sum(1 for r in records if spends_budget(r) and r["status"] == "complete" and not r["feasible"]),
        "train_seconds": seconds,
        "gpu_hours": gpu_seconds / SECONDS_PER_HOUR,
        "hypervolume": hypervolume(records, reference["accuracy"], reference["total_ms"]),
        "pareto": [r["number"] for r in front],
    }


def _best_feasible(records: list[dict]) -> dict | None:
    ranked = rank_records(records)
    return _brief(ranked[0]) if ranked else None


def _brief(record: dict | None) -> dict | None:
    if record is None:
        return None
    keys = ("number", "spec", "design_str", "accuracy", "compute_ms", "memory_ms", "total_ms", "feasible")
    return {k: record.get(k) for k in keys}


def sequential_vs_coexplore(strategies: dict[str, dict]) -> dict[str, Any]:
    """What designing the network first costs, on the same budget."""
    summary: dict[str, Any] = {}
    for name in ("coexplore", "sequential"):
        block = strategies.get(name)
        if block is None:
            continue
        records = block["trials"]
        summary[name] = {
            "hypervolume": block["hypervolume"],
            "trainings": block["trainings"],
            "train_seconds": block["train_seconds"],
            "rejected_hw": block["rejected_hw"],
            "infeasible_trainings": block["infeasible_trainings"],
            "feasible_designs": sum(1 for r in records if r["feasible"]),
            "best": _best_feasible(records),
        }
        if name == "sequential":
            # the team's pick: the most accurate network, then the hardware designed for it
            trained = [r for r in records if r["status"] == "complete" and r["accuracy"] is not None]
            pick = max(trained, key=lambda r: (r["accuracy"], -(r["total_ms"] or 0)), default=None)
            summary[name]["selected"] = _brief(pick)
    if "coexplore" in summary and "sequential" in summary:
        hv_seq = summary["sequential"]["hypervolume"]
        summary["hypervolume_ratio"] = summary["coexplore"]["hypervolume"] / hv_seq if hv_seq > 0 else None
        summary["trainings_wasted_by_sequential"] = summary["sequential"]["infeasible_trainings"]
    return summary


def build_results(storage: Any, components: Components, strategies: list[str] | None = None) -> dict[str, Any]:
    config = components.config
    names = strategies or config.strategies
    per_strategy = {name: strategy_records(storage, config.study_name(name), name) for name in names}
    baseline = baseline_record(components)
    everything = [r for records in per_strategy.values() for r in records] + [baseline]
    reference = hv_reference(config, everything)
    blocks = {
        name: strategy_summary(records, reference, plan_for(name, config, components.baseline).budget)
        for name, records in per_strategy.items()
    }
    topk_strategy = "coexplore" if "coexplore" in blocks else next(iter(blocks))
    topk = compare_topk(baseline, blocks[topk_strategy]["trials"], k=config.topk, strategy=topk_strategy)
    _attach_per_op(components, blocks[topk_strategy]["trials"], {row["number"] for row in topk["rows"]})
    metric = getattr(components.evaluator, "metric", "") or next(
        (r.get("metric") for r in everything if r.get("metric")), None
    ) or DEFAULT_METRIC
    return {
        "schema": RESULTS_SCHEMA,
        "name": config.name,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "config": config.model_dump(mode="json"),
        "device": components.hardware.device_dict(),
        "precision": config.precision,
        "latency_budget_ms": config.latency_budget_ms,
        "accuracy_floor": config.accuracy_floor,
        "metric": metric,
        "hypervolume_reference": reference,
        "baseline": baseline,
        "strategies": blocks,
        "topk": topk,
        "sequential_vs_coexplore": sequential_vs_coexplore(blocks),
    }


def _attach_per_op(components: Components, records: list[dict], numbers: set[int]) -> None:
    for record in records:
        if record["number"] in numbers:
            record["per_op"] = components.hardware.per_op(record["spec"], record["design"])


def write_results(run_dir: str | Path, results: dict[str, Any]) -> Path:
    return write_json_atomic(Path(run_dir) / RESULTS_FILE, results)
