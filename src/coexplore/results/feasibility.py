"""Feasibility: the one rule that says whether a candidate counts.

A candidate is feasible when its training completed with an accuracy at or above the accuracy
floor, and its design fits the board with a total latency within the latency budget. The search
applies it when it records a trial; fronts, hypervolumes and the top-k table use only feasible
records.
"""

from __future__ import annotations


def meets_latency_budget(total_ms: float | None, latency_budget_ms: float | None) -> bool:
    """The design has a latency, and it is within the budget (no budget: any latency is)."""
    if total_ms is None:
        return False
    return latency_budget_ms is None or total_ms <= latency_budget_ms


def hardware_feasible(fits: bool, total_ms: float | None, latency_budget_ms: float | None) -> bool:
    """The hardware half of the rule, known before any training: fits the board, meets the budget."""
    return fits and meets_latency_budget(total_ms, latency_budget_ms)


def is_feasible(
    *,
    status: str,
    accuracy: float | None,
    fits: bool,
    total_ms: float | None,
    latency_budget_ms: float | None,
    accuracy_floor: float | None,
) -> bool:
    """Trained OK (complete, with an accuracy at or above the floor) and hardware-feasible."""
    if status != "complete" or accuracy is None:
        return False
    if accuracy_floor is not None and accuracy < accuracy_floor:
        return False
    return hardware_feasible(fits, total_ms, latency_budget_ms)
