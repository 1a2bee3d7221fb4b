"""How to train one network: `TrainConfig`, the settings the CLI, config files and the search share."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from coexplore.errors import validation_error

# Fields that do not change the trained network, so `key()` leaves them out.
BOOKKEEPING_FIELDS = frozenset({"checkpoint_dir", "resume", "num_workers"})
# Fields added later, left out of `key()` at their defaults: runs stored before they existed keep their keys.
LATER_FIELDS_DEFAULTS: dict[str, Any] = {"qat_epochs": 0, "qat_precision": "int8"}


class TrainConfig(BaseModel):
    """How to train one candidate. Every field changes the result except the bookkeeping ones
    (`checkpoint_dir`, `resume`, `num_workers`), which `key()` leaves out."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    epochs: int | None = Field(3, ge=1, description="epochs of training (None: seconds only)")
    seconds: float | None = Field(None, gt=0, description="training-time budget, s (evaluation not counted)")
    batch_size: int = Field(16, ge=1)
    lr: float = Field(2e-3, gt=0)
    optimizer: Literal["adam", "rmsprop"] = "adam"
    schedule: Literal["cosine", "step", "none"] = "cosine"
    sigma: float = Field(2.0, gt=0, description="Gaussian sigma in heatmap cells")
    train_size: int | None = Field(3000, ge=1, description="training images (synthetic) / cap (real sets)")
    val_size: int | None = Field(300, ge=1)
    augment: bool = True
    head_init: Literal["zero", "default"] = Field(
        "zero", description="heatmap heads start at zero (see recipe.zero_heatmap_heads) or keep torch's init"
    )
    flip_test: bool = False
    device: Literal["auto", "cpu", "cuda"] = "auto"
    seed: int = 0
    threads: int | None = Field(None, ge=1, description="torch CPU threads (None: every core available)")
    num_workers: int = Field(0, ge=0, description="DataLoader worker processes")
    checkpoint_dir: str | None = None
    resume: bool = True
    data_options: dict[str, Any] = Field(default_factory=dict)
    qat_epochs: int = Field(
        0, ge=0, description="quantisation-aware fine-tuning epochs at qat_precision after fp32 training (0: none)"
    )
    qat_precision: Literal["int8", "int16"] = Field("int8", description="the precision qat_epochs fine-tunes for")

    @model_validator(mode="after")
    def _needs_a_budget(self) -> TrainConfig:
        if self.epochs is None and self.seconds is None:
            raise ValueError("give a budget: epochs, seconds, or both")
        return self

    def key(self) -> str:
        """Stable hash of every field that changes the trained result (for caches and resume)."""
        fields = self.model_dump(exclude=set(BOOKKEEPING_FIELDS))
        if self.qat_epochs == 0:
            fields = {k: v for k, v in fields.items() if k not in LATER_FIELDS_DEFAULTS}
        blob = json.dumps(fields, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    @classmethod
    def from_options(cls, **options: Any) -> TrainConfig:
        """Validate options from a CLI or config file; a bad value becomes one clear CoexploreError."""
        try:
            return cls(**options)
        except ValidationError as exc:
            raise validation_error(exc, "train", model=cls) from None
