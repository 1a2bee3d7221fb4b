"""The design settings: every choice about the accelerator except the tiling it is explored over.

One frozen model travels as-is: the search config's `hardware:` section (or `coexplore dse` flags)
→ `explore(workload, device, settings)` → every `Design` it returns (`Design.settings`) → the trial
record (the design's dict) → `Design(**record)`. `evaluate` reads a design's settings; the DSE
honours every one of them, the limits included:

- arithmetic and clock: `precision`, `clock_mhz` (None: the board's typical clock);
- the cost model: `schedule` (overlap, Jiang et al.; roofline, Zhang FPGA'15), `double_buffer`,
  `pipeline_overhead_cycles` (P), `ddr_efficiency` (None: the board's, `devices.py`), and the overlap refinements `input_halo` and
  `prologue_epilogue` (see `kernel.py`);
- memory: `keep_skips_on_chip`, `buffer_memory` (block RAM, URAM, or per design the cheapest that
  fits, see `kernel.buffer_placement`), and `ports`, the port policy of the DSE — `auto` tries every maximal
  power-of-two split and the shared port, `shared` only the one shared port, `I/W/O` (words per
  cycle) only that split;
- the weight buffer's organisation: `weight_stage_cycles` (q; see `kernel.py`, "Resources"): 1 is
  Zhang's tm·tn-word-wide banks read every cycle; q > 1 stages each weight set into registers over
  q cycles from banks q times narrower and deeper;
- the DSE's limits: `max_macs` (cap on tm·tn) and `tile_shapes` (auto, square or all), and
  `per_layer_tiles`: the explored tile then sizes the buffers and each conv layer runs with its
  own best tile no larger in rows and cols (Zhang FPGA'15 chose tiles per layer the same way).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from coexplore.errors import CoexploreError, validation_error
from coexplore.fpga.devices import MAX_CLOCK_MHZ, MIN_CLOCK_MHZ
from coexplore.fpga.precision import PRECISIONS

Schedule = Literal["overlap", "roofline"]
SCHEDULES: tuple[str, ...] = ("overlap", "roofline")
TILE_SHAPES: tuple[str, ...] = ("auto", "square", "all")
BUFFER_MEMORIES: tuple[str, ...] = ("auto", "bram", "uram")
PortWords = tuple[float, float, float]


def parse_ports(text: str, where: str = "design.ports") -> PortWords | None:
    """The one reader of port text: `shared` (or none) → None; `8/8/4` or `8x8x4` → (8.0, 8.0, 4.0)
    words per cycle for the input, weight and output ports."""
    try:
        return port_words(text)
    except ValueError as exc:
        raise CoexploreError(str(exc), field=where, fix="e.g. ports=8/8/4 (words per cycle), or ports=shared") from None


def port_words(value) -> PortWords | None:
    """`parse_ports` for validators: text or three numbers; a ValueError says what is wrong."""
    if isinstance(value, str):
        raw = value.strip().lower()
        if raw in ("shared", "none", ""):
            return None
        parts = raw.replace("x", "/").split("/")
    else:
        parts = list(value)
    if len(parts) != 3:
        raise ValueError(f"expected three widths in/weight/out, got {value!r}")
    try:
        widths = tuple(float(p) for p in parts)
    except (TypeError, ValueError):
        raise ValueError(f"expected three numbers in/weight/out, got {value!r}") from None
    if not all(math.isfinite(w) and w > 0 for w in widths):
        raise ValueError(f"port widths must be > 0 words/cycle and finite, got {value!r}")
    return widths  # type: ignore[return-value]


class DesignSettings(BaseModel):
    """What every design of an exploration shares (see the module docstring). Frozen.

    Built from user input through `load_settings` (or a config), bad values are one CoexploreError
    naming the field; no custom `__init__`, so a config that nests it keeps its own error context.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    precision: Literal["fp32", "int16", "int8"] = Field("int16", description="data type of the MAC array")
    clock_mhz: float | None = Field(None, description="None: the device's typical clock")
    schedule: Schedule = Field("overlap", description="cost model: overlap (Jiang et al.) or roofline (Zhang)")
    ports: Literal["auto", "shared"] | PortWords = Field(
        "auto", description="DSE port policy: auto (every split and shared), shared, or one I/W/O split")
    ddr_efficiency: float | None = Field(
        None, gt=0, le=1, allow_inf_nan=False,
        description="fraction of the peak DDR bandwidth reached (None: the board's published figure)")
    double_buffer: bool = Field(True, description="ping-pong buffers: loads overlap compute")
    pipeline_overhead_cycles: int = Field(0, ge=0, description="P: pipeline fill per tile (Zhang FPGA'15)")
    keep_skips_on_chip: bool = Field(False, description="hold skip tensors on chip when the memory allows")
    buffer_memory: Literal["auto", "bram", "uram"] = Field(
        "auto", description="where the input/weight/output buffers live: auto (cheapest that fits), bram, uram")
    input_halo: bool = Field(False, description="overlap refinement: load the K−S halo with each input tile")
    prologue_epilogue: bool = Field(False, description="overlap refinement: first load / last store per layer")
    weight_stage_cycles: int = Field(
        1, ge=1, le=4096, description="q: cycles to stage one tm·tn weight set from banks q× narrower (1: Zhang's)")
    explore_weight_stages: bool = Field(
        True, description="DSE: try weight_stage_cycles 1, 2, 4, 8, 16 and keep the fastest "
                          "(off when weight_stage_cycles is given)")
    max_macs: int | None = Field(None, ge=1, description="DSE limit: cap on tm·tn (None: the DSP budget)")
    tile_shapes: Literal["auto", "square", "all"] = Field(
        "auto", description="DSE tiles: square when every map is (auto), square, or all tr × tc")
    per_layer_tiles: bool = Field(
        False, description="DSE: the tile sizes the buffers; each conv picks its best tile within it")

    @model_validator(mode="before")
    @classmethod
    def _given_stage_is_kept(cls, data):
        return merge_settings({}, data) if isinstance(data, dict) else data

    @field_validator("precision", "schedule", "tile_shapes", "buffer_memory", mode="before")
    @classmethod
    def _known_name(cls, value, info):
        allowed = {"precision": tuple(PRECISIONS), "schedule": SCHEDULES, "tile_shapes": TILE_SHAPES,
                   "buffer_memory": BUFFER_MEMORIES}[info.field_name]
        name = str(value).lower()
        if name not in allowed:
            raise ValueError(f"unknown value {value!r}; use one of: {', '.join(allowed)}")
        return name

    @field_validator("clock_mhz")
    @classmethod
    def _plausible_clock(cls, value):
        # No board here: the widest range of any family; `Device.check_clock` applies the board's own.
        if value is not None and not MIN_CLOCK_MHZ <= value <= MAX_CLOCK_MHZ:  # also false for NaN
            raise ValueError(f"{value:g} MHz is outside what an FPGA runs at ({MIN_CLOCK_MHZ:g}..{MAX_CLOCK_MHZ:g} MHz); "
                             "give the clock in MHz, e.g. 200")
        return value

    @field_validator("ports", mode="before")
    @classmethod
    def _port_policy(cls, value):
        if isinstance(value, str) and value.strip().lower() in ("auto", "shared"):
            return value.strip().lower()
        return port_words(value) or "shared"

    @property
    def fixed_ports(self) -> PortWords | None:
        """The one port split the policy names, or None (`auto`, `shared`)."""
        return self.ports if isinstance(self.ports, tuple) else None


def merge_settings(base: dict, given: dict) -> dict:
    """`given` over `base`, where a weight organisation that `given` names is the one the DSE keeps."""
    merged = {**base, **given}
    if "weight_stage_cycles" in given and "explore_weight_stages" not in given:
        merged["explore_weight_stages"] = False
    return merged


def load_settings(data: dict, where: str = "settings") -> DesignSettings:
    """Validate a mapping (a config section, a JSON record) with errors named after `where`."""
    try:
        return DesignSettings.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, where, model=DesignSettings) from None
