"""What one strategy's records add up to, and what designing the network first costs.

A strategy's summary (`StrategyResult`) is computed from its trial records alone, so the search
writes it and the report can check it against the same records.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from coexplore.results.fronts import HypervolumeReference, hypervolume, pareto_front, rank_records
from coexplore.results.records import TrialRecord

SECONDS_PER_HOUR = 3600.0
# the figures of a design quoted in the sequential-vs-coexplore summary
_BRIEF_KEYS = {"number", "spec", "design_str", "accuracy", "compute_ms", "memory_ms", "total_ms", "feasible"}


class StrategyResult(BaseModel):
    """One strategy's trials (in trial order) and what they add up to."""

    trials: list[TrialRecord]
    trainings: int  # records that spent budget
    budget: int
    trained_now: int
    cache_hits: int
    repeats: int
    rejected_hw: int
    failed: int
    pruned: int
    infeasible_trainings: int  # trainings spent on networks that turned out infeasible
    train_seconds: float
    gpu_hours: float
    hypervolume: float
    pareto: list[int] = Field(default_factory=list)  # trial numbers on the front, fastest first


def summarize_strategy(trials: list[TrialRecord], reference: HypervolumeReference, budget: int) -> StrategyResult:
    """The summary of one strategy's records."""
    def count(**match: Any) -> int:
        return sum(1 for r in trials if all(getattr(r, key) == value for key, value in match.items()))

    gpu_seconds = sum(r.train_seconds for r in trials if (r.train_device or "").startswith("cuda"))
    return StrategyResult(
        trials=trials,
        trainings=sum(1 for r in trials if r.spends_budget),
        budget=budget,
        trained_now=count(evaluation="trained"),
        cache_hits=count(evaluation="cache"),
        repeats=count(evaluation="repeat"),
        rejected_hw=count(status="rejected_hw"),
        failed=count(status="failed"),
        pruned=count(status="pruned"),
        infeasible_trainings=sum(1 for r in trials if r.spends_budget and r.status == "complete" and not r.feasible),
        train_seconds=sum(r.train_seconds for r in trials),
        gpu_hours=gpu_seconds / SECONDS_PER_HOUR,
        hypervolume=hypervolume(trials, reference),
        pareto=[r.number for r in pareto_front(trials)],
    )


def _brief(record: TrialRecord | None) -> dict[str, Any] | None:
    return None if record is None else record.model_dump(mode="json", include=_BRIEF_KEYS)


def sequential_vs_coexplore(strategies: dict[str, StrategyResult]) -> dict[str, Any]:
    """What designing the network first costs, on the same budget (a free-form summary)."""
    summary: dict[str, Any] = {}
    for name in ("coexplore", "sequential"):
        block = strategies.get(name)
        if block is None:
            continue
        ranked = rank_records(block.trials)
        summary[name] = {
            "hypervolume": block.hypervolume,
            "trainings": block.trainings,
            "train_seconds": block.train_seconds,
            "rejected_hw": block.rejected_hw,
            "infeasible_trainings": block.infeasible_trainings,
            "feasible_designs": sum(1 for r in block.trials if r.feasible),
            "best": _brief(ranked[0] if ranked else None),
        }
        if name == "sequential":
            # the team's pick: the most accurate network, then the hardware designed for it
            trained = [r for r in block.trials if r.status == "complete" and r.accuracy is not None]
            pick = max(trained, key=lambda r: (r.accuracy, -(r.total_ms or 0)), default=None)
            summary[name]["selected"] = _brief(pick)
    if "coexplore" in summary and "sequential" in summary:
        hv_sequential = summary["sequential"]["hypervolume"]
        hv_coexplore = summary["coexplore"]["hypervolume"]
        summary["hypervolume_ratio"] = hv_coexplore / hv_sequential if hv_sequential > 0 else None
        summary["trainings_wasted_by_sequential"] = summary["sequential"]["infeasible_trainings"]
    return summary
