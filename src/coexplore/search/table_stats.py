"""How noisy a tabular benchmark is: training noise against the spread between networks.

- noise: the pooled within-network SD, sqrt(sum (n_i - 1) s_i^2 / sum (n_i - 1)) over the networks
  with two or more complete replicates (None with fewer);
- spread: the SD of the network means;
- tied with the best: the networks whose mean lies within 2 standard errors of the difference to
  the best network's mean (2 * noise * sqrt(1/n_best + 1/n_i)), the best included: how many top
  networks the table cannot tell apart.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any

from coexplore.search.table import BenchTable

TIE_STANDARD_ERRORS = 2.0


@dataclass(frozen=True)
class NetworkStats:
    spec: str
    replicates: int  # stored trainings, failed included
    complete: int
    mean: float | None
    sd: float | None  # sample SD over the complete replicates (None below two)
    wall_s: float  # mean training seconds per replicate


def network_stats(table: BenchTable) -> list[NetworkStats]:
    """One row per network, most accurate mean first (networks with no complete training last)."""
    rows = []
    for spec in table.entries:
        found = table.replicates(spec)
        accuracies = [float(r["accuracy"]) for r in table.complete_replicates(spec)]
        rows.append(NetworkStats(
            spec=spec,
            replicates=len(found),
            complete=len(accuracies),
            mean=statistics.fmean(accuracies) if accuracies else None,
            sd=statistics.stdev(accuracies) if len(accuracies) > 1 else None,
            wall_s=statistics.fmean(float(r.get("wall_s") or 0.0) for r in found) if found else 0.0,
        ))
    return sorted(rows, key=lambda row: (row.mean is None, -(row.mean or 0.0)))


def pooled_sd(rows: list[NetworkStats]) -> float | None:
    """Within-network SD pooled over the networks with at least two complete replicates."""
    dof = sum(row.complete - 1 for row in rows if row.sd is not None)
    if dof == 0:
        return None
    return math.sqrt(sum((row.complete - 1) * row.sd**2 for row in rows if row.sd is not None) / dof)


def tied_with_best(rows: list[NetworkStats], noise: float | None) -> list[NetworkStats]:
    """The networks within TIE_STANDARD_ERRORS standard errors of the best mean (best included)."""
    scored = [row for row in rows if row.mean is not None]
    if not scored or noise is None:
        return []
    best = max(scored, key=lambda row: row.mean)
    return [row for row in scored
            if best.mean - row.mean <= TIE_STANDARD_ERRORS * noise * math.sqrt(1 / best.complete + 1 / row.complete)]


def table_summary(table: BenchTable) -> dict[str, Any]:
    """Counts, cost, noise and spread of a table (for `coexplore bench-table show` and `build`)."""
    rows = network_stats(table)
    means = [row.mean for row in rows if row.mean is not None]
    trainings = [r for spec in table.entries for r in table.replicates(spec)]
    seconds = [float(r.get("wall_s") or 0.0) for r in trainings]
    noise = pooled_sd(rows)
    spread = statistics.stdev(means) if len(means) > 1 else None
    counts = [row.replicates for row in rows]
    return {
        "space_networks": table.make_space().size(),  # a partial table (a build still running) has fewer
        "networks": len(rows),
        "networks_complete": len(means),
        "trainings": len(trainings),
        "trainings_failed": sum(1 for r in trainings if r.get("status") != "complete"),
        "replicates_min": min(counts) if counts else 0,
        "replicates_max": max(counts) if counts else 0,
        "mean_accuracy_min": min(means) if means else None,
        "mean_accuracy_max": max(means) if means else None,
        "noise_sd": noise,
        "spread_sd": spread,
        "spread_over_noise": spread / noise if noise and spread is not None else None,
        "tied_with_best": len(tied_with_best(rows, noise)) if noise is not None else None,
        "train_seconds": sum(seconds),
        "seconds_per_training": statistics.fmean(seconds) if seconds else None,
        "metric": table.metric,
        "data": table.data,
        "train_size": table.train.get("train_size"),
        "val_size": table.train.get("val_size"),
    }
