"""Search quality on a tabular benchmark: hypervolume curves of each strategy over many seeds.

A replay (replay.py) runs a strategy against the table as a real search would; here each replay
becomes a curve, the hypervolume reached after 1, 2, ..., T trainings in % of the best possible
(every network of the table that fits and meets the latency budget, on its best design). Trials
see what the table gives them (one replicate per network when the table has replicates); the
curve scores every trained network by its **mean** accuracy over the replicates, so the search
sees noise and the verdict does not. `coexplore.results.statistics` turns curves into claims.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from coexplore.results import HypervolumeReference, TrialRecord, hypervolume_reference, points_hypervolume
from coexplore.search.context import SearchContext
from coexplore.search.replay import replay_strategy
from coexplore.search.table import BenchTable

PERCENTILES = (25, 50, 75)  # latency budgets of the constrained scenarios, over the table's latencies


@dataclass(frozen=True)
class Scenario:
    """A latency budget (None = unconstrained) and the best hypervolume possible under it."""

    title: str
    latency_budget_ms: float | None
    reference: HypervolumeReference
    best_hypervolume: float
    feasible_networks: int


def mean_accuracies(table: BenchTable) -> dict[str, float]:
    """Each complete network's accuracy as the verdict sees it: the mean over its replicates
    (a table of one training per network: that training)."""
    return {spec: float(table.mean_accuracy(spec)) for spec in table.complete_entries()}


def network_latencies(context: SearchContext, specs: Iterable[str]) -> dict[str, float]:
    """Best-design latency of every network that fits the board."""
    found = {}
    for spec in specs:
        hw = context.hardware.best(spec)
        if hw.fits and hw.total_ms is not None:
            found[spec] = float(hw.total_ms)
    return found


def scenarios(latencies: Mapping[str, float], accuracies: Mapping[str, float]) -> list[Scenario]:
    """No latency budget, then budgets at the 25th, 50th and 75th percentile of the latencies."""
    values = np.array(sorted(latencies.values()))
    budgets: list[tuple[str, float | None]] = [("no latency budget", None)]
    budgets += [(f"latency budget at p{p}", float(np.percentile(values, p))) for p in PERCENTILES]
    found = []
    for title, budget in budgets:
        reference = hypervolume_reference(values, accuracy_floor=None, latency_budget_ms=budget)
        inside = [s for s in latencies if s in accuracies and (budget is None or latencies[s] <= budget)]
        best = points_hypervolume([accuracies[s] for s in inside], [latencies[s] for s in inside], reference)
        found.append(Scenario(title, budget, reference, best, len(inside)))
    return found


def hypervolume_curve(records: Sequence[TrialRecord], trainings: int, scenario: Scenario,
                      accuracies: Mapping[str, float]) -> np.ndarray:
    """HV % of the best after 1..`trainings` trainings, each feasible network scored at its mean
    accuracy; a run that stopped early (space exhausted) keeps its last value."""
    accuracy, latency = [], []
    curve = np.zeros(trainings)
    spent = 0
    for record in records:
        if not record.spends_budget:
            continue
        if record.feasible and record.spec in accuracies and record.total_ms is not None:
            accuracy.append(accuracies[record.spec])
            latency.append(float(record.total_ms))
        curve[spent] = 100.0 * points_hypervolume(accuracy, latency, scenario.reference) / scenario.best_hypervolume
        spent += 1
        if spent == trainings:
            break
    if 0 < spent < trainings:
        curve[spent:] = curve[spent - 1]
    return curve


def strategy_curves(context: SearchContext, strategy: str, scenario: Scenario, seeds: Iterable[int], trainings: int,
                    accuracies: Mapping[str, float], on_run: Callable[[], None] | None = None,
                    **settings) -> np.ndarray:
    """(seeds, trainings) hypervolume curves of one strategy on one scenario."""
    rows = []
    for seed in seeds:
        records = replay_strategy(context, strategy, seed=seed, budget=trainings,
                                  latency_budget_ms=scenario.latency_budget_ms, **settings)
        rows.append(hypervolume_curve(records, trainings, scenario, accuracies))
        if on_run is not None:
            on_run()
    return np.array(rows)
