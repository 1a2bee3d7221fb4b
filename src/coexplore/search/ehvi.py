"""A hardware-aware sampler: expected hypervolume improvement with the latency known in advance.

In co-exploration one of the two objectives is cheap: a network's latency on its best design comes
from the DSE in milliseconds, its accuracy from hours of training. So instead of modelling both
(as a generic multi-objective optimiser must), this sampler models only accuracy and takes the
latency as known:

1. the candidates are the networks of the space (all of a small space, a fixed random sample of a
   large one) that fit the board and meet the latency budget, each with its best-design latency;
2. a Bayesian linear model predicts accuracy from the network's genes and size (log MACs, log
   weights), with a Gaussian predictive distribution;
3. the next network is the untried candidate with the largest expected improvement of the
   accuracy-vs-latency hypervolume. With the latency fixed, the improvement is piecewise linear in
   the accuracy and its expectation under a Gaussian has a closed form (below).

The first `n_startup` proposals are random candidates (the co-exploration's warm start usually
fills them). Everything is rebuilt from the study's trials on each call, so several workers and a
resumed study share the same model; trials in flight are not proposed again.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.samplers import BaseSampler, RandomSampler
from optuna.trial import FrozenTrial, TrialState

from coexplore.search.records import trial_attrs

# Model settings, in units of the standardised accuracy (mean 0, std 1 over the trained networks):
PRIOR_PRECISION = 1.0  # ridge prior on every standardised feature weight
NOISE_VARIANCE = 0.1  # a tenth of the spread between networks is training noise
DEFAULT_STARTUP = 4


@dataclass(frozen=True)
class Candidate:
    spec: str
    params: dict[str, Any]
    total_ms: float
    features: tuple[float, ...]


def _key(params: dict[str, Any]) -> tuple:
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


def expected_improvement_area(mean: float, std: float, levels: Sequence[float], widths: Sequence[float]) -> float:
    """E[Σ_i width_i · max(0, a − level_i)] for a ~ N(mean, std²): the expected hypervolume a new
    point adds, where `levels` is the accuracy the front already reaches over each latency segment
    to the right of the new point and `widths` the segments' lengths in ms."""
    total = 0.0
    for level, width in zip(levels, widths):
        gap = mean - level
        if std <= 0:
            total += width * max(0.0, gap)
            continue
        z = gap / std
        cdf = 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))
        pdf = math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
        total += width * (gap * cdf + std * pdf)
    return total


def front_levels(front: list[tuple[float, float]], latency_ms: float, reference: tuple[float, float]):
    """The accuracy the front reaches over each latency segment from `latency_ms` to the reference
    latency. `front` holds (accuracy, latency) points; reference = (accuracy, latency)."""
    ref_acc, ref_ms = reference
    if latency_ms >= ref_ms:
        return [], []
    cuts = sorted({ms for _, ms in front if latency_ms < ms < ref_ms} | {latency_ms, ref_ms})
    levels, widths = [], []
    for left, right in zip(cuts, cuts[1:]):
        reached = max([acc for acc, ms in front if ms <= left] + [ref_acc])
        levels.append(reached)
        widths.append(right - left)
    return levels, widths


class BayesianLinearModel:
    """Ridge-prior linear regression with a Gaussian predictive distribution (standardised data)."""

    def __init__(self, features: np.ndarray, targets: np.ndarray, all_features: np.ndarray):
        self.center = all_features.mean(axis=0)
        self.scale = all_features.std(axis=0)
        self.scale[self.scale == 0] = 1.0
        self.y_mean = float(targets.mean())
        self.y_std = float(targets.std()) or 1.0
        x = self._design(features)
        y = (targets - self.y_mean) / self.y_std
        precision = x.T @ x / NOISE_VARIANCE + PRIOR_PRECISION * np.eye(x.shape[1])
        self.covariance = np.linalg.inv(precision)
        self.weights = self.covariance @ x.T @ y / NOISE_VARIANCE

    def _design(self, features: np.ndarray) -> np.ndarray:
        return (features - self.center) / self.scale

    def predict(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = self._design(features)
        mean = x @ self.weights
        variance = NOISE_VARIANCE + np.einsum("ij,jk,ik->i", x, self.covariance, x)
        return mean * self.y_std + self.y_mean, np.sqrt(variance) * self.y_std


class KnownLatencyEHVISampler(BaseSampler):
    """Proposes whole networks (all their genes at once) by expected hypervolume improvement."""

    def __init__(
        self,
        candidates: Sequence[Candidate],
        *,
        reference: tuple[float, float],
        seed: int | None = None,
        n_startup: int = DEFAULT_STARTUP,
    ):
        self.candidates = list(candidates)
        self.by_key = {_key(c.params): c for c in self.candidates}
        self.reference = reference
        self.n_startup = n_startup
        self._rng = np.random.default_rng(seed)
        self._fallback = RandomSampler(seed=seed)
        self._chosen: dict[int, dict[str, Any]] = {}

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
        taken = {_key(t.params) for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)}
        taken |= {_key(p) for p in self._chosen.values()}
        pool = [c for c in self.candidates if _key(c.params) not in taken]
        if not pool:
            return None
        trained = []
        for trial in trials:
            attrs = trial_attrs(trial)
            candidate = self.by_key.get(_key(trial.params))
            if trial.state == TrialState.COMPLETE and attrs.get("status") == "complete" and candidate is not None:
                trained.append((candidate, float(attrs["accuracy"])))
        if len(trained) < self.n_startup:
            return pool[int(self._rng.integers(len(pool)))]
        scores = self.expected_improvements(trained, pool)
        best = np.flatnonzero(scores >= scores.max() - 1e-12)
        return pool[int(self._rng.choice(best))]

    def expected_improvements(self, trained: list[tuple[Candidate, float]], pool: list[Candidate]) -> np.ndarray:
        features = np.array([c.features for c, _ in trained], dtype=float)
        targets = np.array([acc for _, acc in trained], dtype=float)
        everything = np.array([c.features for c in self.candidates], dtype=float)
        model = BayesianLinearModel(features, targets, everything)
        mean, std = model.predict(np.array([c.features for c in pool], dtype=float))
        front = [(acc, c.total_ms) for c, acc in trained]
        scores = []
        for candidate, mu, sigma in zip(pool, mean, std):
            levels, widths = front_levels(front, candidate.total_ms, self.reference)
            scores.append(expected_improvement_area(float(mu), float(sigma), levels, widths))
        return np.array(scores)
