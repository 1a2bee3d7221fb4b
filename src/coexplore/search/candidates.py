"""Choosing networks before any training: the candidate pool, the co-exploration's warm start
(a first population spread over the latency range) and the ehvi sampler's candidates.

All of it uses only what is known for free: the networks' shapes and their best-design latency
from the DSE (memoised per network by the hardware oracle).
"""

from __future__ import annotations

import math

import numpy as np
import optuna

from coexplore.errors import CoexploreError
from coexplore.nets import lower, parse_spec
from coexplore.results import hardware_feasible, hypervolume_reference
from coexplore.search.config import SearchConfig
from coexplore.search.context import SearchContext
from coexplore.search.samplers import KnownCosts, auto_population
from coexplore.search.strategies import Plan
from coexplore.search.surrogate import one_hot_genes
from coexplore.search.whole_network import Candidate

WARM_START_JITTER = 0.3  # of a bin: how far the seed moves the warm start's bin edges
WHOLE_NETWORK_WARM_START = 4
WHOLE_NETWORK_SAMPLERS = frozenset({"ehvi", "thompson"})


def candidate_pool(context: SearchContext, pool_size: int, seed: int) -> list[str]:
    """Every network of a small space, or `pool_size` random ones of a large space."""
    space = context.space
    if space.size() <= pool_size:
        return [str(spec) for spec in space.enumerate()]
    rng = np.random.default_rng(seed)
    return sorted({str(space.sample(rng)) for _ in range(pool_size)})


def latency_spread(context: SearchContext, count: int, seed: int = 0) -> list[str]:
    """`count` networks spanning the latency range of the space, chosen before any training.

    The hardware cost of a network is known for the price of a DSE, long before its accuracy: the
    candidates that fit and meet the latency budget are sorted by best-design latency and cut into
    `count` bins of about equal size, and each bin contributes the network that does the most MACs
    (at equal latency: more capacity, and the better use of the accelerator). The bin edges move by
    up to `WARM_START_JITTER` of a bin, drawn from the seed, so two seeds start from two populations.
    This is the co-exploration's first population; the sampler takes over from there.
    """
    config = context.config
    timed = []
    for spec in candidate_pool(context, config.warm_start_pool, seed):
        hw = context.hardware.best(spec)
        if hardware_feasible(hw.fits, hw.total_ms, config.latency_budget_ms):
            timed.append((hw.total_ms, spec))
    timed.sort()
    if not timed:
        return []
    count = min(count, len(timed))
    rng = np.random.default_rng(seed)
    width = len(timed) / count
    jitter = rng.uniform(-WARM_START_JITTER, WARM_START_JITTER, size=count - 1)
    edges = np.clip(np.rint((np.arange(1, count) + jitter) * width).astype(int), 1, len(timed) - 1)
    bins = [members for members in np.split(np.arange(len(timed)), np.unique(edges)) if members.size]
    macs = {spec: lower(parse_spec(spec)).macs for _, spec in timed}
    return [max((timed[i][1] for i in members), key=lambda spec: (macs[spec], spec)) for members in bins]


def size_features(spec: str) -> tuple[float, ...]:
    """The size part of what the samplers' accuracy model sees (log MACs, log conv weights); the
    genes one-hot follow (surrogate.py)."""
    workload = lower(parse_spec(spec))
    return (math.log(workload.macs), math.log(max(workload.params, 1)))


def build_candidates(context: SearchContext, seed: int = 0) -> list[Candidate]:
    """The whole-network samplers' candidates: networks that fit and meet the latency budget, with
    their best-design latency and MACs (the same pool as the warm start)."""
    config = context.config
    feasible = []
    for spec in candidate_pool(context, config.warm_start_pool, seed):
        hw = context.hardware.best(spec)
        if hardware_feasible(hw.fits, hw.total_ms, config.latency_budget_ms):
            feasible.append((spec, context.space.params(parse_spec(spec)), float(hw.total_ms)))
    genes = one_hot_genes([params for _, params, _ in feasible])
    found = [Candidate(spec, params, total_ms, size_features(spec) + tuple(genes[i]),
                       float(lower(parse_spec(spec)).macs))
             for i, (spec, params, total_ms) in enumerate(feasible)]
    if not found:
        raise CoexploreError("no network of the space fits the board within the latency budget", field="sampler",
                             fix="raise latency_budget_ms or use another sampler")
    return found


def ehvi_reference(config: SearchConfig, candidates: list[Candidate]) -> tuple[float, float]:
    """(accuracy, ms): the default hypervolume reference over the candidates' latencies."""
    reference = hypervolume_reference((c.total_ms for c in candidates), accuracy_floor=config.accuracy_floor,
                                      latency_budget_ms=config.latency_budget_ms)
    return reference.accuracy, reference.total_ms


def known_costs(context: SearchContext) -> KnownCosts:
    candidates = build_candidates(context, seed=context.config.seed)
    return KnownCosts(candidates, ehvi_reference(context.config, candidates))


def warm_start_size(plan: Plan) -> int:
    """NSGA-II's first generation is its population; a whole-network sampler's model needs only a
    few trained networks to start from (more, and the warm start spends the budget its model would
    spend better: chosen on synthetic-cpu.json, 4 of 2/3/4/6/8)."""
    return WHOLE_NETWORK_WARM_START if plan.sampler in WHOLE_NETWORK_SAMPLERS else auto_population(plan.budget)


def seed_study(study: optuna.Study, context: SearchContext, plan: Plan) -> int:
    """Queue the co-exploration's warm start in a new study; returns how many were queued."""
    config = context.config
    if not (plan.warm_start and config.warm_start) or study.get_trials(deepcopy=False):
        return 0
    count = config.population_size or warm_start_size(plan)
    specs = latency_spread(context, count, seed=config.seed)
    for spec in specs:
        study.enqueue_trial(context.space.params(parse_spec(spec)), skip_if_exists=True)
    return len(specs)
