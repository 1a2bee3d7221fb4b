"""The trial record: what one evaluated candidate is, in the study storage and in `results.json`.

One definition for the search that writes records and the report that reads them. The search
stores a record's fields (all but `number`, `strategy` and `per_op`, which the study already knows
or which are computed on demand) as one flat dict on its Optuna trial; `STORED_FIELDS` names them.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

TrialStatus = Literal["complete", "rejected_hw", "failed", "pruned"]
TRIAL_STATUSES: tuple[str, ...] = get_args(TrialStatus)

# How a record got its accuracy:
#   trained — trained now, on this machine;   cache — served by the evaluation cache (another
#   strategy or study trained it);   table — looked up in a tabular benchmark (replay);
#   repeat — this study had already evaluated the same network (free, not on the budget);
#   none — never trained (rejected by the hardware check).
EvaluationSource = Literal["trained", "cache", "table", "repeat", "none"]
EVALUATION_SOURCES: tuple[str, ...] = get_args(EvaluationSource)
# Evaluations that spend one unit of a strategy's training budget. A cache hit from another
# strategy still counts: it is what the strategy would have had to train, so strategies stay
# comparable whatever order they run in; only its compute is free.
BUDGET_EVALUATIONS: frozenset[str] = frozenset({"trained", "cache", "table"})


class OpCost(BaseModel):
    """One layer's cost on the accelerator (a row of the cost model's per-op breakdown)."""

    model_config = ConfigDict(extra="ignore")

    name: str
    kind: str
    shape: str = ""
    compute_ms: float
    memory_ms: float
    total_ms: float
    bottleneck: str = ""
    # for the report's roofline (None in files written before they were stored)
    macs: int | None = None
    traffic_bytes: float | None = None  # DRAM bytes moved by the op on this design

    @field_validator("shape", "bottleneck", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        """A shape given as a list of dims ([128, 64, 32, 32]) or a missing label (null) is text too."""
        if value is None:
            return ""
        if isinstance(value, (list, tuple)):
            return "×".join(str(v) for v in value)
        return value


class TrialRecord(BaseModel):
    """One evaluated candidate: network, accelerator design, hardware cost, accuracy and outcome.

    `feasible` is `feasibility.is_feasible` at the time of the trial: complete, fits the board,
    within the latency budget and above the accuracy floor. Only feasible records count for
    fronts, hypervolumes, rankings and the top-k table.
    """

    model_config = ConfigDict(extra="ignore")

    number: int  # the Optuna trial number; -1 for the baseline
    strategy: str
    spec: str
    # the hardware side (the best design of the DSE, or a sampled one); None where no design exists
    design: dict[str, Any] | None = None
    design_str: str | None = None
    compute_ms: float | None = None
    memory_ms: float | None = None
    total_ms: float | None = None
    dsp: int | None = None
    bram18: int | None = None
    bandwidth_gbps: float | None = None
    fits: bool = False
    hw_problems: list[str] = Field(default_factory=list)
    # the outcome
    status: TrialStatus
    reason: str | None = None
    # the accuracy the search optimises: the network computed at the design's precision
    # (`accuracy_precision`; "fp32" also where the quantised accuracy was not measured, as in
    # records and tables from before it was); the float network's beside it
    accuracy: float | None = None
    accuracy_precision: str = "fp32"
    accuracy_fp32: float | None = None
    quantized_accuracy: dict[str, float] = Field(default_factory=dict)
    metric: str = ""
    feasible: bool = False
    # the sampler's constraint values, each <= 0 when satisfied (latency excess, misfit, shortfall, failed)
    constraints: list[float] = Field(default_factory=list)
    # where the accuracy came from and what it cost
    evaluation: EvaluationSource
    cached: bool = False
    train_seconds: float = 0.0  # spent by this trial (0 for a cache hit or a repeat)
    cost_seconds: float = 0.0  # what the evaluation cost when it was first made
    train_device: str | None = None
    curve: list[float] = Field(default_factory=list)
    worker: int | None = None
    per_op: list[OpCost] | None = None  # kept for the baseline and the top-k designs

    @model_validator(mode="after")
    def _feasible_has_its_figures(self) -> TrialRecord:
        if self.feasible and (self.status != "complete" or self.accuracy is None or self.total_ms is None
                              or not self.fits):
            raise ValueError("a feasible record must be complete and fit the board, with an accuracy and a total_ms")
        return self

    @model_validator(mode="after")
    def _old_records_are_fp32(self) -> TrialRecord:
        if self.accuracy_fp32 is None and self.accuracy_precision == "fp32":
            self.accuracy_fp32 = self.accuracy  # stored before quantised accuracy: it was the fp32 one
        return self

    @property
    def quantisation_loss(self) -> float | None:
        """Accuracy points lost from fp32 to the design's precision (None when unknown)."""
        if self.accuracy is None or self.accuracy_fp32 is None:
            return None
        return self.accuracy_fp32 - self.accuracy

    @property
    def has_costs(self) -> bool:
        return None not in (self.compute_ms, self.memory_ms, self.total_ms)

    @property
    def spends_budget(self) -> bool:
        """Did this record use one unit of its strategy's training budget?"""
        return self.evaluation in BUDGET_EVALUATIONS

    def stored_attrs(self) -> dict[str, Any]:
        """The flat dict the search stores on the record's Optuna trial (plain JSON)."""
        return self.model_dump(mode="json", include=set(STORED_FIELDS))

    def flat_attrs(self) -> dict[str, Any]:
        """The record's headline fields as flat scalars (None left out), for tools that sort and
        filter on user attributes (optuna-dashboard, `study.trials_dataframe()`): spec, status,
        reason, accuracy, feasibility, the compute / memory / total split and each design field."""
        attrs: dict[str, Any] = {name: getattr(self, name) for name in FLAT_FIELDS}
        attrs["design"] = attrs.pop("design_str")
        if self.accuracy is None:
            attrs["accuracy_precision"] = None  # no accuracy, no precision to state
        design = self.design or {}
        for name in FLAT_DESIGN_FIELDS:
            attrs[f"design_{name}"] = design.get(name)
        if design:
            ports = design.get("ports_words_per_cycle")
            attrs["design_ports"] = "shared" if ports is None else "/".join(f"{p:g}" for p in ports)
            attrs["design_precision"] = (design.get("settings") or {}).get("precision")
        return {key: value for key, value in attrs.items() if value is not None}

    @classmethod
    def from_stored(cls, number: int, strategy: str, attrs: dict[str, Any]) -> TrialRecord:
        """The record of a trial, from the dict `stored_attrs` wrote."""
        return cls.model_validate({**attrs, "number": number, "strategy": strategy})


STORED_FIELDS: tuple[str, ...] = tuple(
    name for name in TrialRecord.model_fields if name not in ("number", "strategy", "per_op")
)
# The fields `flat_attrs` copies as they are, and the design's tile fields it flattens.
FLAT_FIELDS: tuple[str, ...] = ("spec", "status", "reason", "accuracy", "accuracy_precision", "accuracy_fp32",
                                "feasible", "compute_ms", "memory_ms", "total_ms", "design_str", "evaluation")
FLAT_DESIGN_FIELDS: tuple[str, ...] = ("tm", "tn", "tr", "tc")
