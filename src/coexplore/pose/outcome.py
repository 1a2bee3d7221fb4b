"""What a training or an evaluation produced, as plain data with a JSON round trip.

`Score` is one split scored with its main metric (`validation.score`); `EvalResult` is a score with
what was scored; `TrainResult` is a whole training run, whose accuracy is missing when it failed.
`spec` is the network's label (`NetworkFactory.label_for`): for the hourglass, its compact spec.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Status = Literal["complete", "failed", "pruned"]


class Score(BaseModel):
    """A split scored with its main metric; `accuracy` and the baseline in %."""

    metric: str
    accuracy: float
    per_joint: dict[str, float]
    per_joint_metric: str
    count: int
    baseline_accuracy: float
    details: dict[str, Any] = Field(default_factory=dict)


class EvalResult(Score):
    """A checkpoint or model scored on a validation split."""

    images: int
    flip_test: bool
    spec: str = ""
    data: str = ""
    precision: str = "fp32"  # "int8"/"int16": scored as the accelerator computes (pose.quantization)
    results_json: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class TrainResult(BaseModel):
    """What one training run produced. `accuracy` is the main metric in % (None when failed)."""

    status: Status
    reason: str = ""
    accuracy: float | None = None
    metric: str = ""
    per_joint: dict[str, float] = Field(default_factory=dict)
    per_joint_metric: str = ""
    curve: list[dict[str, float]] = Field(default_factory=list)
    params: int = 0
    wall_s: float = 0.0
    train_s: float = 0.0
    device: str = ""
    images_per_s: float = 0.0
    baseline_accuracy: float | None = None
    epochs_done: int = 0
    steps: int = 0
    spec: str = ""
    data: str = ""
    key: str = ""
    checkpoint: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    # accuracy (%) at the accelerator's integer precisions ("int8", "int16"), see pose.qat
    quantized_accuracy: dict[str, float] = Field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainResult:
        return cls.model_validate(data)
