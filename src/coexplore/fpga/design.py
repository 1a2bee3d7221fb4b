"""An accelerator design point: the tiling of the convolution engine and how it talks to DRAM.

The engine is the loop-tiled overlay of Zhang et al. FPGA'15: a `tm × tn` MAC array (tm output
maps × tn input maps per cycle), an output tile of `tr × tc`, double-buffered input / weight /
output buffers, one layer after another. What `tr, tc` tile depends on the schedule, following each
source: output rows/cols under "roofline" (Zhang FPGA'15), input rows/cols under "overlap" (the
Jiang et al. formula divides them by the stride to get the output tile). A layer smaller than the
tile uses the layer's own extent; `layer_tiles` sets other tiles for named ops (Zhang chooses Tr, Tc
per layer: they are loop bounds, the buffers are sized for the largest).

Memory: `ports_words_per_cycle = (input, weight, output)` gives three independent ports (the
published overlap model); `None` means one shared port to DRAM at the board's bandwidth × the DDR
efficiency (capped by the widest port the board offers).

Text form (CLI `--design`, `Design.parse`, `str(design)`), comma-separated `key=value`:
`tm=64,tn=7,tr=13,tc=13,precision=fp32,clock=100,ports=8/8/8,p=20,tiles=conv1*:11x11|conv2*:27x27`.
"""

from __future__ import annotations

import fnmatch
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coexplore.errors import CoexploreError
from coexplore.fpga.precision import PRECISIONS
from coexplore.fpga.validation import as_coexplore_error

Schedule = Literal["overlap", "roofline"]
SCHEDULES: tuple[str, ...] = ("overlap", "roofline")


