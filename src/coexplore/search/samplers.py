"""The samplers, by name: NSGA-II (default), TPE, random, REINFORCE (reinforce.py), the
known-latency EHVI sampler and its Thompson-sampling twin `thompson` (ehvi.py), and largest-first (whole_network.py: the feasible networks in
decreasing order of MACs, the no-search baseline), all behind Optuna's sampler protocol. Every one
is seeded from the search seed (tie-breaks included), so two seeds give two searches.

`SAMPLERS` maps each name to a factory of `SamplerSettings`; the config validates its sampler names
against it. Factories import their sampler when called, so reading the names loads neither optuna
nor torch. Constraints reach NSGA-II and TPE through the trials themselves (the constraint list
`records.store_constraints` writes in the objective).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from coexplore.errors import choice_error

if TYPE_CHECKING:
    from optuna.samplers import BaseSampler

    from coexplore.search.whole_network import Candidate

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
class KnownCosts:
    """What the whole-network samplers know before any training: the candidate networks with
    their best-design latency and MACs, and the hypervolume reference point (accuracy, ms)."""

    candidates: list[Candidate]
    reference: tuple[float, float]


@dataclass(frozen=True)
class SamplerSettings:
    """Everything a sampler factory may read. `known_costs` is called only by the whole-network
    samplers' factories (finding the candidates costs a DSE per network)."""

    seed: int
    budget: int
    population_size: int | None = None
    latency_budget_ms: float | None = None
    latency_weight: float = 0.5
    known_costs: Callable[[], KnownCosts] | None = None


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


def _known_costs(settings: SamplerSettings) -> KnownCosts:
    if settings.known_costs is None:
        raise ValueError("a whole-network sampler needs the candidate networks and the hypervolume reference")
    return settings.known_costs()


def _ehvi(settings: SamplerSettings) -> BaseSampler:
    from coexplore.search.ehvi import KnownLatencyEHVISampler

    known = _known_costs(settings)
    return KnownLatencyEHVISampler(known.candidates, reference=known.reference, seed=settings.seed)


def _thompson(settings: SamplerSettings) -> BaseSampler:
    from coexplore.search.ehvi import ThompsonHVISampler

    known = _known_costs(settings)
    return ThompsonHVISampler(known.candidates, reference=known.reference, seed=settings.seed)


def _largest_first(settings: SamplerSettings) -> BaseSampler:
    from coexplore.search.whole_network import LargestFirstSampler

    return LargestFirstSampler(_known_costs(settings).candidates, seed=settings.seed)


SamplerFactory = Callable[[SamplerSettings], "BaseSampler"]
SAMPLERS: dict[str, SamplerFactory] = {
    "nsga2": _nsga2,
    "tpe": _tpe,
    "random": _random,
    "reinforce": _reinforce,
    "ehvi": _ehvi,
    "thompson": _thompson,
    "largest-first": _largest_first,
}


def make_sampler(name: str, settings: SamplerSettings) -> BaseSampler:
    """The named sampler, seeded."""
    if name not in SAMPLERS:
        raise choice_error("sampler", name, tuple(SAMPLERS))
    return SAMPLERS[name](settings)
