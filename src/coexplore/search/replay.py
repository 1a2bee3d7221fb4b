"""Fast in-process replays of a strategy against a tabular benchmark (for benchmarks and tests).

Same objective, samplers, ledger rules and stopping rules as a real search; only the storage is
Optuna's in-memory one and the accuracies come from the table. The hardware oracle of the
`Components` is shared, so each network's DSE runs once for all seeds and strategies.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import optuna

from coexplore.search.analysis import hypervolume
from coexplore.search.cache import MemoryLedger
from coexplore.search.config import SearchConfig
from coexplore.search.records import spends_budget
from coexplore.search.results import strategy_records
from coexplore.search.candidates import seed_study
from coexplore.search.components import Components
from coexplore.search.strategies import make_objective, open_study, plan_for, run_worker


def replay_strategy(components: Components, strategy: str, *, seed: int = 0, budget: int | None = None,
                    **config_changes: Any) -> list[dict]:
    """Run one strategy to its budget in memory; returns its TrialRecords in trial order."""
    changes = {"seed": seed, **config_changes}
    if budget is not None:
        changes["budget"] = budget
    config = SearchConfig(**{**components.config.model_dump(), **changes})  # validated
    local = dataclasses.replace(components, config=config, ledger=MemoryLedger())
    storage = optuna.storages.InMemoryStorage()
    plan = plan_for(strategy, config, local.baseline)
    name = config.study_name(strategy)
    study = open_study(storage, local, plan, name)
    seed_study(study, local, plan)
    run_worker(study, make_objective(local, plan, name, worker=0), plan, config.trial_cap)
    return strategy_records(storage, name, strategy)


def within_budget(records: list[dict], trainings: int) -> list[dict]:
    """The records a search had seen when it had spent `trainings` trainings (trial order)."""
    seen, spent = [], 0
    for record in records:
        if spends_budget(record):
            if spent == trainings:
                break
            spent += 1
        seen.append(record)
    return seen


def hypervolume_at(records: list[dict], trainings: int, reference: dict[str, float]) -> float:
    return hypervolume(within_budget(records, trainings), reference["accuracy"], reference["total_ms"])