class Design(BaseModel):
    """One accelerator configuration. Frozen: use `model_copy(update=...)` / `replace(...)`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tm: int = Field(ge=1, description="output maps computed in parallel (MAC array rows)")
    tn: int = Field(ge=1, description="input maps computed in parallel (MAC array columns)")
    tr: int = Field(ge=1, description="tile rows")
    tc: int = Field(ge=1, description="tile cols")
    precision: Literal["fp32", "int16", "int8"] = "int16"
    clock_mhz: float | None = Field(None, gt=0, description="None: the device's typical clock")
    ports_words_per_cycle: tuple[float, float, float] | None = Field(
        None, description="(input, weight, output) port widths in words/cycle; None: one shared port")
    ddr_efficiency: float = Field(1.0, gt=0, le=1, description="fraction of the peak DDR bandwidth reached")
    double_buffer: bool = True
    pipeline_overhead_cycles: int = Field(0, ge=0, description="P: pipeline fill per tile (Zhang FPGA'15)")
    keep_skips_on_chip: bool = False
    schedule: Schedule = "overlap"
    input_halo: bool = Field(False, description="overlap refinement: load the K−S halo with each input tile")
    prologue_epilogue: bool = Field(False, description="overlap refinement: first load / last store per layer")
    layer_tiles: tuple[tuple[str, int, int], ...] = Field(
        (), description="(op-name glob, tr, tc) overrides; the first match wins")

    def __init__(self, **data):
        if "precision" in data and isinstance(data["precision"], str):
            data["precision"] = data["precision"].lower()
            if data["precision"] not in PRECISIONS:
                from coexplore.errors import choice_error

                raise choice_error("design.precision", data["precision"], list(PRECISIONS))
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise as_coexplore_error(exc, "design") from None
        for pattern, tr, tc in self.layer_tiles:
            if tr < 1 or tc < 1:
                raise CoexploreError(f"tile {tr}x{tc} for {pattern!r} must be ≥ 1", field="design.layer_tiles")
        if self.ports_words_per_cycle is not None and min(self.ports_words_per_cycle) <= 0:
            raise CoexploreError("port widths must be > 0 words/cycle", field="design.ports")

    # --- views -----------------------------------------------------------------------------------
    @property
    def macs_per_cycle(self) -> int:
        return self.tm * self.tn

    @property
    def shared_port(self) -> bool:
        return self.ports_words_per_cycle is None

    def tile_for(self, op_name: str) -> tuple[int, int]:
        """(tr, tc) the engine uses for the op called `op_name` (before clamping to the layer)."""
        for pattern, tr, tc in self.layer_tiles:
            if fnmatch.fnmatchcase(op_name, pattern):
                return tr, tc
        return self.tr, self.tc

    def to_dict(self) -> dict:
        """JSON-able fields; `Design(**d)` rebuilds the design."""
        return self.model_dump(mode="json")

    def replace(self, **changes) -> "Design":
        """A copy with some fields changed (validated)."""
        return Design(**{**self.model_dump(), **changes})

    # --- text form -------------------------------------------------------------------------------
    def to_string(self) -> str:
        """`tm=..,tn=..,tr=..,tc=..,precision=..` plus every field that differs from its default."""
        parts = [f"tm={self.tm}", f"tn={self.tn}", f"tr={self.tr}", f"tc={self.tc}", f"precision={self.precision}"]
        defaults = Design(tm=1, tn=1, tr=1, tc=1)
        for key, field_name in _KEYS.items():
            if field_name in ("tm", "tn", "tr", "tc", "precision"):
                continue
            value = getattr(self, field_name)
            if value != getattr(defaults, field_name):
                parts.append(f"{key}={_format_value(field_name, value)}")
        return ",".join(parts)

    def __str__(self) -> str:
        return self.to_string()

    @classmethod
    def parse(cls, text: str, **overrides) -> "Design":
        """Read the text form; keyword `overrides` (non-None) win over the text."""
        values: dict[str, object] = {}
        for item in filter(None, (part.strip() for part in str(text).split(","))):
            if "=" not in item:
                raise CoexploreError(f"expected key=value, got {item!r}", field="design",
                                     fix=f"e.g. tm=64,tn=7,tr=13,tc=13; keys: {', '.join(_KEYS)}, tile")
            key, raw = (s.strip() for s in item.split("=", 1))
            key_l = key.lower()
            if key_l == "tile":  # shorthand: tile=13 or tile=13x27 sets tr and tc
                tr, tc = _parse_tile(raw, "design.tile")
                values["tr"], values["tc"] = tr, tc
                continue
            field_name = _KEYS.get(key_l) or (key_l if key_l in cls.model_fields else None)
            if field_name is None:
                raise CoexploreError(f"unknown key {key!r}", field="design",
                                     fix=f"use one of: {', '.join(_KEYS)}, tile")
            values[field_name] = _parse_value(field_name, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        missing = [k for k in ("tm", "tn", "tr", "tc") if k not in values]
        if missing:
            raise CoexploreError(f"missing {', '.join(missing)}", field="design",
                                 fix="give at least tm, tn, tr, tc (or tile=), e.g. tm=64,tn=7,tile=13")
        return cls(**values)


# short key in the text form → field name (also the order of `to_string`)
_KEYS: dict[str, str] = {
    "tm": "tm", "tn": "tn", "tr": "tr", "tc": "tc", "precision": "precision", "clock": "clock_mhz",
    "ports": "ports_words_per_cycle", "ddr_eff": "ddr_efficiency", "double_buffer": "double_buffer",
    "p": "pipeline_overhead_cycles", "keep_skips": "keep_skips_on_chip", "schedule": "schedule",
    "halo": "input_halo", "prologue": "prologue_epilogue", "tiles": "layer_tiles",
}
_BOOL_FIELDS = {"double_buffer", "keep_skips_on_chip", "input_halo", "prologue_epilogue"}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _format_value(field_name: str, value) -> str:
    if field_name == "ports_words_per_cycle":
        return "/".join(_num(v) for v in value) if value is not None else "shared"
    if field_name == "layer_tiles":
        return "|".join(f"{p}:{tr}x{tc}" for p, tr, tc in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _num(value)
    return str(value)


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _parse_value(field_name: str, raw: str):
    where = f"design.{field_name}"
    if field_name in _BOOL_FIELDS:
        if raw.lower() in _TRUE | _FALSE:
            return raw.lower() in _TRUE
        raise CoexploreError(f"expected true/false, got {raw!r}", field=where)
    if field_name == "ports_words_per_cycle":
        if raw.lower() in ("shared", "none", ""):
            return None
        parts = raw.replace("x", "/").split("/")
        if len(parts) != 3:
            raise CoexploreError(f"expected three widths in/weight/out, got {raw!r}", field=where,
                                 fix="e.g. ports=8/8/4 (words per cycle), or ports=shared")
        return tuple(_to_float(p, where) for p in parts)
    if field_name == "layer_tiles":
        tiles = []
        for entry in filter(None, raw.split("|")):
            pattern, _, tile = entry.rpartition(":")
            if not pattern:
                raise CoexploreError(f"expected name:TRxTC, got {entry!r}", field=where,
                                     fix="e.g. tiles=conv1*:11x11|conv2*:27x27")
            tiles.append((pattern, *_parse_tile(tile, where)))
        return tuple(tiles)
    if field_name in ("clock_mhz", "ddr_efficiency"):
        return None if raw.lower() in ("none", "device", "") else _to_float(raw, where)
    if field_name in ("precision", "schedule"):
        return raw.lower()
    return _to_int(raw, where)


def _parse_tile(raw: str, where: str) -> tuple[int, int]:
    parts = raw.lower().split("x")
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2:
        raise CoexploreError(f"expected TR or TRxTC, got {raw!r}", field=where)
    return _to_int(parts[0], where), _to_int(parts[1], where)


def _to_int(raw: str, where: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise CoexploreError(f"expected an integer, got {raw!r}", field=where) from None


def _to_float(raw: str, where: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise CoexploreError(f"expected a number, got {raw!r}", field=where) from None
