"""The strategies, by name: how each one uses the shared machinery (objective, evaluator, cache,
budget ledger), as a `Plan`.

| strategy      | proposes                                   | hardware check        | objectives            |
|---------------|--------------------------------------------|-----------------------|-----------------------|
| coexplore     | network (+ hw genes if `hw: joint`), the   | first: misfits and    | accuracy ↑, latency ↓ |
|               | configured sampler (NSGA-II by default)    | over-budget rejected  | + constraints         |
| sequential    | network only, accuracy-only sampler (TPE)  | after training (stage | accuracy ↑            |
|               |                                            | 2: DSE per network)   |                       |
| random        | random network (+ random hw genes)         | first                 | accuracy ↑, latency ↓ |
| hardware-only | the baseline network, DSE only             | first                 | accuracy ↑, latency ↓ |

Baselines and ablations for the search-quality benchmark (bench/search_quality.py), on the same
budget and cache:

| strategy              | what it is                                                                      |
|-----------------------|---------------------------------------------------------------------------------|
| sequential-hw-first   | the sequential accuracy-only sampler, but misfits and over-budget networks are  |
|                       | rejected before training, for free, scoring 0 for the sampler (a strong         |
|                       | sequential flow)                                                                |
| largest-first         | no search: the feasible networks in decreasing order of MACs                    |
| coexplore-no-warm-start | coexplore without its warm start (what the sampler alone does)                |

Every strategy gets the same training budget (`budget` trainings; hardware-only needs one). A
worker runs trials until the study has spent its budget, reached its trial cap, or gone `patience`
trials in a row without a training (space exhausted). `STRATEGIES` maps each name to its plan
factory; the config validates its strategy names against it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from coexplore.errors import choice_error

MULTI_OBJECTIVE = ("maximize", "minimize")  # accuracy, total latency
ACCURACY_ONLY = ("maximize",)


@dataclass(frozen=True)
class Plan:
    """How one strategy uses the shared machinery."""

    strategy: str
    directions: tuple[str, ...]
    sampler: str
    hardware_first: bool
    joint_hardware: bool
    budget: int
    patience: int
    fixed_spec: str | None = None
    warm_start: bool = False  # queue a first population spread over the latency range (if configured)

    @property
    def multi_objective(self) -> bool:
        return len(self.directions) > 1


class StrategySettings(Protocol):
    """The search settings a plan reads (`SearchConfig` has them)."""

    sampler: str
    sequential_sampler: str
    hw: str
    budget: int
    patience: int


def _coexplore(settings: StrategySettings, baseline: str) -> Plan:
    return Plan("coexplore", MULTI_OBJECTIVE, settings.sampler, True, settings.hw == "joint", settings.budget,
                settings.patience, warm_start=True)


def _random(settings: StrategySettings, baseline: str) -> Plan:
    return Plan("random", MULTI_OBJECTIVE, "random", True, settings.hw == "joint", settings.budget, settings.patience)


def _sequential(settings: StrategySettings, baseline: str) -> Plan:
    return Plan("sequential", ACCURACY_ONLY, settings.sequential_sampler, False, False, settings.budget,
                settings.patience)


def _sequential_hw_first(settings: StrategySettings, baseline: str) -> Plan:
    return Plan("sequential-hw-first", ACCURACY_ONLY, settings.sequential_sampler, True, False, settings.budget,
                settings.patience)


def _largest_first(settings: StrategySettings, baseline: str) -> Plan:
    return Plan("largest-first", MULTI_OBJECTIVE, "largest-first", True, False, settings.budget, settings.patience)


def _coexplore_no_warm_start(settings: StrategySettings, baseline: str) -> Plan:
    return Plan("coexplore-no-warm-start", MULTI_OBJECTIVE, settings.sampler, True, settings.hw == "joint",
                settings.budget, settings.patience, warm_start=False)


def _hardware_only(settings: StrategySettings, baseline: str) -> Plan:
    # one network, so one training and no patience for repeats
    return Plan("hardware-only", MULTI_OBJECTIVE, "random", True, False, 1, 1, fixed_spec=baseline)


PlanFactory = Callable[[StrategySettings, str], Plan]
STRATEGIES: dict[str, PlanFactory] = {
    "coexplore": _coexplore,
    "sequential": _sequential,
    "random": _random,
    "hardware-only": _hardware_only,
    "sequential-hw-first": _sequential_hw_first,
    "largest-first": _largest_first,
    "coexplore-no-warm-start": _coexplore_no_warm_start,
}


def plan_for(strategy: str, settings: StrategySettings, baseline: str) -> Plan:
    """What `strategy` does with the shared machinery (see the table above)."""
    if strategy not in STRATEGIES:
        raise choice_error("strategies", strategy, tuple(STRATEGIES))
    return STRATEGIES[strategy](settings, baseline)
