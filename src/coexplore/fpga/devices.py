"""FPGA boards: resources, off-chip bandwidth, typical clock; presets and user device files.

Every preset cites its source. Resource counts are the device data-sheet figures (Xilinx DS190
Zynq-7000, DS180 7-series, DS891 Zynq UltraScale+ MPSoC, DS987 Kria K26, DS962/DS963 Alveo; Intel
Arria 10 product table); BRAM is counted in 18 Kbit halves (BRAM18 = 2 × BRAM36). Bandwidths are
the theoretical peak of the memory the programmable logic reaches (bus width × transfer rate).
Typical clocks are what published HLS accelerators on that board ran at, or a stated assumption.

A user board is a TOML/YAML/JSON file with the same fields (or `base = "zcu102"` plus overrides),
validated by pydantic.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coexplore.errors import CoexploreError, validation_error
from coexplore.files import read_mapping

# Block-RAM geometries (width bits × depth words) a memory can be built from; the mapper picks the
# cheapest aspect ratio. Xilinx UG473 (7-series) / UG573 (UltraScale): a BRAM18 is 16K×1, 8K×2,
# 4K×4, 2K×9, 1K×18 or 512×36 (simple dual port). Intel Arria 10 core fabric handbook: an M20K is
# 16K×1, 8K×2, 4K×5, 2K×10, 1K×20 or 512×40. UltraRAM (UG573): a fixed 72-bit × 4096 block.
BLOCK_SHAPES: dict[str, tuple[tuple[int, int], ...]] = {
    "BRAM18": ((36, 512), (18, 1024), (9, 2048), (4, 4096), (2, 8192), (1, 16384)),
    "M20K": ((40, 512), (20, 1024), (10, 2048), (5, 4096), (2, 8192), (1, 16384)),
    "URAM": ((72, 4096),),
}

# Utilisation ceilings for timing closure, as used by FINN (REFERENCES.md, "Boards").
DEFAULT_LIMITS = {"dsp": 0.8, "bram": 0.8, "uram": 0.8, "bandwidth": 1.0}


class UtilisationLimits(BaseModel):
    """Fraction of each resource a design may use (1.0 = all of it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dsp: float = Field(DEFAULT_LIMITS["dsp"], gt=0, le=1)
    bram: float = Field(DEFAULT_LIMITS["bram"], gt=0, le=1)
    uram: float = Field(DEFAULT_LIMITS["uram"], gt=0, le=1)
    bandwidth: float = Field(DEFAULT_LIMITS["bandwidth"], gt=0, le=1)


class Device(BaseModel):
    """An FPGA board as the cost model sees it.

    `bram18` counts 18 Kbit block RAMs (Xilinx); Intel parts have `m20k` instead (20 Kbit blocks),
    and every "bram18" figure of the cost model then counts M20K blocks (see `block_ram_kind`).
    `max_port_bits` is the widest memory-mapped data port the accelerator can open to DRAM (an AXI
    HP port on a Zynq, the MIG/Avalon interface elsewhere); it caps a single port's words per cycle.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    part: str
    family: Literal["7series", "ultrascale+", "intel"]
    dsp: int = Field(gt=0)
    bram18: int = Field(0, ge=0)
    m20k: int = Field(0, ge=0)
    uram: int = Field(0, ge=0)
    lut: int = Field(0, ge=0)
    ff: int = Field(0, ge=0)
    bandwidth_gbps: float = Field(gt=0)
    clock_mhz: float = Field(gt=0)
    max_port_bits: int = Field(512, gt=0)
    limits: UtilisationLimits = UtilisationLimits()
    source: str = ""

    def __init__(self, **data):
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise validation_error(exc, f"device {data.get('name', '?')}", model=Device) from None

    @property
    def block_ram_kind(self) -> str:
        return "M20K" if self.family == "intel" else "BRAM18"

    @property
    def block_ram(self) -> int:
        """Block RAMs of the device's own kind (BRAM18 or M20K)."""
        return self.m20k if self.family == "intel" else self.bram18

    def budget(self, resource: str) -> int:
        """Usable count of `resource` ("dsp", "bram", "uram") under the utilisation limits."""
        total = {"dsp": self.dsp, "bram": self.block_ram, "uram": self.uram}[resource]
        return int(total * getattr(self.limits, resource) + 1e-9)

    def bandwidth_budget_gbps(self) -> float:
        return self.bandwidth_gbps * self.limits.bandwidth

    def with_limits(self, **limits: float | None) -> "Device":
        """A copy with some utilisation limits changed (None keeps the current value)."""
        changes = {k: v for k, v in limits.items() if v is not None}
        if not changes:
            return self
        merged = {**self.limits.model_dump(), **changes}
        try:
            new_limits = UtilisationLimits(**merged)
        except ValidationError as exc:
            raise validation_error(exc, "limits", fix="a fraction in (0, 1], e.g. 0.8") from None
        return self.model_copy(update={"limits": new_limits})


def _preset(**kw) -> Device:
    return Device(**kw)


# --- presets -------------------------------------------------------------------------------------
PRESETS: dict[str, Device] = {
    d.name: d
    for d in [
        # XC7Z020 (DS190): 220 DSP48E1, 140 BRAM36, 53,200 LUT, 106,400 FF. PYNQ-Z1/Z2 reference
        # manuals: 512 MB DDR3, 16-bit bus at 1050 Mb/s → 2.1 GB/s; Zynq-7000 HP ports are 64 bits
        # (UG585). 100 MHz: the usual PYNQ fabric clock.
        _preset(name="pynq-z1", part="XC7Z020", family="7series", dsp=220, bram18=280, lut=53_200,
                ff=106_400, bandwidth_gbps=2.1, clock_mhz=100, max_port_bits=64,
                source="DS190; PYNQ-Z1 reference manual (DDR3 16-bit @ 1050 Mb/s)"),
        _preset(name="pynq-z2", part="XC7Z020", family="7series", dsp=220, bram18=280, lut=53_200,
                ff=106_400, bandwidth_gbps=2.1, clock_mhz=100, max_port_bits=64,
                source="DS190; PYNQ-Z2 reference manual (DDR3 16-bit @ 1050 Mb/s)"),
        # XC7Z045 (DS190): 900 DSP, 545 BRAM36, 218,600 LUT, 437,200 FF; PS DDR3 32-bit @ 1066 Mb/s
        # = 4.2 GB/s (issue 2). 150 MHz: Qiu et al., FPGA'16 ("Going Deeper with Embedded FPGA").
        _preset(name="zc706", part="XC7Z045", family="7series", dsp=900, bram18=1090, lut=218_600,
                ff=437_200, bandwidth_gbps=4.2, clock_mhz=150, max_port_bits=64,
                source="DS190; UG954 (PS DDR3); clock of Qiu et al. FPGA'16"),
        # XC7VX485T (DS180): 2,800 DSP, 1,030 BRAM36, 303,600 LUT, 607,200 FF; DDR3-1600 SODIMM,
        # 64 bits → 12.8 GB/s; 100 MHz as in Zhang et al. FPGA'15 (REFERENCES.md).
        _preset(name="vc707", part="XC7VX485T", family="7series", dsp=2800, bram18=2060, lut=303_600,
                ff=607_200, bandwidth_gbps=12.8, clock_mhz=100, max_port_bits=512,
                source="DS180; UG885; Zhang et al. FPGA'15 (100 MHz, 12.8 GB/s)"),
        # XC7VX690T (DS180): 3,600 DSP, 1,470 BRAM36, 433,200 LUT, 866,400 FF; UG887: two DDR3-1866
        # SODIMMs, 64 bits each → 2 × 14.9 GB/s. 150 MHz: an assumption (conservative HLS clock).
        _preset(name="vc709", part="XC7VX690T", family="7series", dsp=3600, bram18=2940, lut=433_200,
                ff=866_400, bandwidth_gbps=29.9, clock_mhz=150, max_port_bits=512,
                source="DS180; UG887 (2 × DDR3-1866 64-bit); clock assumed"),
        # XCZU3EG (DS891): 360 DSP, 216 BRAM36, 70,560 LUT, 141,120 FF; Ultra96: 2 GB LPDDR4, 32-bit
        # @ 2133 Mb/s → 8.5 GB/s; Zynq UltraScale+ HP ports are 128 bits (UG1085). 200 MHz assumed.
        _preset(name="ultra96", part="XCZU3EG", family="ultrascale+", dsp=360, bram18=432, lut=70_560,
                ff=141_120, bandwidth_gbps=8.5, clock_mhz=200, max_port_bits=128,
                source="DS891; Ultra96 hardware user guide (LPDDR4 x32 @ 2133 Mb/s); clock assumed"),
        # XCZU7EV (DS891): 1,728 DSP, 312 BRAM36, 96 URAM, 230,400 LUT, 460,800 FF; PS DDR4-2400
        # 64 bits → 19.2 GB/s (issue 2). 200 MHz assumed.
        _preset(name="zcu104", part="XCZU7EV", family="ultrascale+", dsp=1728, bram18=624, uram=96,
                lut=230_400, ff=460_800, bandwidth_gbps=19.2, clock_mhz=200, max_port_bits=128,
                source="DS891; UG1267 (PS DDR4-2400 x64); clock assumed"),
        # XCZU9EG (DS891): 2,520 DSP, 912 BRAM36, 274,080 LUT, 548,160 FF; PS DDR4-2400 x64 → 19.2 GB/s.
        _preset(name="zcu102", part="XCZU9EG", family="ultrascale+", dsp=2520, bram18=1824, lut=274_080,
                ff=548_160, bandwidth_gbps=19.2, clock_mhz=200, max_port_bits=128,
                source="DS891; UG1182 (PS DDR4-2400 x64); clock assumed"),
        # Kria K26 (DS987): 1,248 DSP, 144 BRAM36, 64 URAM, 117,120 LUT, 234,240 FF; DDR4-2400 x64.
        _preset(name="kv260", part="XCK26", family="ultrascale+", dsp=1248, bram18=288, uram=64,
                lut=117_120, ff=234_240, bandwidth_gbps=19.2, clock_mhz=200, max_port_bits=128,
                source="DS987 (K26 SOM, DDR4-2400 x64); clock assumed"),
        # Alveo U200 (DS962): 6,840 DSP, 2,160 BRAM36, 960 URAM, 1,182,240 LUT, 2,364,480 FF;
        # 4 × DDR4-2400 x64 = 77 GB/s; 300 MHz: the Vitis default kernel clock.
        _preset(name="u200", part="XCU200", family="ultrascale+", dsp=6840, bram18=4320, uram=960,
                lut=1_182_240, ff=2_364_480, bandwidth_gbps=77.0, clock_mhz=300, max_port_bits=512,
                source="DS962 (4 × DDR4-2400); Vitis default 300 MHz"),
        # Alveo U250 (DS962): 12,288 DSP, 2,688 BRAM36, 1,280 URAM, 1,728,000 LUT, 3,456,000 FF.
        _preset(name="u250", part="XCU250", family="ultrascale+", dsp=12288, bram18=5376, uram=1280,
                lut=1_728_000, ff=3_456_000, bandwidth_gbps=77.0, clock_mhz=300, max_port_bits=512,
                source="DS962 (4 × DDR4-2400); Vitis default 300 MHz"),
        # Alveo U280 (DS963): 9,024 DSP, 2,016 BRAM36, 960 URAM, 1,303,680 LUT, 2,607,360 FF;
        # 8 GB HBM2 at 460 GB/s (the DDR4 banks are not counted).
        _preset(name="u280", part="XCU280", family="ultrascale+", dsp=9024, bram18=4032, uram=960,
                lut=1_303_680, ff=2_607_360, bandwidth_gbps=460.0, clock_mhz=300, max_port_bits=512,
                source="DS963 (HBM2 460 GB/s); Vitis default 300 MHz"),
        # Arria 10 GX1150 (Intel product table): 1,518 variable-precision DSP blocks, 2,713 M20K,
        # 427,200 ALMs (in `lut`), 1,708,800 registers; Arria 10 GX development kit: DDR4 x64 @
        # 2133 MT/s → 17 GB/s. 200 MHz assumed.
        _preset(name="arria10-gx1150", part="10AX115", family="intel", dsp=1518, m20k=2713, lut=427_200,
                ff=1_708_800, bandwidth_gbps=17.0, clock_mhz=200, max_port_bits=512,
                source="Intel Arria 10 product table; Arria 10 GX dev kit (DDR4-2133 x64); clock assumed"),
    ]
}

ALIASES = {"pynq": "pynq-z2", "arria10": "arria10-gx1150", "a10": "arria10-gx1150", "k26": "kv260",
           "alveo-u200": "u200", "alveo-u250": "u250", "alveo-u280": "u280"}

DEVICE_FILE_SUFFIXES = (".toml", ".yaml", ".yml", ".json")


def list_devices() -> list[Device]:
    """Every preset, in table order."""
    return list(PRESETS.values())


def get_device(name_or_path: str | Path | Device) -> Device:
    """A preset by name (case-insensitive) or a user device file (.toml/.yaml/.json)."""
    if isinstance(name_or_path, Device):
        return name_or_path
    text = str(name_or_path).strip()
    key = ALIASES.get(text.lower(), text.lower())
    if key in PRESETS:
        return PRESETS[key]
    if Path(text).suffix.lower() in DEVICE_FILE_SUFFIXES:
        return load_device_file(text)
    raise CoexploreError(
        f"unknown device {text!r}", field="device",
        fix=f"use one of: {', '.join(PRESETS)}, or a .toml/.yaml device file",
    )


def load_device_file(path: str | Path) -> Device:
    """Read a device file. `base = "<preset>"` starts from a preset and overrides its fields."""
    path = Path(path)
    data = read_mapping(path, what="device", fix="see `coexplore devices --json` for the fields of a device")
    if "device" in data and isinstance(data["device"], dict):  # allow a [device] table
        data = data["device"]
    base_name = data.pop("base", None)
    if base_name is not None:
        base = get_device(str(base_name)).model_dump()
        limits = {**base.pop("limits"), **data.pop("limits", {})}
        data = {**base, **data, "limits": limits}
        data.setdefault("name", path.stem)
    data.setdefault("name", path.stem)
    data.setdefault("source", f"user file {path}")
    return Device(**data)

