"""Statistics of search quality over many seeds, written so that a claim can fail (numpy only).

The input is a hypervolume curve per strategy: for each seed, the hypervolume a run had reached
after 1, 2, ..., T trainings, in % of the best possible (every network of the table evaluated).
From it:

- **HV regret** at a number of trainings: 100 − HV %, its median and interquartile range over seeds;
- **trainings to 99 %**: the first number of trainings at which a run reaches 99 % of the best
  hypervolume (infinite when it never does within T), median and IQR;
- **paired bootstrap 95 % interval** of the mean difference "baseline regret − subject regret" over
  the seeds (run i of both strategies used seed i, and in a replay seed i also draws the same
  replicate accuracies): positive = the subject is better; the interval *excludes zero* only when
  its lower end is above zero (or its upper end below), so identical results ([0, 0]) never count.

`compare_scenario` applies the claim of issue 9 (point 5) to one scenario: the subject's median
regret is below every baseline's at every budget; for every baseline, the interval excludes zero in
the subject's favour at no fewer than `ceil(2/3 · budgets)` of the budgets; and the subject reaches 99 %
of the best hypervolume in at most half the trainings of the fastest baseline (median over seeds).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

REACH_LEVEL_PCT = 99.0
CONFIDENCE = 0.95
BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 20_261_130  # fixed: the same curves always print the same interval
INTERVAL_SHARE = 2 / 3  # of the budgets at which each interval must exclude zero
SPEED_FACTOR = 0.5  # the subject needs at most this share of the best baseline's trainings


@dataclass(frozen=True)
class Spread:
    """Median and interquartile range (25th, 75th percentile) of values over seeds."""

    median: float
    q1: float
    q3: float

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1


@dataclass(frozen=True)
class Interval:
    """A point estimate and its confidence interval."""

    estimate: float
    low: float
    high: float

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


def spread(values: ArrayLike) -> Spread:
    """Median and IQR; infinite values (never reached) are ordered last, as they should be."""
    array = np.sort(np.asarray(values, dtype=float).reshape(-1))
    if array.size == 0:
        raise ValueError("no values")
    return Spread(_quantile(array, 0.5), _quantile(array, 0.25), _quantile(array, 0.75))


def _quantile(ordered: np.ndarray, q: float) -> float:
    """Linear interpolation between order statistics, as numpy's default, except that a quantile
    touching an infinite value is infinite (numpy gives nan for inf − inf)."""
    position = q * (ordered.size - 1)
    low, high = math.floor(position), math.ceil(position)
    if low == high:
        return float(ordered[low])
    if math.isinf(ordered[high]):
        return math.inf
    return float(ordered[low] + (position - low) * (ordered[high] - ordered[low]))


def regret_at(curves: ArrayLike, trainings: int) -> np.ndarray:
    """HV regret (100 − HV %) of each seed's run after `trainings` trainings (a run that stopped
    earlier, its space exhausted, keeps its last value)."""
    array = _curves(curves)
    column = min(trainings, array.shape[1]) - 1
    return 100.0 - array[:, column]


def trainings_to_reach(curves: ArrayLike, level_pct: float = REACH_LEVEL_PCT) -> np.ndarray:
    """Per seed: the first number of trainings whose hypervolume is ≥ `level_pct` % of the best
    (1-based); infinity when the run never gets there."""
    reached = _curves(curves) >= level_pct - 1e-9
    first = np.argmax(reached, axis=1) + 1.0
    first[~reached.any(axis=1)] = np.inf
    return first


def paired_bootstrap(baseline: ArrayLike, subject: ArrayLike, *, confidence: float = CONFIDENCE,
                     resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> Interval:
    """Percentile bootstrap interval of mean(baseline − subject) over paired seeds."""
    a, b = np.asarray(baseline, dtype=float).reshape(-1), np.asarray(subject, dtype=float).reshape(-1)
    if a.shape != b.shape or a.size == 0:
        raise ValueError(f"paired samples must have the same non-zero size ({a.size} vs {b.size})")
    differences = a - b
    rng = np.random.default_rng(seed)
    means = differences[rng.integers(0, differences.size, size=(resamples, differences.size))].mean(axis=1)
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(means, [tail, 100 - tail])
    return Interval(float(differences.mean()), float(low), float(high))


@dataclass
class ScenarioComparison:
    """One scenario: every strategy's regret and speed, the subject against each baseline."""

    budgets: tuple[int, ...]
    regret: dict[str, dict[int, Spread]]  # strategy -> trainings -> spread of HV regret
    reach: dict[str, Spread]  # strategy -> spread of trainings to 99 %
    intervals: dict[str, dict[int, Interval]]  # baseline -> trainings -> baseline − subject regret
    failures: list[str] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return not self.failures


def compare_scenario(curves: Mapping[str, ArrayLike], subject: str, baselines: Sequence[str],
                     budgets: Sequence[int] = (8, 16, 32), level_pct: float = REACH_LEVEL_PCT) -> ScenarioComparison:
    """The subject against every baseline on one scenario's curves (same seeds, same order)."""
    budgets = tuple(budgets)
    names = [subject, *baselines]
    regrets = {name: {b: regret_at(curves[name], b) for b in budgets} for name in names}
    reach_values = {name: trainings_to_reach(curves[name], level_pct) for name in names}
    comparison = ScenarioComparison(
        budgets=budgets,
        regret={name: {b: spread(values) for b, values in by_budget.items()} for name, by_budget in regrets.items()},
        reach={name: spread(values) for name, values in reach_values.items()},
        intervals={other: {b: paired_bootstrap(regrets[other][b], regrets[subject][b]) for b in budgets}
                   for other in baselines},
    )
    comparison.failures = _failures(comparison, subject, baselines)
    return comparison


def _failures(comparison: ScenarioComparison, subject: str, baselines: Sequence[str]) -> list[str]:
    failures = []
    mine = comparison.regret[subject]
    for other in baselines:
        behind = [b for b in comparison.budgets if not mine[b].median < comparison.regret[other][b].median]
        if behind:
            failures.append(f"median regret not below {other} at {behind} trainings")
        needed = math.ceil(INTERVAL_SHARE * len(comparison.budgets))
        clear = [b for b in comparison.budgets if comparison.intervals[other][b].low > 0]
        if len(clear) < needed:
            failures.append(f"interval vs {other} excludes zero at {clear or 'no'} budgets (needs {needed})")
    fastest = min(comparison.reach[other].median for other in baselines)
    own = comparison.reach[subject].median
    if not (own <= SPEED_FACTOR * fastest):  # inf <= inf * 0.5 holds: neither reaching is no win
        failures.append(f"reaches {REACH_LEVEL_PCT:g} % of the best HV after {_count(own)} trainings, "
                        f"not within half of the fastest baseline's {_count(fastest)}")
    elif math.isinf(own):
        failures.append(f"never reaches {REACH_LEVEL_PCT:g} % of the best HV")
    return failures


def _count(value: float) -> str:
    return "never" if math.isinf(value) else f"{value:g}"


def _curves(curves: ArrayLike) -> np.ndarray:
    array = np.asarray(curves, dtype=float)
    if array.ndim != 2 or array.shape[1] == 0:
        raise ValueError("curves must be (seeds, trainings) hypervolume percentages")
    return array
