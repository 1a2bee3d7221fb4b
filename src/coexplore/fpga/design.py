"""An accelerator design point: the tiling of the convolution engine, its DRAM ports, and the
settings it was designed under (`settings.py`).

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

`Design(tm=.., precision="fp32", ...)` takes the settings' fields flat or as `settings=`; the flat
ones win. `design.to_dict()` nests them under "settings", and `Design(**d)` rebuilds the design.
Text form (`text.py`): `tm=64,tn=7,tr=13,tc=13,precision=fp32,clock=100,ports=8/8/8,p=20`.
"""

from __future__ import annotations

import fnmatch
import math

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coexplore.errors import CoexploreError, validation_error
from coexplore.fpga.settings import DesignSettings, PortWords, load_settings, merge_settings
from coexplore.fpga.text import DESIGN_KEYS, SETTINGS_KEYS, format_items, read_items

# Bound on tm, tn, tr, tc: above any MAC array (the largest parts have ~12k DSPs) or tile; it keeps
# the cost model's integer products far from overflow.
MAX_ENGINE_SIZE = 65536

# settings that describe how a design was explored, not the hardware: left out of the text form
_DSE_ONLY = ("ports", "max_macs", "tile_shapes", "per_layer_tiles", "explore_weight_stages")


class Design(BaseModel):
    """One accelerator configuration. Frozen: use `replace(...)`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tm: int = Field(ge=1, le=MAX_ENGINE_SIZE, description="output maps computed in parallel (MAC array rows)")
    tn: int = Field(ge=1, le=MAX_ENGINE_SIZE, description="input maps computed in parallel (MAC array columns)")
    tr: int = Field(ge=1, le=MAX_ENGINE_SIZE, description="tile rows")
    tc: int = Field(ge=1, le=MAX_ENGINE_SIZE, description="tile cols")
    ports_words_per_cycle: PortWords | None = Field(
        None, description="(input, weight, output) port widths in words/cycle; None: one shared port")
    layer_tiles: tuple[tuple[str, int, int], ...] = Field(
        (), description="(op-name glob, tr, tc) overrides; the first match wins")
    settings: DesignSettings = Field(default_factory=DesignSettings)

    def __init__(self, **data):
        data["settings"] = _settings_of(data)
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise validation_error(exc, "design", model=Design) from None
        for pattern, tr, tc in self.layer_tiles:
            if tr < 1 or tc < 1:
                raise CoexploreError(f"tile {tr}x{tc} for {pattern!r} must be ≥ 1", field="design.layer_tiles")
        ports = self.ports_words_per_cycle
        if ports is not None and not all(math.isfinite(w) and w > 0 for w in ports):
            raise CoexploreError(f"port widths must be > 0 words/cycle and finite, got {ports}", field="design.ports",
                                 fix="e.g. ports=8/8/4 (words per cycle), or ports=shared")

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
        """JSON-able fields, the settings nested; `Design(**d)` rebuilds the design."""
        return self.model_dump(mode="json")

    def replace(self, **changes) -> "Design":
        """A copy with some fields changed (validated); settings' fields may be given flat."""
        return Design(**{**self.model_dump(), **changes})

    # --- text form -------------------------------------------------------------------------------
    def to_string(self) -> str:
        """`tm=..,tn=..,tr=..,tc=..,precision=..` plus every field that differs from its default."""
        defaults = DesignSettings()
        values: dict[str, object] = {"tm": self.tm, "tn": self.tn, "tr": self.tr, "tc": self.tc,
                                     "precision": self.settings.precision}
        for name in DesignSettings.model_fields:
            value = getattr(self.settings, name)
            if name not in _DSE_ONLY and value != getattr(defaults, name):
                values[name] = value
        if self.ports_words_per_cycle is not None:
            values["ports_words_per_cycle"] = self.ports_words_per_cycle
        if self.layer_tiles:
            values["layer_tiles"] = self.layer_tiles
        return format_items(values, DESIGN_KEYS)

    def __str__(self) -> str:
        return self.to_string()

    @classmethod
    def parse(cls, text: str, **overrides) -> "Design":
        """Read the text form; keyword `overrides` (non-None) win over the text."""
        values = read_items(text, DESIGN_KEYS, "design")
        values.update({k: v for k, v in overrides.items() if v is not None})
        missing = [k for k in ("tm", "tn", "tr", "tc") if k not in values]
        if missing:
            raise CoexploreError(f"missing {', '.join(missing)}", field="design",
                                 fix="give at least tm, tn, tr, tc (or tile=), e.g. tm=64,tn=7,tile=13")
        return cls(**values)


def parse_settings(text: str, base: DesignSettings | None = None, **overrides) -> DesignSettings:
    """Settings from the text form (`p=20,halo=yes,ports=shared,max_macs=448`) over `base`;
    keyword `overrides` (non-None) win over both."""
    given = {**read_items(text, SETTINGS_KEYS, "settings"), **{k: v for k, v in overrides.items() if v is not None}}
    return load_settings(merge_settings((base or DesignSettings()).model_dump(), given))


def _settings_of(data: dict) -> DesignSettings:
    """Pop `settings` and the settings' flat fields from `data`; the flat ones win."""
    given = data.pop("settings", None)
    flat = {name: data.pop(name) for name in list(data) if name in DesignSettings.model_fields}
    if isinstance(given, DesignSettings) and not flat:
        return given
    base = given.model_dump() if isinstance(given, DesignSettings) else dict(given or {})
    return load_settings(merge_settings(base, flat), where="design")
