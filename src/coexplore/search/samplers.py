"""The samplers, by name: NSGA-II (default), TPE, random, REINFORCE (reinforce.py) and the
known-latency EHVI sampler (ehvi.py), all behind Optuna's sampler protocol.

`SAMPLERS` maps each name to a factory of `SamplerSettings`; the config validates its sampler names
against it. Factories import their sampler when called, so reading the names loads neither optuna
nor torch. Constraints reach NSGA-II and TPE through the trials themselves (`trial.set_constraint`
in the objective).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from coexplore.errors import choice_error

if TYPE_CHECKING:
    from optuna.samplers import BaseSampler

    from coexplore.search.ehvi import Candidate

# NSGA-II population when none is configured: a few generations must fit in the budget, so the
# population scales with it (Optuna's default of 50 would leave a 16-training search random).
MIN_AUTO_POPULATION = 4
MAX_AUTO_POPULATION = 50
AUTO_POPULATION_GENERATIONS = 4
# TPE's random start-up: at most this many trials, and no more than a quarter of the budget.
MAX_TPE_STARTUP = 10
MIN_TPE_STARTUP = 2


def auto_population(budget: int) -> int:
    return max(MIN_AUTO_POPULATION, min(MAX_AUTO_POPULATION, budget // AUTO_POPULATION_GENERATIONS))


@dataclass(frozen=True)
class EhviInputs:
    """What the ehvi sampler knows before any training: the candidate networks with their
    best-design latency, and the hypervolume reference point (accuracy, ms)."""

    candidates: list[Candidate]
    reference: tuple[float, float]


@dataclass(frozen=True)
class SamplerSettings:
    """Everything a sampler factory may read. `ehvi_inputs` is called only by the ehvi factory
    (finding the candidates costs a DSE per network)."""

    seed: int
    budget: int
    population_size: int | None = None
    latency_budget_ms: float | None = None
    latency_weight: float = 0.5
    ehvi_inputs: Callable[[], EhviInputs] | None = None


def _nsga2(settings: SamplerSettings) -> BaseSampler:
    from optuna.samplers import NSGAIISampler

    return NSGAIISampler(population_size=settings.population_size or auto_population(settings.budget), seed=settings.seed)


def _tpe(settings: SamplerSettings) -> BaseSampler:
    from optuna.samplers import TPESampler

    startup = max(MIN_TPE_STARTUP, min(MAX_TPE_STARTUP, settings.budget // 4))
    return TPESampler(seed=settings.seed, n_startup_trials=startup)


def _random(settings: SamplerSettings) -> BaseSampler:
    from optuna.samplers import RandomSampler

    return RandomSampler(seed=settings.seed)


def _reinforce(settings: SamplerSettings) -> BaseSampler:
    from coexplore.search.reinforce import ReinforceSampler

    return ReinforceSampler(seed=settings.seed, latency_budget_ms=settings.latency_budget_ms,
                            latency_weight=settings.latency_weight)


def _ehvi(settings: SamplerSettings) -> BaseSampler:
    from coexplore.search.ehvi import KnownLatencyEHVISampler

    if settings.ehvi_inputs is None:
        raise ValueError("the ehvi sampler needs the candidate networks and the hypervolume reference")
    inputs = settings.ehvi_inputs()
    return KnownLatencyEHVISampler(inputs.candidates, reference=inputs.reference, seed=settings.seed)


SamplerFactory = Callable[[SamplerSettings], "BaseSampler"]
SAMPLERS: dict[str, SamplerFactory] = {
    "nsga2": _nsga2,
    "tpe": _tpe,
    "random": _random,
    "reinforce": _reinforce,
    "ehvi": _ehvi,
}


def make_sampler(name: str, settings: SamplerSettings) -> BaseSampler:
    """The named sampler, seeded."""
    if name not in SAMPLERS:
        raise choice_error("sampler", name, tuple(SAMPLERS))
    return SAMPLERS[name](settings)
