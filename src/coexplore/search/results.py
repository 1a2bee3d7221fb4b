"""`RUN/results.json` from the study storage alone, so it can be re-written at any time
(`coexplore results RUN`) and by any machine. The document and its rules are `coexplore.results`;
this module gathers the trial records of each strategy's study, the baseline and the per-op costs.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import optuna
from optuna.trial import TrialState

from coexplore.results import (
    HypervolumeReference,
    OpCost,
    RunResults,
    TrialRecord,
    compare_topk,
    hypervolume_reference,
    is_feasible,
    sequential_vs_coexplore,
    summarize_strategy,
)
from coexplore.search.config import SearchConfig
from coexplore.search.context import SearchContext
from coexplore.search.records import trial_record
from coexplore.search.strategies import plan_for

DEFAULT_METRIC = "PCKh@0.5"


def strategy_records(storage: Any, study_name: str, strategy: str) -> list[TrialRecord]:
    """The records of a study's finished trials (COMPLETE and PRUNED), in trial order.

    FAIL trials are left out: a worker died in them (their retry is a later trial) or the budget
    was already spent when they asked for a training.
    """
    try:
        study = optuna.load_study(study_name=study_name, storage=storage)
    except KeyError:
        return []
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))
    return [trial_record(t, strategy) for t in sorted(trials, key=lambda t: t.number)]


def baseline_record(context: SearchContext) -> TrialRecord:
    """The reference network on its own best hardware, with its accuracy if it was ever evaluated."""
    spec = context.baseline
    hw = context.hardware.best(spec)
    evaluation = context.evaluator.lookup(spec)
    accuracy = evaluation.accuracy if evaluation is not None and evaluation.status == "complete" else None
    status = "complete" if accuracy is not None else "failed"
    config = context.config
    return TrialRecord(
        number=-1,
        strategy="baseline",
        spec=spec,
        **hw.attrs(),
        status=status,
        reason=None if accuracy is not None else "the baseline was not evaluated",
        accuracy=accuracy,
        feasible=is_feasible(status=status, accuracy=accuracy, fits=hw.fits, total_ms=hw.total_ms,
                             latency_budget_ms=config.latency_budget_ms, accuracy_floor=config.accuracy_floor),
        train_seconds=evaluation.cost_seconds if evaluation is not None else 0.0,
        train_device=evaluation.train_device if evaluation is not None else None,
        cached=evaluation is not None,
        evaluation=evaluation.source if evaluation is not None else "none",
        per_op=per_op_costs(context, spec, hw.design),
    )


def hv_reference(config: SearchConfig, records: list[TrialRecord]) -> HypervolumeReference:
    """The stated reference point (config.hv_reference), else the default rule over the feasible
    designs of the run (see `coexplore.results.hypervolume_reference`)."""
    if config.hv_reference is not None:
        return config.hv_reference
    return hypervolume_reference(
        (r.total_ms for r in records if r.feasible and r.total_ms),
        accuracy_floor=config.accuracy_floor,
        latency_budget_ms=config.latency_budget_ms,
    )


def per_op_costs(context: SearchContext, spec: str, design: dict | None) -> list[OpCost] | None:
    rows = context.hardware.per_op(spec, design)
    return None if rows is None else [OpCost.model_validate(row) for row in rows]


def build_results(storage: Any, context: SearchContext, strategies: list[str] | None = None) -> RunResults:
    config = context.config
    names = strategies or config.strategies
    per_strategy = {name: strategy_records(storage, config.study_name(name), name) for name in names}
    baseline = baseline_record(context)
    everything = [r for records in per_strategy.values() for r in records] + [baseline]
    reference = hv_reference(config, everything)
    topk_strategy = "coexplore" if "coexplore" in per_strategy else next(iter(per_strategy))
    topk = compare_topk(baseline, per_strategy[topk_strategy], k=config.topk, strategy=topk_strategy)
    in_topk = {row.number for row in topk.rows}
    for record in per_strategy[topk_strategy]:  # the top-k designs keep their per-op costs
        if record.number in in_topk:
            record.per_op = per_op_costs(context, record.spec, record.design)
    blocks = {
        name: summarize_strategy(records, reference, plan_for(name, config, context.baseline).budget)
        for name, records in per_strategy.items()
    }
    metric = context.evaluator.metric or next((r.metric for r in everything if r.metric), None) or DEFAULT_METRIC
    return RunResults(
        name=config.name,
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        config=config.model_dump(mode="json"),
        device=context.hardware.device_dict(),
        precision=config.hardware.precision,
        latency_budget_ms=config.latency_budget_ms,
        accuracy_floor=config.accuracy_floor,
        metric=metric,
        hypervolume_reference=reference,
        baseline=baseline,
        strategies=blocks,
        topk=topk,
        sequential_vs_coexplore=sequential_vs_coexplore(blocks),
    )
