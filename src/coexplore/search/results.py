"""`RUN/results.json` from the study storage alone, so it can be re-written at any time
(`coexplore results RUN`) and by any machine. The document and its rules are `coexplore.results`;
this module gathers the trial records of each strategy's study, the baseline and the per-op costs.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import optuna
from optuna.trial import TrialState

from coexplore.errors import CoexploreError
from coexplore.results import (
    HypervolumeReference,
    OpCost,
    RunResults,
    TopK,
    TrialRecord,
    admitted,
    compare_topk,
    hypervolume_reference,
    is_feasible,
    most_accurate,
    sequential_vs_coexplore,
    summarize_strategy,
)
from coexplore.search.config import SearchConfig
from coexplore.search.context import SearchContext
from coexplore.search.final_seeds import seed_accuracies
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
    try:
        trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))
    except json.JSONDecodeError as exc:  # Optuna keeps attributes and params as JSON text
        raise CoexploreError(f"a trial attribute or parameter is not valid JSON ({exc.msg})", field=f"study {study_name}",
                             fix="the study database was edited or damaged; restore it or start a new run") from None
    return [trial_record(t, strategy) for t in sorted(trials, key=lambda t: t.number)]


def baseline_record(context: SearchContext) -> TrialRecord:
    """The reference network on its own best hardware, with its accuracy if it was ever evaluated."""
    spec = context.baseline
    hw = context.hardware.best(spec)
    evaluation = context.evaluator.lookup(spec)
    precision = ((hw.design or {}).get("settings") or {}).get("precision") or context.config.hardware.precision
    accuracy, measured_at = evaluation.accuracy_at(precision) if evaluation is not None else (None, "fp32")
    accuracy = accuracy if evaluation is not None and evaluation.status == "complete" else None
    status = "complete" if accuracy is not None else "failed"
    if evaluation is None:
        reason = "the baseline was not evaluated"
    else:  # a failed training is cached with its reason (NaN metric, diverged, out of memory)
        reason = None if accuracy is not None else (evaluation.reason or f"the baseline's evaluation {evaluation.status}")
    config = context.config
    return TrialRecord(
        number=-1,
        strategy="baseline",
        spec=spec,
        **hw.attrs(),
        status=status,
        reason=reason,
        accuracy=accuracy,
        accuracy_precision=measured_at,
        accuracy_fp32=evaluation.accuracy if accuracy is not None else None,
        quantized_accuracy=dict(evaluation.quantized) if evaluation is not None else {},
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


def paper_tables(context: SearchContext, baseline: TrialRecord, candidates: list[TrialRecord],
                 everything: list[TrialRecord], strategy: str) -> tuple[TopK, TopK | None]:
    """The paper-style table against the baseline, and against the most accurate feasible network
    of the run, with every training the cache (or the table's replicates) holds of each design."""
    config = context.config
    best = most_accurate(everything)
    references = [("baseline", baseline)] + ([("most accurate", best)] if best is not None else [])
    specs = [reference.spec for _, reference in references]
    for _, reference in references:
        specs += [r.spec for r in admitted(reference, candidates, config.max_accuracy_loss)[: config.topk]]
    # at the search's precision (with precision as a gene, a network's other precisions are not averaged)
    trained = {r.spec: r.accuracy for r in everything
               if r.status == "complete" and r.accuracy_precision in (config.hardware.precision, "fp32")}
    accuracies = seed_accuracies(context, specs, trained)
    tables = [compare_topk(reference, candidates, k=config.topk, strategy=strategy,
                           max_accuracy_loss=config.max_accuracy_loss, reference_label=label,
                           seed_accuracies=accuracies) for label, reference in references]
    return tables[0], (tables[1] if len(tables) > 1 else None)


def retrain_targets(results: RunResults) -> list[str]:
    """What the final seeds retrain: the baseline (unless its training failed: no table can use
    it), the most accurate feasible network, and the designs of both top-k tables (every row
    printed as mean ± SD has its retrainings)."""
    specs = [results.baseline.spec] if results.baseline.accuracy is not None else []
    specs += [row.spec for row in results.topk.rows]
    if results.topk_vs_best is not None and results.topk_vs_best.reference_spec:
        specs.append(results.topk_vs_best.reference_spec)
        specs += [row.spec for row in results.topk_vs_best.rows]
    return list(dict.fromkeys(specs))


def build_results(storage: Any, context: SearchContext, strategies: list[str] | None = None) -> RunResults:
    config = context.config
    names = strategies or config.strategies
    per_strategy = {name: strategy_records(storage, config.study_name(name), name) for name in names}
    baseline = baseline_record(context)
    everything = [r for records in per_strategy.values() for r in records] + [baseline]
    reference = hv_reference(config, everything)
    topk_strategy = "coexplore" if "coexplore" in per_strategy else next(iter(per_strategy))
    topk, topk_vs_best = paper_tables(context, baseline, per_strategy[topk_strategy], everything, topk_strategy)
    in_topk = {row.number for row in topk.rows} | {row.number for row in (topk_vs_best.rows if topk_vs_best else [])}
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
        topk_vs_best=topk_vs_best,
        sequential_vs_coexplore=sequential_vs_coexplore(blocks),
    )
