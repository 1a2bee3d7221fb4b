"""Search progress: hypervolume and best feasible accuracy as a strategy's trainings accumulate."""

from __future__ import annotations

from dataclasses import dataclass

from coexplore.results import HypervolumeReference, TrialRecord, hypervolume


@dataclass(frozen=True)
class ProgressPoint:
    """The state of one strategy after `trainings` trainings (trial `number` was the last)."""

    trainings: int
    number: int
    hypervolume: float
    best_feasible_accuracy: float | None


def progress(trials: list[TrialRecord], reference: HypervolumeReference) -> list[ProgressPoint]:
    """Hypervolume and best feasible accuracy as trainings accumulate, in trial order.

    A trial counts as a training when it spent budget (hardware-rejected trials and repeats are
    free). The curve starts at 0 trainings; the hypervolume is recomputed only when a feasible
    trial arrives (nothing else can move the front).
    """
    points = [ProgressPoint(0, -1, 0.0, None)]
    feasible: list[TrialRecord] = []
    trainings, volume, best = 0, 0.0, None
    for trial in sorted(trials, key=lambda t: t.number):
        trainings += trial.spends_budget
        if trial.feasible:
            feasible.append(trial)
            volume = hypervolume(feasible, reference)
            best = trial.accuracy if best is None else max(best, trial.accuracy)  # type: ignore[type-var]
        if trial.spends_budget or trial.feasible:
            points.append(ProgressPoint(trainings, trial.number, volume, best))
    return points
