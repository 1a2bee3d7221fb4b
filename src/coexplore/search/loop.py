"""A worker's loop over one study: trials until the strategy has spent its budget, reached its trial
cap or run out of new networks. Where a study stands is computed from the storage, so every worker,
on any machine, agrees.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import optuna
from optuna.trial import FrozenTrial, TrialState

from coexplore.results import BUDGET_EVALUATIONS
from coexplore.search.cache import Ledger
from coexplore.search.objective import BudgetSpent, Objective
from coexplore.search.records import trial_attrs
from coexplore.search.storage import fail_stale_trials
from coexplore.search.strategies import Plan

# How often an idle worker re-checks a study while other workers' trainings are in flight.
POLL_INTERVAL_S = 0.5


@dataclass
class StudyProgress:
    """Where a strategy's study stands.

    `trainings`: finished trials that spent budget; `slots`: budget slots held by trials that did
    not fail (finished or still in flight); `failed`: FAIL trials (a dead worker's, one abandoned
    because the budget was spent); `trailing_free`: the latest ended trials in a row that spent no
    budget, FAIL ones included.

    Every trial that ends counts toward something: a training toward the budget, any trial toward
    the trial cap, one that spent nothing toward the patience. So no kind of trial, FAIL included,
    can keep a search running forever.
    """

    trainings: int
    slots: int
    finished: int
    running: int
    trailing_free: int
    failed: int = 0

    def exhausted(self, plan: Plan, trial_cap: int) -> bool:
        """No point in more trials: the cap is reached or the space yields nothing new."""
        return self.finished + self.failed >= trial_cap or self.trailing_free >= plan.patience


def study_progress(study: optuna.Study, ledger: Ledger) -> StudyProgress:
    trials = study.get_trials(deepcopy=False)
    finished = [t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    trainings = sum(1 for t in finished if _spent_budget(t))
    trailing = 0
    for trial in sorted((t for t in trials if t.state.is_finished()), key=lambda t: t.number, reverse=True):
        if _spent_budget(trial):
            break
        trailing += 1
    running = sum(1 for t in trials if t.state == TrialState.RUNNING)
    failed = {t.number for t in trials if t.state == TrialState.FAIL}
    return StudyProgress(trainings, ledger.used(study.study_name, failed), len(finished), running, trailing,
                         len(failed))


def _spent_budget(trial: FrozenTrial) -> bool:
    return trial.state != TrialState.FAIL and trial_attrs(trial).get("evaluation") in BUDGET_EVALUATIONS


def run_worker(
    study: optuna.Study,
    objective: Objective,
    trial_cap: int,
    on_trial: Callable[[optuna.Study, FrozenTrial], None] | None = None,
) -> StudyProgress:
    """Run trials until the study is done; returns where it ended.

    When every budget slot is taken but some are held by other workers' trainings in flight, wait:
    if one of those workers dies, its trial goes stale, is failed (freeing the slot) and queued
    again, and a live worker must run the retry.
    """
    plan = objective.plan
    callbacks = [on_trial] if on_trial else []
    while True:
        fail_stale_trials(study)
        progress = study_progress(study, objective.context.ledger)
        if progress.trainings >= plan.budget or progress.exhausted(plan, trial_cap):
            return progress
        if progress.slots >= plan.budget:
            if progress.running == 0:
                return progress  # nothing in flight can free a slot
            time.sleep(POLL_INTERVAL_S)  # the last trainings are in flight elsewhere
            continue
        study.optimize(objective, n_trials=1, catch=(BudgetSpent,), callbacks=callbacks, gc_after_trial=False)
