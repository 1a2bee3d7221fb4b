"""Samplers behind one Optuna protocol: NSGA-II (default), TPE, random, and a REINFORCE controller.

The REINFORCE controller is the policy-gradient search of the FNAS / hardware-software
co-exploration papers (Jiang et al., DAC 2019 and TCAD 2020): a policy over the genes samples a
candidate, the reward is its accuracy minus a latency penalty, and the policy moves toward
candidates with above-baseline reward. Here the policy is one softmax per gene (the per-gene
variant the brief allows; an RNN controller would condition genes on each other). It is stateless
with respect to the process: every call replays the study's finished trials in trial order, so any
number of workers, and a resumed study, share the same policy.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, IntDistribution
from optuna.samplers import BaseSampler, NSGAIISampler, RandomSampler, TPESampler
from optuna.trial import FrozenTrial, TrialState

from coexplore.errors import choice_error
from coexplore.search.records import trial_attrs

SAMPLER_NAMES: tuple[str, ...] = ("nsga2", "tpe", "random", "reinforce", "ehvi")

# NSGA-II population when none is configured: a few generations must fit in the budget, so the
# population scales with it (Optuna's default of 50 would leave a 16-training search random).
MIN_AUTO_POPULATION = 4
MAX_AUTO_POPULATION = 50
AUTO_POPULATION_GENERATIONS = 4
# TPE's random start-up: at most this many trials, and no more than a quarter of the budget.
MAX_TPE_STARTUP = 10

# REINFORCE settings (FNAS-style reward; policy-gradient step on per-gene logits).
REINFORCE_LEARNING_RATE = 2.0
REINFORCE_BASELINE_DECAY = 0.8  # exponential moving average of the reward (variance reduction)
REINFORCE_EXPLORATION = 0.1  # share of uniform sampling mixed into the policy: every gene value stays reachable


def auto_population(budget: int) -> int:
    return max(MIN_AUTO_POPULATION, min(MAX_AUTO_POPULATION, budget // AUTO_POPULATION_GENERATIONS))


def make_sampler(
    name: str,
    *,
    seed: int,
    budget: int,
    population_size: int | None = None,
    latency_budget_ms: float | None = None,
    latency_weight: float = 0.5,
    candidates: Any = None,
    reference: tuple[float, float] | None = None,
) -> BaseSampler:
    """The named sampler, seeded. Constraints reach NSGA-II and TPE through the trials themselves
    (`trial.set_constraint` in the objective). `ehvi` (ehvi.py) needs the candidate networks with
    their latencies and the hypervolume reference point (accuracy, ms)."""
    if name == "nsga2":
        return NSGAIISampler(population_size=population_size or auto_population(budget), seed=seed)
    if name == "tpe":
        startup = max(2, min(MAX_TPE_STARTUP, budget // 4))
        return TPESampler(seed=seed, n_startup_trials=startup)
    if name == "random":
        return RandomSampler(seed=seed)
    if name == "reinforce":
        return ReinforceSampler(seed=seed, latency_budget_ms=latency_budget_ms, latency_weight=latency_weight)
    if name == "ehvi":
        from coexplore.search.ehvi import KnownLatencyEHVISampler

        if candidates is None or reference is None:
            raise ValueError("the ehvi sampler needs the candidate networks and the hypervolume reference")
        return KnownLatencyEHVISampler(candidates, reference=reference, seed=seed)
    raise choice_error("sampler", name, SAMPLER_NAMES)


def fnas_reward(
    accuracy_pct: float | None,
    total_ms: float | None,
    fits: bool,
    latency_budget_ms: float | None,
    reference_ms: float,
    weight: float,
) -> float:
    """Accuracy (0..1) minus a latency penalty.

    With a latency budget T (FNAS): the penalty is `weight · max(0, L/T − 1)`, so any design within
    the budget is judged on accuracy alone. Without one: `weight · L / reference`, a scalarised
    accuracy-vs-latency trade-off. A candidate with no fitting design gets the full `weight`.
    """
    accuracy = (accuracy_pct or 0.0) / 100.0
    if not fits or total_ms is None:
        return accuracy - weight
    if latency_budget_ms:
        return accuracy - weight * max(0.0, total_ms / latency_budget_ms - 1.0)
    return accuracy - weight * total_ms / max(reference_ms, 1e-12)


def _choices(distribution: BaseDistribution) -> list[Any] | None:
    """The finite list of values of a distribution, or None if it is continuous."""
    if isinstance(distribution, CategoricalDistribution):
        return list(distribution.choices)
    if isinstance(distribution, IntDistribution) and not distribution.log:
        return list(range(distribution.low, distribution.high + 1, distribution.step))
    return None


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max())
    return shifted / shifted.sum()


class ReinforceSampler(BaseSampler):
    """REINFORCE with one softmax policy per gene, rebuilt from the study's history on each call."""

    def __init__(
        self,
        *,
        seed: int | None = None,
        latency_budget_ms: float | None = None,
        latency_weight: float = 0.5,
        learning_rate: float = REINFORCE_LEARNING_RATE,
        baseline_decay: float = REINFORCE_BASELINE_DECAY,
        exploration: float = REINFORCE_EXPLORATION,
    ):
        self._rng = np.random.default_rng(seed)
        self._fallback = RandomSampler(seed=seed)
        self.latency_budget_ms = latency_budget_ms
        self.latency_weight = latency_weight
        self.learning_rate = learning_rate
        self.baseline_decay = baseline_decay
        self.exploration = exploration
        self._memo: tuple[int, dict[str, np.ndarray]] | None = None

    # The per-gene policy samples every gene independently; no joint (relative) space.
    def infer_relative_search_space(self, study: optuna.Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(self, study: optuna.Study, trial: FrozenTrial, search_space: dict) -> dict[str, Any]:
        return {}

    def sample_independent(
        self, study: optuna.Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        choices = _choices(param_distribution)
        if choices is None:
            return self._fallback.sample_independent(study, trial, param_name, param_distribution)
        logits = self.policy(study).get(param_name)
        probs = np.full(len(choices), 1.0 / len(choices))
        if logits is not None and len(logits) == len(choices):
            probs = (1 - self.exploration) * _softmax(logits) + self.exploration * probs
        return choices[int(self._rng.choice(len(choices), p=probs))]

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()
        self._fallback.reseed_rng()

    # --- the policy ------------------------------------------------------------------------------
    def reward(self, trial: FrozenTrial, reference_ms: float) -> float:
        attrs = trial_attrs(trial)
        accuracy = attrs.get("accuracy") if attrs.get("status") == "complete" else 0.0
        return fnas_reward(
            accuracy, attrs.get("total_ms"), bool(attrs.get("fits", True)), self.latency_budget_ms,
            reference_ms, self.latency_weight,
        )

    def policy(self, study: optuna.Study) -> dict[str, np.ndarray]:
        """Per-gene logits after replaying every finished trial in order (memoised per history)."""
        trials = sorted(
            study._get_trials(deepcopy=False, states=(TrialState.COMPLETE,), use_cache=True),
            key=lambda t: t.number,
        )
        if self._memo is not None and self._memo[0] == len(trials):
            return self._memo[1]
        latencies = [a["total_ms"] for a in map(trial_attrs, trials) if a.get("total_ms") is not None]
        reference_ms = max(latencies) if latencies else 1.0
        logits: dict[str, np.ndarray] = {}
        baseline: float | None = None
        for trial in trials:
            reward = self.reward(trial, reference_ms)
            if baseline is not None:
                advantage = reward - baseline
                for name, value in trial.params.items():
                    self._step(logits, name, trial.distributions[name], value, advantage)
            baseline = reward if baseline is None else self.baseline_decay * baseline + (1 - self.baseline_decay) * reward
        self._memo = (len(trials), logits)
        return logits

    def _step(self, logits: dict, name: str, distribution: BaseDistribution, value: Any, advantage: float) -> None:
        choices = _choices(distribution)
        if choices is None or value not in choices:
            return
        current = logits.setdefault(name, np.zeros(len(choices)))
        if len(current) != len(choices):
            return
        gradient = -_softmax(current)
        gradient[choices.index(value)] += 1.0  # ∇ log π(value) for a softmax policy
        current += self.learning_rate * advantage * gradient
        if not np.all(np.isfinite(current)):
            logits[name] = np.zeros(len(choices))


def entropy_bits(logits: np.ndarray) -> float:
    """Policy entropy (for diagnostics and tests): log2(n) when uniform, 0 when certain."""
    probs = _softmax(logits)
    return float(-sum(p * math.log2(p) for p in probs if p > 0))
