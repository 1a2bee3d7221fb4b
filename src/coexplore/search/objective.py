"""One trial of a search: propose, check the hardware first, then train (or reuse) and record.

Order of work in a trial, cheapest first:
1. the sampler proposes a network (and, with `hw: joint`, the hardware genes);
2. hardware: the best design from the exhaustive DSE (or the sampled design) — milliseconds;
3. **hardware first**: a candidate that does not fit the board or misses the latency budget is
   recorded with its hardware cost as `rejected_hw` and never trained (this is what saves GPU-hours);
   the sequential strategy skips this step on purpose (it designs the network first);
4. a network the study has already evaluated is reused for free (`repeat`); one that another
   worker is training right now is waited for and then reused (never trained twice);
5. otherwise the trial takes one slot of the training budget and evaluates the network: the
   evaluation cache, a tabular benchmark, or a real training (optionally pruned from its
   intermediate validation accuracy).

Every field of the trial record is stored as a user attribute; the objective values are accuracy
(maximise) and total latency (minimise), or accuracy alone for the sequential stage 1. Constraints
(≤ 0 satisfied: latency excess, misfit, accuracy shortfall, failed training) are stored as the
trial's constraint list (`records.store_constraints`), which NSGA-II and TPE honour and
optuna-dashboard shows.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable

import optuna
from optuna.trial import Trial, TrialState

from coexplore.results import TrialRecord, hardware_feasible, is_feasible
from coexplore.search.cache import GRANTED, SPENT
from coexplore.search.config import SearchConfig
from coexplore.search.context import SearchContext
from coexplore.search.evaluation import Evaluation
from coexplore.search.hardware import HW_PARAM_PREFIX, HardwareResult
from coexplore.search.records import RECORD_ATTR, store_constraints, store_record, trial_attrs
from coexplore.search.storage import fail_stale_trials
from coexplore.search.strategies import Plan

# The sampler's view of "no design fits the board" (the trial record keeps total_ms = None).
NO_DESIGN_LATENCY_MS = 1.0e6
# Median pruning needs this many earlier curves at the same epoch before it judges a training.
MIN_PRUNING_PEERS = 3
# How often a trial waiting for another worker's training of the same network looks again.
TWIN_POLL_S = 1.0
CONSTRAINT_NAMES: tuple[str, ...] = ("latency_excess_ms", "misfit", "accuracy_shortfall", "failed")
FINISHED_STATES = (TrialState.COMPLETE, TrialState.PRUNED)


class BudgetSpent(Exception):
    """The strategy's training budget is used up: the trial is abandoned untrained (state FAIL)."""


def joint_genes(config: SearchConfig) -> dict[str, list]:
    """The hardware genes sampled with the network (`hw: joint`): every gene with values; an empty
    precision list means the search's own precision."""
    return {name: list(values) for name, values in config.hw_genes.model_dump().items() if values}


def _constraints(hw: HardwareResult, evaluation: Evaluation | None, accuracy: float | None,
                 latency_budget_ms: float | None, accuracy_floor: float | None) -> list[float]:
    latency = 0.0
    if latency_budget_ms is not None:
        latency = (hw.total_ms if hw.total_ms is not None else NO_DESIGN_LATENCY_MS) - latency_budget_ms
    accuracy = accuracy if accuracy is not None else 0.0
    shortfall = (accuracy_floor - accuracy) if accuracy_floor is not None else 0.0
    failed = 1.0 if evaluation is not None and evaluation.status == "failed" else 0.0
    return [float(latency), 0.0 if hw.fits else 1.0, float(shortfall), failed]


