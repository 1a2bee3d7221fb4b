"""The search-quality statistics on curves whose answer is known by construction."""

from __future__ import annotations

import numpy as np
import pytest

from coexplore.results.statistics import (
    compare_scenario,
    paired_bootstrap,
    regret_at,
    spread,
    trainings_to_reach,
)

SEEDS, TRAININGS = 24, 32


def _curves(rng: np.random.Generator, rate: float) -> np.ndarray:
    """Noisy saturating HV curves (% of the best): a larger `rate` approaches 100 % sooner."""
    steps = np.arange(1, TRAININGS + 1)
    mean = 100 * (1 - np.exp(-rate * steps))
    noisy = mean[None, :] - rng.gamma(2.0, 0.25, size=(SEEDS, 1))  # a per-run offset
    return np.clip(np.maximum.accumulate(noisy, axis=1), 0, 100)


def test_spread_and_regret_and_reach():
    curves = np.array([[50, 90, 99.5], [40, 60, 80]], dtype=float)
    assert regret_at(curves, 2).tolist() == [10, 40]
    assert regret_at(curves, 99).tolist() == [0.5, 20]  # past the end: the last value
    assert trainings_to_reach(curves).tolist() == [3, np.inf]
    s = spread([1, 2, 3, 4, 5])
    assert (s.median, s.q1, s.q3, s.iqr) == (3, 2, 4, 2)
    assert spread([1, 2, np.inf, np.inf]).median == np.inf  # half never reached: the median did not
    assert spread([1, 2, 3, np.inf]).median == 2.5


def test_identical_runs_are_not_told_apart():
    interval = paired_bootstrap([3.0, 1.0, 2.0], [3.0, 1.0, 2.0])
    assert (interval.estimate, interval.low, interval.high) == (0, 0, 0)
    assert not interval.excludes_zero


def test_better_by_construction_is_found_better_and_equal_ones_are_not():
    rng = np.random.default_rng(7)
    curves = {"better": _curves(rng, 0.30), "same-a": _curves(rng, 0.12), "same-b": _curves(rng, 0.12)}

    found = compare_scenario(curves, "better", ["same-a", "same-b"])
    assert found.met, found.failures
    for other in ("same-a", "same-b"):
        for b in (8, 16, 32):
            interval = found.intervals[other][b]
            assert interval.low > 0 and interval.excludes_zero
    assert found.reach["better"].median <= 0.5 * found.reach["same-a"].median

    tie = compare_scenario(curves, "same-a", ["same-b"])
    assert not tie.met
    assert not any(tie.intervals["same-b"][b].excludes_zero for b in (8, 16, 32))


def test_a_worse_subject_fails_every_criterion():
    rng = np.random.default_rng(3)
    curves = {"worse": _curves(rng, 0.08), "baseline": _curves(rng, 0.25)}
    result = compare_scenario(curves, "worse", ["baseline"])
    assert not result.met
    assert any("median regret" in f for f in result.failures)
    assert any("interval" in f for f in result.failures)
    assert any("99 %" in f for f in result.failures)
    assert all(result.intervals["baseline"][b].high < 0 for b in (8, 16, 32))


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError):
        paired_bootstrap([1, 2], [1])
    with pytest.raises(ValueError):
        regret_at([1, 2, 3], 1)
