"""The run folder contract: what `coexplore search` writes to `RUN/results.json` (schema 1).

Pydantic models only, so a malformed file fails at load time with the path of the bad field
instead of deep inside a plot. Unknown extra keys are kept (`extra="allow"`): the search may add
fields before the report knows about them, and the report must not break on that.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

RESULTS_SCHEMA_VERSION = 1

TrialStatus = Literal["complete", "rejected_hw", "failed", "pruned"]
TRIAL_STATUSES: tuple[str, ...] = ("complete", "rejected_hw", "failed", "pruned")


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow")


class OpCost(_Lenient):
    """One layer's cost on the accelerator (the cost model's per-op row)."""

    name: str
    kind: str
    shape: str = ""
    compute_ms: float
    memory_ms: float
    total_ms: float
    bottleneck: str = ""

    @field_validator("shape", "bottleneck", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> str:
        """Accept a shape given as a list of dims ([128, 64, 32, 32]) or a missing label (null)."""
        if value is None:
            return ""
        if isinstance(value, (list, tuple)):
            return "×".join(str(v) for v in value)
        return value


class TrialRecord(_Lenient):
    """One evaluated candidate: network spec, accelerator design, accuracy and hardware cost."""

    number: int
    strategy: str
    spec: str
    design: dict[str, Any] | None = None
    design_str: str | None = None
    status: TrialStatus
    reason: str | None = None
    accuracy: float | None = None
    compute_ms: float | None = None
    memory_ms: float | None = None
    total_ms: float | None = None
    dsp: int | None = None
    bram18: int | None = None
    bandwidth_gbps: float | None = None
    fits: bool | None = None
    feasible: bool = False
    train_seconds: float = 0.0
    train_device: str | None = None
    cached: bool = False
    per_op: list[OpCost] | None = None

    @property
    def has_costs(self) -> bool:
        return None not in (self.compute_ms, self.memory_ms, self.total_ms)


class StrategyResult(_Lenient):
    trials: list[TrialRecord]
    trainings: int
    train_seconds: float
    gpu_hours: float
    hypervolume: float
    pareto: list[int] = Field(default_factory=list)


class TopKAverage(_Lenient):
    """The paper's figures of one design (or their mean over the top k) against the baseline."""

    accuracy: float
    compute_ms: float
    memory_ms: float
    total_ms: float
    compute_faster_pct: float
    memory_faster_pct: float
    total_faster_pct: float
    accuracy_loss: float


class TopKRow(TopKAverage):
    """One top-k design: which trial it is, and its figures."""

    number: int
    spec: str
    design_str: str | None = None


class TopK(_Lenient):
    strategy: str
    k: int
    rows: list[TopKRow]
    average: TopKAverage | None = None


class HypervolumeReference(_Lenient):
    accuracy: float
    total_ms: float


class Results(_Lenient):
    """The whole `results.json` of one search run."""

    schema_version: int = Field(alias="schema")
    name: str
    created: str
    config: dict[str, Any] = Field(default_factory=dict)
    device: dict[str, Any]
    precision: str
    latency_budget_ms: float | None = None
    accuracy_floor: float | None = None
    metric: str
    hypervolume_reference: HypervolumeReference
    baseline: TrialRecord
    strategies: dict[str, StrategyResult]
    topk: TopK
    sequential_vs_coexplore: dict[str, Any] = Field(default_factory=dict)

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    @property
    def device_name(self) -> str:
        return str(self.device.get("name", "unknown device"))

    def trial(self, strategy: str, number: int) -> TrialRecord | None:
        """The record of trial `number` of `strategy`, or None."""
        result = self.strategies.get(strategy)
        if result is None:
            return None
        return next((t for t in result.trials if t.number == number), None)