class Objective:
    """The callable handed to `study.optimize`; one instance per worker and strategy."""

    def __init__(self, context: SearchContext, plan: Plan, study_name: str, worker: int = 0,
                 on_training: Callable[[str, int], None] | None = None):
        self.context = context
        self.on_training = on_training  # (spec, epochs done): 0 when a training starts, then after each epoch
        self.config = context.config
        self.plan = plan
        self.study_name = study_name
        self.worker = worker
        self.hw_genes = joint_genes(context.config)

    # --- the trial -----------------------------------------------------------------------------
    def __call__(self, trial: Trial) -> float | tuple[float, float]:
        spec = self.propose(trial)
        hw = self.hardware_of(spec, trial) if self.plan.hardware_first else None
        if hw is not None and not hardware_feasible(hw.fits, hw.total_ms, self.config.latency_budget_ms):
            return self.finish(trial, spec, hw, None, reason=self._rejection_reason(hw))

        evaluation = self.previous_evaluation(trial, spec)
        while evaluation is None:
            failed = {t.number for t in trial.study.get_trials(deepcopy=False, states=(TrialState.FAIL,))}
            claim = self.context.ledger.claim(self.study_name, trial.number, spec, self.plan.budget, failed)
            if claim == GRANTED:
                evaluation = self.context.evaluator.evaluate(spec, on_epoch=self.epoch_hook(trial, spec))
            elif claim == SPENT:
                trial.set_user_attr(RECORD_ATTR, {"status": "budget_spent", "spec": spec})
                raise BudgetSpent(f"{self.study_name}: the budget of {self.plan.budget} trainings is spent")
            else:  # another worker is training this very network: wait and reuse its result
                time.sleep(TWIN_POLL_S)
                fail_stale_trials(trial.study)  # if that worker died, its slot frees up and we train
                evaluation = self.previous_evaluation(trial, spec)
        if hw is None:  # sequential stage 2: the DSE for a network chosen on accuracy alone
            hw = self.context.hardware.best(spec)
        return self.finish(trial, spec, hw, evaluation, reason=evaluation.reason)

    def propose(self, trial: Trial) -> str:
        if self.plan.fixed_spec is not None:
            return self.plan.fixed_spec
        return str(self.context.space.suggest(trial))

    def hardware_of(self, spec: str, trial: Trial) -> HardwareResult:
        if not self.plan.joint_hardware:
            return self.context.hardware.best(spec)
        genes = {
            name: trial.suggest_categorical(f"{HW_PARAM_PREFIX}{name}", values) for name, values in self.hw_genes.items()
        }
        return self.context.hardware.design(spec, genes)

    def _rejection_reason(self, hw: HardwareResult) -> str:
        if not hw.fits:
            return "does not fit: " + ("; ".join(hw.problems) or "resources exceeded")
        return f"total {hw.total_ms:.4g} ms > latency budget {self.config.latency_budget_ms:.4g} ms"

    # --- reuse and pruning ---------------------------------------------------------------------
    def previous_evaluation(self, trial: Trial, spec: str) -> Evaluation | None:
        """The study's own earlier evaluation of the same network, reused for free."""
        for other in trial.study.get_trials(deepcopy=False, states=FINISHED_STATES):
            attrs = trial_attrs(other)
            if attrs.get("spec") == spec and attrs.get("evaluation") not in (None, "none"):
                return Evaluation(
                    status=attrs.get("status", "complete"),
                    accuracy=attrs.get("accuracy_fp32", attrs.get("accuracy")),
                    source="repeat",
                    reason=attrs.get("reason"),
                    metric=attrs.get("metric", ""),
                    cost_seconds=float(attrs.get("cost_seconds") or 0.0),
                    train_device=attrs.get("train_device"),
                    curve=list(attrs.get("curve") or []),
                    quantized=dict(attrs.get("quantized_accuracy") or {}),
                )
        return None

    def epoch_hook(self, trial: Trial, spec: str) -> Callable[[int, float], bool] | None:
        """The evaluator's per-epoch callback: tell `on_training`, then apply the pruning rule."""
        prune = self.pruning_rule(trial)
        report = self.on_training
        if report is None:
            return prune
        report(spec, 0)

        def on_epoch(epoch: int, accuracy: float) -> bool:
            report(spec, epoch)
            return prune(epoch, accuracy) if prune is not None else False

        return on_epoch

    def pruning_rule(self, trial: Trial) -> Callable[[int, float], bool] | None:
        """Median rule on intermediate validation accuracy (Optuna's MedianPruner, but it also
        works for multi-objective studies, whose trials Optuna cannot prune).

        After the warm-up epochs, a training whose accuracy at epoch e is below the median of the
        study's completed trainings at epoch e is stopped.
        """
        if not self.config.prune:
            return None
        curves = [
            list(attrs.get("curve") or [])
            for attrs in map(trial_attrs, trial.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
            if attrs.get("status") == "complete" and attrs.get("evaluation") != "repeat"
        ]
        warmup = self.config.prune_warmup_epochs

        def should_stop(epoch: int, accuracy: float) -> bool:
            if epoch <= warmup:
                return False
            peers = [curve[epoch - 1] for curve in curves if len(curve) >= epoch]
            return len(peers) >= MIN_PRUNING_PEERS and accuracy < statistics.median(peers)

        return should_stop

    # --- recording -----------------------------------------------------------------------------
    def finish(
        self, trial: Trial, spec: str, hw: HardwareResult, evaluation: Evaluation | None, reason: str | None
    ) -> float | tuple[float, float]:
        precision = ((hw.design or {}).get("settings") or {}).get("precision") or self.config.hardware.precision
        if evaluation is None:
            status, accuracy, measured_at = "rejected_hw", None, "fp32"
        else:  # the accuracy of the network as this design computes it
            status, (accuracy, measured_at) = evaluation.status, evaluation.accuracy_at(precision)
        constraints = _constraints(hw, evaluation, accuracy, self.config.latency_budget_ms, self.config.accuracy_floor)
        record = TrialRecord(
            number=trial.number,
            strategy=self.plan.strategy,
            spec=spec,
            **hw.attrs(),
            status=status,
            reason=reason or None,
            accuracy=accuracy,
            accuracy_precision=measured_at,
            accuracy_fp32=evaluation.accuracy if evaluation else None,
            quantized_accuracy=dict(evaluation.quantized) if evaluation else {},
            feasible=is_feasible(status=status, accuracy=accuracy, fits=hw.fits, total_ms=hw.total_ms,
                                 latency_budget_ms=self.config.latency_budget_ms,
                                 accuracy_floor=self.config.accuracy_floor),
            train_seconds=evaluation.spent_seconds if evaluation else 0.0,
            train_device=evaluation.train_device if evaluation else None,
            cached=evaluation is not None and evaluation.source in ("cache", "repeat"),
            evaluation=evaluation.source if evaluation else "none",
            cost_seconds=evaluation.cost_seconds if evaluation else 0.0,
            curve=list(evaluation.curve) if evaluation else [],
            metric=(evaluation.metric if evaluation else "") or self.context.evaluator.metric,
            worker=self.worker,
            constraints=constraints,
        )
        store_record(trial, record)
        if self.plan.multi_objective:  # the sequential stage 1 is blind to hardware on purpose
            store_constraints(trial, constraints)  # in CONSTRAINT_NAMES order
        if status == "pruned":
            raise optuna.TrialPruned(reason or "pruned")
        # objective values are always finite: Optuna FAILs a trial with a NaN value, and a FAIL
        # trial spends no budget (the Evaluation already turned a NaN metric into "failed")
        accuracy_value = float(accuracy) if accuracy is not None and status == "complete" else 0.0
        if not self.plan.multi_objective:
            return accuracy_value
        latency = hw.total_ms if hw.total_ms is not None and math.isfinite(hw.total_ms) else NO_DESIGN_LATENCY_MS
        return accuracy_value, float(latency)
