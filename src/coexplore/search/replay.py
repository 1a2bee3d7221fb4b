"""Fast in-process replays of a strategy against a tabular benchmark (for benchmarks and tests).

Same objective, samplers, ledger rules and stopping rules as a real search; only the storage is
Optuna's in-memory one and the accuracies come from the table. The hardware oracle of the
`SearchContext` is shared, so each network's DSE runs once for all seeds and strategies.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import optuna

from coexplore.results import HypervolumeReference, TrialRecord, hypervolume
from coexplore.search.cache import MemoryLedger
from coexplore.search.config import SearchConfig
from coexplore.search.results import strategy_records
from coexplore.search.context import SearchContext
from coexplore.search.evaluation import TableEvaluator
from coexplore.search.loop import run_worker
from coexplore.search.objective import Objective
from coexplore.search.strategies import plan_for
from coexplore.search.studies import ensure_study, open_study


def replay_strategy(context: SearchContext, strategy: str, *, seed: int = 0, budget: int | None = None,
                    **config_changes: Any) -> list[TrialRecord]:
    """Run one strategy to its budget in memory; returns its TrialRecords in trial order."""
    changes = {"seed": seed, **config_changes}
    if budget is not None:
        changes["budget"] = budget
    config = SearchConfig(**{**context.config.model_dump(), **changes})  # validated
    evaluator = context.evaluator
    if isinstance(evaluator, TableEvaluator):  # a trial gets the replicate this seed draws
        evaluator = evaluator.reseeded(config.seed)
    local = dataclasses.replace(context, config=config, ledger=MemoryLedger(), evaluator=evaluator)
    storage = optuna.storages.InMemoryStorage()
    plan = plan_for(strategy, config, local.baseline)
    name = ensure_study(storage, local, plan).study_name
    run_worker(open_study(storage, local, plan, name), Objective(local, plan, name), config.trial_cap)
    return strategy_records(storage, name, strategy)


def within_budget(records: list[TrialRecord], trainings: int) -> list[TrialRecord]:
    """The records a search had seen when it had spent `trainings` trainings (trial order)."""
    seen, spent = [], 0
    for record in records:
        if record.spends_budget:
            if spent == trainings:
                break
            spent += 1
        seen.append(record)
    return seen


def hypervolume_at(records: list[TrialRecord], trainings: int, reference: HypervolumeReference) -> float:
    return hypervolume(within_budget(records, trainings), reference)
