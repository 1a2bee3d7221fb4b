"""The space file: which values each gene of a `HourglassSpec` may take (YAML/TOML/JSON or a dict).

`HourglassSpace` (space.py) walks the space; this module only reads and validates its description.
See the shipped `space-default.yaml` (`coexplore space show default`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from coexplore.errors import validation_error
from coexplore.files import find_config, read_mapping


class SpaceConfig(BaseModel):
    """The space file. Each gene is a list of values (a single value fixes it)."""

    model_config = ConfigDict(extra="forbid")

    name: str = "default"
    description: str = ""
    # fixed for the whole space
    input_res: int = 256
    joints: int = 16
    stem: str = "newell"
    supervision: bool = True
    # genes
    stacks: list[int] = [1, 2, 4, 8]
    order: list[int] = [3, 4]
    features: list[int] = [128, 192, 256]
    growth: list[int] = [0, 32, 64]
    per_level: list[bool] = [False, True]
    level_widths: list[int] = [128, 192, 256, 384]
    modules: list[int] = [1, 2]
    block: list[str] = ["bottleneck", "basic", "dsc"]
    kernel: list[int] = [3]
    upsample: list[str] = ["nearest", "bilinear", "deconv"]
    # optional validity limits, checked with lower() (no torch)
    max_params_m: float | None = None
    max_gmacs: float | None = None

    @field_validator("stacks", "order", "features", "growth", "per_level", "level_widths", "modules", "block",
                     "kernel", "upsample", mode="before")
    @classmethod
    def _scalar_is_one_value(cls, value: Any) -> Any:
        return value if isinstance(value, list | tuple) or value is None else [value]


def load_space_config(source: str | Path | dict[str, Any]) -> SpaceConfig:
    """A space from a file or a dict; a bad file or value is one CoexploreError naming it."""
    label = "space config"
    if not isinstance(source, dict):
        path = find_config(source, "space")
        label = str(source)
        source = read_mapping(path, what="space config",
                              fix="give a YAML/TOML/JSON space file, or a shipped space by name (cpu, default)")
    try:
        return SpaceConfig.model_validate(source)
    except ValidationError as exc:
        raise validation_error(exc, label, model=SpaceConfig) from None
