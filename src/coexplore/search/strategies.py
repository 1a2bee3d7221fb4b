"""The four strategies, all on the same machinery (objective, evaluator, cache, budget ledger).

| strategy      | proposes                                   | hardware check        | objectives            |
|---------------|--------------------------------------------|-----------------------|-----------------------|
| coexplore     | network (+ hw genes if `hw: joint`), the   | first: misfits and    | accuracy ↑, latency ↓ |
|               | configured sampler (NSGA-II by default)    | over-budget rejected  | + constraints         |
| sequential    | network only, accuracy-only sampler (TPE)  | after training (stage | accuracy ↑            |
|               |                                            | 2: DSE per network)   |                       |
| random        | random network (+ random hw genes)         | first                 | accuracy ↑, latency ↓ |
| hardware-only | the baseline network, DSE only             | first                 | accuracy ↑, latency ↓ |

Every strategy gets the same training budget (`budget` trainings; hardware-only needs one). A
worker runs trials until the study has spent its budget, reached its trial cap, or gone `patience`
trials in a row without a training (space exhausted).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from coexplore.errors import CoexploreError
from coexplore.search.components import Components
from coexplore.search.config import SearchConfig
from coexplore.search.objective import BudgetSpent, Objective, Plan
from coexplore.search.records import BUDGET_EVALUATIONS, trial_attrs
from coexplore.search.samplers import make_sampler
from coexplore.search.storage import fail_stale_trials

MULTI_OBJECTIVE = ("maximize", "minimize")  # accuracy, total latency
ACCURACY_ONLY = ("maximize",)
# How often an idle worker re-checks a study while other workers' trainings are in flight.
POLL_INTERVAL_S = 0.5
# Seeds: each worker and strategy gets its own sampler stream (REFERENCES.md, "Search").
SEED_STRIDE_WORKER = 7919
SEED_STRIDE_BASE = 1_000_003

def plan_for(strategy: str, config: SearchConfig, baseline_spec: str | None = None) -> Plan:
    """What each strategy does with the shared machinery (see the table above)."""
    patience = config.patience
    if strategy == "coexplore":
        return Plan(strategy, MULTI_OBJECTIVE, config.sampler, True, config.hw == "joint", config.budget, patience)
    if strategy == "random":
        return Plan(strategy, MULTI_OBJECTIVE, "random", True, config.hw == "joint", config.budget, patience)
    if strategy == "sequential":
        return Plan(strategy, ACCURACY_ONLY, config.sequential_sampler, False, False, config.budget, patience)
    if strategy == "hardware-only":
        if baseline_spec is None:
            raise ValueError("hardware-only needs the baseline spec")
        return Plan(strategy, MULTI_OBJECTIVE, "random", True, False, 1, 1, fixed_spec=baseline_spec)
    raise CoexploreError(f"unknown strategy {strategy!r}", field="strategies")


def sampler_seed(config: SearchConfig, strategy: str, worker: int, finished_before: int) -> int:
    """Distinct per strategy and worker, and fresh on resume (so a resumed random sampler does not
    replay the proposals it made before the interruption)."""
    return (
        config.seed * SEED_STRIDE_BASE + zlib.crc32(strategy.encode()) + worker * SEED_STRIDE_WORKER + finished_before
    ) % 2**31


def make_objective(components: Components, plan: Plan, study_name: str, worker: int) -> Objective:
    config = components.config
    genes = config.hw_genes.model_dump()
    if not genes.get("precision"):
        genes.pop("precision", None)
    return Objective(
        plan,
        space=components.space,
        hardware=components.hardware,
        evaluator=components.evaluator,
        ledger=components.ledger,
        study_name=study_name,
        hw_genes=genes,
        latency_budget_ms=config.latency_budget_ms,
        accuracy_floor=config.accuracy_floor,
        prune=config.prune,
        prune_warmup_epochs=config.prune_warmup_epochs,
        worker=worker,
    )


def open_study(
    storage: Any, components: Components, plan: Plan, study_name: str, worker: int = 0, create: bool = True
) -> optuna.Study:
    """Create (or load) the strategy's study with this worker's seeded sampler."""
    config = components.config
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the search prints its own trial lines
    if create:
        study = optuna.create_study(study_name=study_name, storage=storage, directions=list(plan.directions),
                                    load_if_exists=True)
    else:
        study = optuna.load_study(study_name=study_name, storage=storage)
    finished = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)))
    extra: dict[str, Any] = {}
    if plan.sampler == "ehvi":
        from coexplore.search.candidates import build_candidates, ehvi_reference

        extra["candidates"] = build_candidates(components, seed=config.seed)
        extra["reference"] = ehvi_reference(config, extra["candidates"])
    sampler = make_sampler(
        plan.sampler,
        seed=sampler_seed(config, plan.strategy, worker, finished),
        budget=plan.budget,
        population_size=config.population_size,
        latency_budget_ms=config.latency_budget_ms,
        latency_weight=config.latency_weight,
        **extra,
    )
    return optuna.load_study(study_name=study_name, storage=storage, sampler=sampler)


@dataclass
class StudyProgress:
    """Where a strategy's study stands (computed from the storage, so all workers agree).

    `trainings`: finished trials that spent budget; `slots`: budget slots held by trials that did
    not fail (finished or still in flight); `trailing_free`: the latest finished trials in a row
    that spent no budget.
    """

    trainings: int
    slots: int
    finished: int
    running: int
    trailing_free: int

    def exhausted(self, plan: Plan, trial_cap: int) -> bool:
        """No point in more trials: the cap is reached or the space yields nothing new."""
        return self.finished >= trial_cap or self.trailing_free >= plan.patience


def study_progress(study: optuna.Study, ledger: Any) -> StudyProgress:
    trials = study.get_trials(deepcopy=False)
    finished = sorted((t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)), key=lambda t: t.number)
    trainings = sum(1 for t in finished if trial_attrs(t).get("evaluation") in BUDGET_EVALUATIONS)
    trailing = 0
    for trial in reversed(finished):
        if trial_attrs(trial).get("evaluation") in BUDGET_EVALUATIONS:
            break
        trailing += 1
    running = sum(1 for t in trials if t.state == TrialState.RUNNING)
    failed = {t.number for t in trials if t.state == TrialState.FAIL}
    return StudyProgress(trainings, ledger.used(study.study_name, failed), len(finished), running, trailing)


def run_worker(
    study: optuna.Study,
    objective: Objective,
    plan: Plan,
    trial_cap: int,
    on_trial: Callable[[optuna.Study, FrozenTrial], None] | None = None,
) -> StudyProgress:
    """Run trials until the study is done; returns where it ended.

    When every budget slot is taken but some are held by other workers' trainings in flight, wait:
    if one of those workers dies, its trial goes stale, is failed (freeing the slot) and queued
    again, and a live worker must run the retry.
    """
    callbacks = [on_trial] if on_trial else []
    while True:
        fail_stale_trials(study)
        progress = study_progress(study, objective.ledger)
        if progress.trainings >= plan.budget or progress.exhausted(plan, trial_cap):
            return progress
        if progress.slots >= plan.budget:
            if progress.running == 0:
                return progress  # nothing in flight can free a slot
            time.sleep(POLL_INTERVAL_S)  # the last trainings are in flight elsewhere
            continue
        study.optimize(objective, n_trials=1, catch=(BudgetSpent,), callbacks=callbacks, gc_after_trial=False)
