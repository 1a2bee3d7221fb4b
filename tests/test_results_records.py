"""The trial record: one definition for the study storage and results.json; feasibility; budget."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from coexplore.results import (
    EVALUATION_SOURCES,
    STORED_FIELDS,
    TRIAL_STATUSES,
    OpCost,
    TrialRecord,
    is_feasible,
    meets_latency_budget,
)


def full_record() -> TrialRecord:
    return TrialRecord(
        number=7, strategy="coexplore", spec="hg-s1-o2-f16", design={"tm": 32, "tn": 16}, design_str="Tm32 Tn16",
        compute_ms=1.5, memory_ms=2.5, total_ms=2.75, dsp=512, bram18=300, bandwidth_gbps=6.4, fits=True,
        hw_problems=[], status="complete", accuracy=61.25, metric="PCKh@0.5", feasible=True,
        constraints=[-1.0, 0.0, -3.0, 0.0], evaluation="trained", train_seconds=12.5, cost_seconds=12.5,
        train_device="cuda:0", curve=[30.0, 61.25], worker=1,
        per_op=[OpCost(name="conv1", kind="conv", compute_ms=1.0, memory_ms=0.5, total_ms=1.0)],
    )  # fmt: skip


def test_stored_attrs_round_trip_through_json():
    record = full_record()
    stored = json.loads(json.dumps(record.stored_attrs()))  # what an Optuna storage keeps
    assert tuple(stored) == STORED_FIELDS  # the flat names come from the model, in its order
    assert "number" not in stored and "per_op" not in stored
    again = TrialRecord.from_stored(7, "coexplore", stored)
    assert again == record.model_copy(update={"per_op": None})


def test_stored_fields_are_every_field_but_the_trial_identity_and_per_op():
    assert set(STORED_FIELDS) == set(TrialRecord.model_fields) - {"number", "strategy", "per_op"}


def test_statuses_and_evaluations_are_closed_sets():
    assert TRIAL_STATUSES == ("complete", "rejected_hw", "failed", "pruned")
    assert EVALUATION_SOURCES == ("trained", "cache", "table", "repeat", "none")
    with pytest.raises(ValidationError, match="status"):
        TrialRecord(number=0, strategy="s", spec="x", status="done", evaluation="none")
    with pytest.raises(ValidationError, match="evaluation"):
        TrialRecord(number=0, strategy="s", spec="x", status="failed", evaluation="guessed")


@pytest.mark.parametrize("change", [
    {"status": "failed"}, {"accuracy": None}, {"total_ms": None}, {"fits": False},
])  # fmt: skip
def test_a_feasible_record_has_its_figures(change):
    data = {**full_record().model_dump(), **change}
    with pytest.raises(ValidationError, match="feasible record"):
        TrialRecord.model_validate(data)


@pytest.mark.parametrize(("evaluation", "spends"), [
    ("trained", True), ("cache", True), ("table", True), ("repeat", False), ("none", False),
])  # fmt: skip
def test_budget_rule(evaluation, spends):
    # a cache hit counts (it is what the strategy would have trained); a repeat of its own is free
    record = TrialRecord(number=0, strategy="s", spec="x", status="complete", evaluation=evaluation, accuracy=1.0)
    assert record.spends_budget is spends


def test_feasibility_rule():
    ok = dict(status="complete", accuracy=70.0, fits=True, total_ms=9.0, latency_budget_ms=10.0, accuracy_floor=60.0)
    assert is_feasible(**ok)
    assert is_feasible(**{**ok, "latency_budget_ms": None, "accuracy_floor": None})
    assert is_feasible(**{**ok, "total_ms": 10.0, "accuracy": 60.0})  # the limits themselves are met
    for change in ({"status": "pruned"}, {"accuracy": None}, {"accuracy": 59.9}, {"fits": False},
                   {"total_ms": 10.1}, {"total_ms": None}):  # fmt: skip
        assert not is_feasible(**{**ok, **change}), change
    assert not meets_latency_budget(None, None) and meets_latency_budget(1e9, None)


def test_op_cost_accepts_a_shape_list_and_a_missing_bottleneck():
    op = OpCost(name="c", kind="conv", shape=[128, 64, 32, 32], bottleneck=None, compute_ms=1, memory_ms=1, total_ms=1)
    assert (op.shape, op.bottleneck) == ("128×64×32×32", "")
