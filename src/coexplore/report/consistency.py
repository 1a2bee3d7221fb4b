"""Warnings about a results file that parses but disagrees with itself.

The top-k block is checked against the trial records it names and against the paper's formulas;
Pareto numbers must name trials; stored hypervolumes must match their trials. The report still
renders; the warnings are shown on the page and in the terminal.
"""

from __future__ import annotations

import math

from coexplore.results import (
    RunResults,
    TopKRow,
    TrialRecord,
    accuracy_loss,
    hypervolume,
    percent_faster,
)

# Stored percentages are compared with a recomputation; a writer may round them to 2 decimals.
CONSISTENCY_TOLERANCE_PCT = 0.05
HYPERVOLUME_REL_TOLERANCE = 1e-6


def check_consistency(results: RunResults) -> list[str]:
    """Every disagreement found, as one line each (empty when the file is consistent)."""
    warnings: list[str] = []
    base = results.baseline
    if not base.has_costs or base.accuracy is None:
        warnings.append("the baseline has no accuracy or latency; % faster cannot be checked")
    topk = results.topk
    if topk.rows and topk.strategy not in results.strategies:
        warnings.append(f"topk.strategy {topk.strategy!r} is not among the strategies")
    for rank, row in enumerate(topk.rows, start=1):
        record = results.trial(topk.strategy, row.number)
        if record is None:
            warnings.append(f"top-k #{rank}: trial {row.number} not found in strategy {topk.strategy!r}")
        else:
            warnings += _row_vs_record(rank, row, record)
        if base.has_costs and base.accuracy is not None:
            warnings += _row_vs_formula(rank, row, base, topk.reference_accuracy)
    warnings += _hypervolume_mismatches(results)
    for name, strategy in results.strategies.items():
        numbers = {t.number for t in strategy.trials}
        missing = [n for n in strategy.pareto if n not in numbers]
        if missing:
            warnings.append(f"strategy {name!r}: Pareto trials {missing} are not among its trials")
    return warnings


def _row_vs_record(rank: int, row: TopKRow, record: TrialRecord) -> list[str]:
    out = []
    keys = ("accuracy", "compute_ms", "memory_ms", "total_ms")
    if row.trainings > 1:  # retrained on final seeds: the mean accuracy, not the search's training
        keys = keys[1:]
    for key in keys:
        stored, actual = getattr(row, key), getattr(record, key)
        if actual is None or not math.isclose(stored, actual, rel_tol=1e-6, abs_tol=1e-9):
            out.append(f"top-k #{rank} (trial {row.number}): {key} {stored} differs from the trial record ({actual})")
    return out


def _row_vs_formula(rank: int, row: TopKRow, base: TrialRecord, base_accuracy: float | None) -> list[str]:
    """`base_accuracy`: the baseline's mean over its trainings when the table has it."""
    expected = {
        "compute_faster_pct": percent_faster(base.compute_ms, row.compute_ms),
        "memory_faster_pct": percent_faster(base.memory_ms, row.memory_ms),
        "total_faster_pct": percent_faster(base.total_ms, row.total_ms),
        "accuracy_loss": accuracy_loss(base.accuracy if base_accuracy is None else base_accuracy, row.accuracy),
    }
    return [
        f"top-k #{rank} (trial {row.number}): {key} {_figure(getattr(row, key))} "
        f"but the baseline and row give {_figure(value)}"
        for key, value in expected.items()
        if not _agree(getattr(row, key), value)
    ]


def _agree(stored: float | None, expected: float | None) -> bool:
    if stored is None or expected is None:
        return stored is None and expected is None
    return abs(stored - expected) <= CONSISTENCY_TOLERANCE_PCT


def _figure(value: float | None) -> str:
    return "none" if value is None else f"{value:.2f}"


def _hypervolume_mismatches(results: RunResults) -> list[str]:
    """Strategies whose stored hypervolume differs from the one recomputed from their trials."""
    out = []
    for name, result in results.strategies.items():
        volume = hypervolume(result.trials, results.hypervolume_reference)
        if not math.isclose(volume, result.hypervolume, rel_tol=HYPERVOLUME_REL_TOLERANCE, abs_tol=1e-9):
            out.append(f"strategy {name!r}: stored hypervolume {result.hypervolume:.6g} "
                       f"but its trials give {volume:.6g}")
    return out
