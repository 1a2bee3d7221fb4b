"""Samplers that choose a whole network at once from a list of candidates known before training.

In co-exploration a network's best-design latency and its MACs come from the DSE for free, long
before its accuracy. The samplers here see the candidates (networks that fit the board and meet the
latency budget, with those costs) and pick one per trial; the objective then asks for its genes
one by one and gets the chosen values. Subclasses only say which candidate comes next:

- `LargestFirstSampler`: the untried candidate with the most MACs (the "train the largest
  feasible networks" baseline: no search at all, ties broken by the seed);
- `KnownLatencyEHVISampler` (ehvi.py): expected hypervolume improvement under an accuracy model.

Everything is rebuilt from the study's trials on each call, so several workers and a resumed study
agree; trials in flight are not proposed again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.samplers import BaseSampler, RandomSampler
from optuna.trial import FrozenTrial, TrialState

from coexplore.search.records import trial_attrs


@dataclass(frozen=True)
class Candidate:
    """A network the sampler may propose, with what is known of it before training."""

    spec: str
    params: dict[str, Any]
    total_ms: float
    features: tuple[float, ...]
    macs: float = 0.0


def candidate_key(params: dict[str, Any]) -> tuple:
    return tuple(sorted(params.items()))


def _allows(distribution: BaseDistribution, value: Any) -> bool:
    """Is `value` one of the distribution's values? (A candidate's gene may have left the space
    of a resumed study; the sampler then falls back to a random value.)"""
    if isinstance(distribution, CategoricalDistribution):
        return value in distribution.choices
    if isinstance(distribution, IntDistribution):
        return distribution.low <= value <= distribution.high and (value - distribution.low) % distribution.step == 0
    if isinstance(distribution, FloatDistribution):
        return distribution.low <= value <= distribution.high
    return False


class WholeNetworkSampler(BaseSampler):
    """Proposes whole networks (all their genes at once); subclasses implement `pick`."""

    def __init__(self, candidates: Sequence[Candidate], *, seed: int | None = None):
        self.candidates = list(candidates)
        self.by_key = {candidate_key(c.params): c for c in self.candidates}
        self._rng = np.random.default_rng(seed)
        self._fallback = RandomSampler(seed=seed)
        self._chosen: dict[int, dict[str, Any]] = {}

    def pick(self, pool: list[Candidate], trained: list[tuple[Candidate, float]], study: optuna.Study) -> Candidate:
        """The next network from the untried `pool`, given the (candidate, accuracy) trained so far."""
        raise NotImplementedError

    # --- the Optuna protocol: the whole network is chosen before the objective asks for genes ---
    def infer_relative_search_space(self, study: optuna.Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(self, study: optuna.Study, trial: FrozenTrial, search_space: dict) -> dict[str, Any]:
        return {}

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        if "fixed_params" in trial.system_attrs:  # an enqueued or retried trial: keep its genes
            return
        choice = self.choose(study)
        if choice is not None:
            self._chosen[trial.number] = choice.params

    def sample_independent(
        self, study: optuna.Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        chosen = self._chosen.get(trial.number, {})
        if param_name in chosen and _allows(param_distribution, chosen[param_name]):
            return chosen[param_name]
        return self._fallback.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(self, study: optuna.Study, trial: FrozenTrial, state: TrialState, values: Any) -> None:
        self._chosen.pop(trial.number, None)

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()
        self._fallback.reseed_rng()

    # --- the choice ----------------------------------------------------------------------------
    def choose(self, study: optuna.Study) -> Candidate | None:
        trials = study.get_trials(deepcopy=False)
        taken = {candidate_key(t.params) for t in trials
                 if t.state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)}
        taken |= {candidate_key(p) for p in self._chosen.values()}
        pool = [c for c in self.candidates if candidate_key(c.params) not in taken]
        if not pool:
            return None
        return self.pick(pool, self.trained(trials), study)

    def trained(self, trials: list[FrozenTrial]) -> list[tuple[Candidate, float]]:
        """(candidate, accuracy) of every completed training in the study."""
        found = []
        for trial in trials:
            attrs = trial_attrs(trial)
            candidate = self.by_key.get(candidate_key(trial.params))
            if trial.state == TrialState.COMPLETE and attrs.get("status") == "complete" and candidate is not None:
                found.append((candidate, float(attrs["accuracy"])))
        return found

    def random_among_best(self, pool: list[Candidate], scores: np.ndarray) -> Candidate:
        """The highest-scoring candidate; ties are broken by the seed."""
        best = np.flatnonzero(scores >= scores.max() - 1e-12)
        return pool[int(self._rng.choice(best))]


class LargestFirstSampler(WholeNetworkSampler):
    """The baseline with no search: train the feasible networks in decreasing order of MACs."""

    def pick(self, pool: list[Candidate], trained: list[tuple[Candidate, float]], study: optuna.Study) -> Candidate:
        return self.random_among_best(pool, np.array([c.macs for c in pool], dtype=float))
