"""A hardware-aware sampler: expected hypervolume improvement with the latency known in advance.

In co-exploration one of the two objectives is cheap: a network's latency on its best design comes
from the DSE in milliseconds, its accuracy from hours of training. So instead of modelling both
(as a generic multi-objective optimiser must), this sampler models only accuracy and takes the
latency as known:

1. the candidates are the networks of the space (all of a small space, a fixed random sample of a
   large one) that fit the board and meet the latency budget, each with its best-design latency;
2. a Gaussian process over the network's size and genes (surrogate.py) predicts accuracy, with a
   Gaussian predictive distribution;
3. the next network is the untried candidate with the largest expected improvement of the
   accuracy-vs-latency hypervolume. With the latency fixed, the improvement is piecewise linear in
   the accuracy and its expectation under a Gaussian has a closed form (below).

The first `n_startup` proposals are random candidates (the co-exploration's warm start usually
fills them). Everything is rebuilt from the study's trials on each call, so several workers and a
resumed study share the same model; trials in flight are not proposed again.

`ThompsonHVISampler` (sampler `thompson`, coexplore's setting in bench/search_quality.py) scores
the same improvement for one joint draw of the networks' accuracies from the posterior instead of
its expectation (Thompson sampling): the search follows its seed, where the expected improvement of
a warm-started study is the same for every seed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import optuna

from coexplore.search.surrogate import GeneGP
from coexplore.search.whole_network import Candidate, WholeNetworkSampler

DEFAULT_STARTUP = 4


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


class KnownLatencyEHVISampler(WholeNetworkSampler):
    """Proposes whole networks by expected hypervolume improvement (whole_network.py does the
    Optuna side); random candidates, drawn by the seed, until `n_startup` trainings exist."""

    def __init__(
        self,
        candidates: Sequence[Candidate],
        *,
        reference: tuple[float, float],
        seed: int | None = None,
        n_startup: int = DEFAULT_STARTUP,
    ):
        super().__init__(candidates, seed=seed)
        self.reference = reference
        self.n_startup = n_startup

    def pick(self, pool: list[Candidate], trained: list[tuple[Candidate, float]], study: optuna.Study) -> Candidate:
        if len(trained) < self.n_startup:
            return pool[int(self._rng.integers(len(pool)))]
        return self.random_among_best(pool, self.scores(trained, pool))

    def model(self, trained: list[tuple[Candidate, float]]) -> GeneGP:
        features = np.array([c.features for c, _ in trained], dtype=float)
        targets = np.array([acc for _, acc in trained], dtype=float)
        everything = np.array([c.features for c in self.candidates], dtype=float)
        return GeneGP(features, targets, everything)

    def improvements(self, trained: list[tuple[Candidate, float]], pool: list[Candidate],
                     mean: np.ndarray, std: np.ndarray) -> np.ndarray:
        """The expected hypervolume gain of each pool candidate, its accuracy ~ N(mean, std²)."""
        front = [(acc, c.total_ms) for c, acc in trained]
        scores = []
        for candidate, mu, sigma in zip(pool, mean, std):
            levels, widths = front_levels(front, candidate.total_ms, self.reference)
            scores.append(expected_improvement_area(float(mu), float(sigma), levels, widths))
        return np.array(scores)

    def scores(self, trained: list[tuple[Candidate, float]], pool: list[Candidate]) -> np.ndarray:
        """What `pick` maximises: the expected hypervolume gain under the model's prediction."""
        mean, std = self.model(trained).predict(np.array([c.features for c in pool], dtype=float))
        return self.improvements(trained, pool, mean, std)


class ThompsonHVISampler(KnownLatencyEHVISampler):
    """The hypervolume gain of each candidate under one posterior draw of the accuracies."""

    def scores(self, trained: list[tuple[Candidate, float]], pool: list[Candidate]) -> np.ndarray:
        model = self.model(trained)
        drawn = model.draw(np.array([c.features for c in pool], dtype=float), self._rng)
        return self.improvements(trained, pool, drawn, np.zeros_like(drawn))
