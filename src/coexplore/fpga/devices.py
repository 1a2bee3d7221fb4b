"""FPGA boards: resources, off-chip bandwidth, typical clock; presets and user device files.

Every preset cites its source. Resource counts are the device data-sheet figures (Xilinx DS190
Zynq-7000, DS180 7-series, DS891 Zynq UltraScale+ MPSoC, DS987 Kria K26, DS962/DS963 Alveo; Intel
Arria 10 product table); BRAM is counted in 18 Kbit halves (BRAM18 = 2 × BRAM36). Bandwidths are
the theoretical peak of the memory the programmable logic reaches (bus width × transfer rate).
Typical clocks are what published HLS accelerators on that board ran at, or a stated assumption.
DDR efficiencies (the fraction of that peak the model assumes by default) come from published
measurements or vendor tables, one per memory controller (REFERENCES.md, "Boards today"):

- Zynq-7000 PS DDR3: UG585 §22.3.2 Tables 22-5..7, mixed read/write traffic 79–87 % → 0.83 (midpoint;
  a conv engine reads and writes). Used for the 7-series MIG boards too, for want of a published
  MIG figure (Xilinx AR# 36719 only says "near 100 %" for pure bursts, traffic-dependent): an
  assumption, [unconfirmed] for MIG.
- Zynq UltraScale+ PS DDR4: 75 % of peak measured on the ZCU102 over 3 of 4 HP ports (Manev et al.,
  FPT'19); the ZCU104 and K26 have the same PS DDR controller. Ultra96 (LPDDR4): 92.5 % (same paper).
- Alveo DDR4: 52.2 of 77 GB/s with the Vitis_Accel_Examples 4-bank bandwidth kernel on the U250
  (≈ 68 %; `xbutil validate` gives 62 %); the U200 has the same four DDR4-2400 channels.
- Alveo U280 HBM2: 421 of 460 GB/s with 8 compute units (Vitis_Accel_Examples hbm_bandwidth, ≈ 92 %).
- Intel Arria 10 EMIF DDR4: no published figure at hand; 0.75 assumed (the ZCU102 PS figure) [unconfirmed].

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
DEFAULT_LIMITS = {"dsp": 0.8, "bram": 0.8, "uram": 0.8, "lut": 0.7, "ff": 0.5, "bandwidth": 1.0}

# What a part of each family can do at most, so a typo (clock 1e12 MHz, bandwidth inf) is an error
# instead of a design that "fits". Clock: the DSP block's Fmax in the fastest speed grade, the
# ceiling of a MAC-array clock (DS183 Virtex-7: DSP48E1 741 MHz; DS923 Virtex UltraScale+: DSP48E2
# 891 MHz; Intel: Stratix 10 HyperFlex 1 GHz, above Arria 10's 548 MHz DSP). Bandwidth: the fastest
# memory a part of the family reaches (assumption for 7-series: eight DDR3-1866 x64 interfaces,
# ≈ 120 GB/s; UltraScale+: the HBM2 of the VU37P/U280, 460 GB/s, DS963; Intel: the HBM2e of
# Agilex 7 M-series, 820 GB/s). Below 1 MHz no clock resource runs (MMCM/PLL outputs start at
# about 4.7 MHz, DS183/DS925): an assumption that catches unit mistakes (Hz or GHz for MHz).
MIN_CLOCK_MHZ = 1.0
FAMILY_MAX_CLOCK_MHZ = {"7series": 741.0, "ultrascale+": 891.0, "intel": 1000.0}
FAMILY_MAX_BANDWIDTH_GBPS = {"7series": 120.0, "ultrascale+": 460.0, "intel": 820.0}
MAX_CLOCK_MHZ = max(FAMILY_MAX_CLOCK_MHZ.values())  # any family: the bound of a clock given without a board


class UtilisationLimits(BaseModel):
    """Fraction of each resource a design may use (1.0 = all of it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dsp: float = Field(DEFAULT_LIMITS["dsp"], gt=0, le=1)
    bram: float = Field(DEFAULT_LIMITS["bram"], gt=0, le=1)
    uram: float = Field(DEFAULT_LIMITS["uram"], gt=0, le=1)
    lut: float = Field(DEFAULT_LIMITS["lut"], gt=0, le=1)
    ff: float = Field(DEFAULT_LIMITS["ff"], gt=0, le=1)
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
    bandwidth_gbps: float = Field(gt=0, allow_inf_nan=False)
    clock_mhz: float = Field(gt=0, allow_inf_nan=False)
    max_port_bits: int = Field(512, gt=0)
    # Fraction of `bandwidth_gbps` a streaming accelerator reaches (controller refresh, row misses,
    # read/write turn-around); the presets carry a published measurement or vendor figure, named in
    # `ddr_efficiency_source`. A user board without one assumes the peak (1.0): say so in the file.
    ddr_efficiency: float = Field(1.0, gt=0, le=1, allow_inf_nan=False)
    ddr_efficiency_source: str = ""
    limits: UtilisationLimits = UtilisationLimits()
    source: str = ""

    def __init__(self, **data):
        # `_where` names the source in errors (a device file); the board's name otherwise
        where = data.pop("_where", None) or f"device {data.get('name', '?')}"
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise validation_error(exc, where, model=Device,
                                   fix=None if _unknown_key(exc) else DEVICE_FIELDS_FIX) from None
        self.check_ranges(where)

    def check_ranges(self, where: str) -> None:
        """Clock and bandwidth within what a part of the family can do (`where` prefixes the field)."""
        self.check_clock(self.clock_mhz, f"{where}: clock_mhz")
        top = FAMILY_MAX_BANDWIDTH_GBPS[self.family]
        if self.bandwidth_gbps > top:
            raise CoexploreError(f"{self.bandwidth_gbps:g} GB/s is more than any {self.family} part reaches "
                                 f"({top:g} GB/s)", field=f"{where}: bandwidth_gbps",
                                 fix="give the board's DRAM bandwidth in GB/s (bus width × transfer rate)")

    def check_clock(self, clock_mhz: float, where: str = "clock_mhz") -> float:
        """`clock_mhz` if a part of this family can run a MAC array at it, else one CoexploreError."""
        top = FAMILY_MAX_CLOCK_MHZ[self.family]
        if not MIN_CLOCK_MHZ <= clock_mhz <= top:  # also false for NaN
            raise CoexploreError(f"{clock_mhz:g} MHz is outside what a {self.family} part runs at "
                                 f"({MIN_CLOCK_MHZ:g}..{top:g} MHz)", field=where,
                                 fix=f"give the clock in MHz, e.g. {self.clock_mhz:g} (the board's typical)"
                                 if MIN_CLOCK_MHZ <= self.clock_mhz <= top else "give the clock in MHz, e.g. 200")
        return clock_mhz

    @property
    def block_ram_kind(self) -> str:
        return "M20K" if self.family == "intel" else "BRAM18"

    @property
    def block_ram(self) -> int:
        """Block RAMs of the device's own kind (BRAM18 or M20K)."""
        return self.m20k if self.family == "intel" else self.bram18

    def budget(self, resource: str) -> int:
        """Usable count of `resource` ("dsp", "bram", "uram", "lut", "ff") under the utilisation limits.
        A board file without LUT/FF counts (0) has no fabric budget: `fabric_known` is false."""
        total = {"dsp": self.dsp, "bram": self.block_ram, "uram": self.uram, "lut": self.lut, "ff": self.ff}[resource]
        return int(total * getattr(self.limits, resource) + 1e-9)

    @property
    def fabric_known(self) -> bool:
        """Whether the board gives LUT and FF counts (every preset does; the data sheets above)."""
        return self.lut > 0 and self.ff > 0

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


# DDR efficiency per memory controller (see the module docstring for each source).
DDR_ZYNQ7 = {"ddr_efficiency": 0.83, "ddr_efficiency_source": "UG585 Tables 22-5..7: PS DDR3 mixed traffic 79-87 %"}
DDR_MIG7 = {"ddr_efficiency": 0.83, "ddr_efficiency_source": "assumed as Zynq-7000 DDR3 (UG585); no MIG figure (unconfirmed)"}
DDR_ZUPS = {"ddr_efficiency": 0.75, "ddr_efficiency_source": "Manev et al. FPT'19: ZCU102 PS DDR4 75 % over 3 HP ports"}
DDR_U96 = {"ddr_efficiency": 0.925, "ddr_efficiency_source": "Manev et al. FPT'19: Ultra96 LPDDR4 92.5 %"}
DDR_ALVEO = {"ddr_efficiency": 0.68, "ddr_efficiency_source": "Vitis_Accel_Examples bandwidth: U250 52.2 of 77 GB/s"}
DDR_HBM = {"ddr_efficiency": 0.92, "ddr_efficiency_source": "Vitis_Accel_Examples hbm_bandwidth: U280 421 of 460 GB/s"}
DDR_A10 = {"ddr_efficiency": 0.75, "ddr_efficiency_source": "assumed as the ZCU102 PS DDR4 figure (unconfirmed)"}


# --- presets -------------------------------------------------------------------------------------
PRESETS: dict[str, Device] = {
    d.name: d
    for d in [
        # XC7Z020 (DS190): 220 DSP48E1, 140 BRAM36, 53,200 LUT, 106,400 FF. PYNQ-Z1/Z2 reference
        # manuals: 512 MB DDR3, 16-bit bus at 1050 Mb/s → 2.1 GB/s; Zynq-7000 HP ports are 64 bits
        # (UG585). 100 MHz: the usual PYNQ fabric clock.
        _preset(name="pynq-z1", part="XC7Z020", family="7series", dsp=220, bram18=280, lut=53_200,
                ff=106_400, bandwidth_gbps=2.1, clock_mhz=100, max_port_bits=64,
                **DDR_ZYNQ7, source="DS190; PYNQ-Z1 reference manual (DDR3 16-bit @ 1050 Mb/s)"),
        _preset(name="pynq-z2", part="XC7Z020", family="7series", dsp=220, bram18=280, lut=53_200,
                ff=106_400, bandwidth_gbps=2.1, clock_mhz=100, max_port_bits=64,
                **DDR_ZYNQ7, source="DS190; PYNQ-Z2 reference manual (DDR3 16-bit @ 1050 Mb/s)"),
        # XC7Z045 (DS190): 900 DSP, 545 BRAM36, 218,600 LUT, 437,200 FF; PS DDR3 32-bit @ 1066 Mb/s
        # = 4.2 GB/s (issue 2). 150 MHz: Qiu et al., FPGA'16 ("Going Deeper with Embedded FPGA").
        _preset(name="zc706", part="XC7Z045", family="7series", dsp=900, bram18=1090, lut=218_600,
                ff=437_200, bandwidth_gbps=4.2, clock_mhz=150, max_port_bits=64,
                **DDR_ZYNQ7, source="DS190; UG954 (PS DDR3); clock of Qiu et al. FPGA'16"),
        # XC7VX485T (DS180): 2,800 DSP, 1,030 BRAM36, 303,600 LUT, 607,200 FF; DDR3-1600 SODIMM,
        # 64 bits → 12.8 GB/s; 100 MHz as in Zhang et al. FPGA'15 (REFERENCES.md).
        _preset(name="vc707", part="XC7VX485T", family="7series", dsp=2800, bram18=2060, lut=303_600,
                ff=607_200, bandwidth_gbps=12.8, clock_mhz=100, max_port_bits=512,
                **DDR_MIG7, source="DS180; UG885; Zhang et al. FPGA'15 (100 MHz, 12.8 GB/s)"),
        # XC7VX690T (DS180): 3,600 DSP, 1,470 BRAM36, 433,200 LUT, 866,400 FF; UG887: two DDR3-1866
        # SODIMMs, 64 bits each → 2 × 14.9 GB/s. 150 MHz: an assumption (conservative HLS clock).
        _preset(name="vc709", part="XC7VX690T", family="7series", dsp=3600, bram18=2940, lut=433_200,
                ff=866_400, bandwidth_gbps=29.9, clock_mhz=150, max_port_bits=512,
                **DDR_MIG7, source="DS180; UG887 (2 × DDR3-1866 64-bit); clock assumed"),
        # XCZU3EG (DS891): 360 DSP, 216 BRAM36, 70,560 LUT, 141,120 FF; Ultra96: 2 GB LPDDR4, 32-bit
        # @ 2133 Mb/s → 8.5 GB/s; Zynq UltraScale+ HP ports are 128 bits (UG1085). 200 MHz assumed.
        _preset(name="ultra96", part="XCZU3EG", family="ultrascale+", dsp=360, bram18=432, lut=70_560,
                ff=141_120, bandwidth_gbps=8.5, clock_mhz=200, max_port_bits=128,
                **DDR_U96, source="DS891; Ultra96 hardware user guide (LPDDR4 x32 @ 2133 Mb/s); clock assumed"),
        # XCZU7EV (DS891): 1,728 DSP, 312 BRAM36, 96 URAM, 230,400 LUT, 460,800 FF; PS DDR4-2400
        # 64 bits → 19.2 GB/s (issue 2). 200 MHz assumed.
        _preset(name="zcu104", part="XCZU7EV", family="ultrascale+", dsp=1728, bram18=624, uram=96,
                lut=230_400, ff=460_800, bandwidth_gbps=19.2, clock_mhz=200, max_port_bits=128,
                **DDR_ZUPS, source="DS891; UG1267 (PS DDR4-2400 x64); clock assumed"),
        # XCZU9EG (DS891): 2,520 DSP, 912 BRAM36, 274,080 LUT, 548,160 FF; PS DDR4-2400 x64 → 19.2 GB/s.
        _preset(name="zcu102", part="XCZU9EG", family="ultrascale+", dsp=2520, bram18=1824, lut=274_080,
                ff=548_160, bandwidth_gbps=19.2, clock_mhz=200, max_port_bits=128,
                **DDR_ZUPS, source="DS891; UG1182 (PS DDR4-2400 x64); clock assumed"),
        # Kria K26 (DS987): 1,248 DSP, 144 BRAM36, 64 URAM, 117,120 LUT, 234,240 FF; DDR4-2400 x64.
        _preset(name="kv260", part="XCK26", family="ultrascale+", dsp=1248, bram18=288, uram=64,
                lut=117_120, ff=234_240, bandwidth_gbps=19.2, clock_mhz=200, max_port_bits=128,
                **DDR_ZUPS, source="DS987 (K26 SOM, DDR4-2400 x64); clock assumed"),
        # Alveo U200 (DS962): 6,840 DSP, 2,160 BRAM36, 960 URAM, 1,182,240 LUT, 2,364,480 FF;
        # 4 × DDR4-2400 x64 = 77 GB/s; 300 MHz: the Vitis default kernel clock.
        _preset(name="u200", part="XCU200", family="ultrascale+", dsp=6840, bram18=4320, uram=960,
                lut=1_182_240, ff=2_364_480, bandwidth_gbps=77.0, clock_mhz=300, max_port_bits=512,
                **DDR_ALVEO, source="DS962 (4 × DDR4-2400); Vitis default 300 MHz"),
        # Alveo U250 (DS962): 12,288 DSP, 2,688 BRAM36, 1,280 URAM, 1,728,000 LUT, 3,456,000 FF.
        _preset(name="u250", part="XCU250", family="ultrascale+", dsp=12288, bram18=5376, uram=1280,
                lut=1_728_000, ff=3_456_000, bandwidth_gbps=77.0, clock_mhz=300, max_port_bits=512,
                **DDR_ALVEO, source="DS962 (4 × DDR4-2400); Vitis default 300 MHz"),
        # Alveo U280 (DS963): 9,024 DSP, 2,016 BRAM36, 960 URAM, 1,303,680 LUT, 2,607,360 FF;
        # 8 GB HBM2 at 460 GB/s (the DDR4 banks are not counted).
        _preset(name="u280", part="XCU280", family="ultrascale+", dsp=9024, bram18=4032, uram=960,
                lut=1_303_680, ff=2_607_360, bandwidth_gbps=460.0, clock_mhz=300, max_port_bits=512,
                **DDR_HBM, source="DS963 (HBM2 460 GB/s); Vitis default 300 MHz"),
        # Arria 10 GX1150 (Intel product table): 1,518 variable-precision DSP blocks, 2,713 M20K,
        # 427,200 ALMs (in `lut`), 1,708,800 registers; Arria 10 GX development kit: DDR4 x64 @
        # 2133 MT/s → 17 GB/s. 200 MHz assumed.
        _preset(name="arria10-gx1150", part="10AX115", family="intel", dsp=1518, m20k=2713, lut=427_200,
                ff=1_708_800, bandwidth_gbps=17.0, clock_mhz=200, max_port_bits=512,
                **DDR_A10, source="Intel Arria 10 product table; Arria 10 GX dev kit (DDR4-2133 x64); clock assumed"),
    ]
}

ALIASES = {"pynq": "pynq-z2", "arria10": "arria10-gx1150", "a10": "arria10-gx1150", "k26": "kv260",
           "alveo-u200": "u200", "alveo-u250": "u250", "alveo-u280": "u280"}

DEVICE_FILE_SUFFIXES = (".toml", ".yaml", ".yml", ".json")
DEVICE_FIELDS_FIX = "see `coexplore devices --json` for the fields of a device"


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
    """Read a device file. `base = "<preset>"` (or another device file, relative to this one's
    folder) starts from that board and overrides its fields."""
    return _load_device_file(Path(path), ())


def _load_device_file(path: Path, chain: tuple[Path, ...]) -> Device:
    """`chain`: the device files whose `base` led here, to name a cycle instead of recursing."""
    data = read_mapping(path, what="device", fix=DEVICE_FIELDS_FIX)
    if "device" in data:  # allow a [device] table
        data = data["device"]
        if not isinstance(data, dict):
            raise CoexploreError("must be a table of device fields", field=f"{path}: device",
                                 fix='write [device] followed by its fields, or the fields alone')
    base_name = data.pop("base", None)
    if base_name is not None:
        base = _base_device(base_name, path, chain).model_dump()
        limits = data.pop("limits", {})
        if not isinstance(limits, dict):
            raise CoexploreError(f"must be a table of fractions, got {limits!r}", field=f"{path}: limits",
                                 fix="e.g. [limits] dsp = 0.8, bram = 0.8")
        data = {**base, **data, "limits": {**base.pop("limits"), **limits}}
    data.setdefault("name", path.stem)
    data.setdefault("source", f"user file {path}")
    return Device(**data, _where=str(path))


def _unknown_key(exc: ValidationError) -> bool:
    return exc.errors()[0]["type"] == "extra_forbidden"


def _base_device(base_name: object, path: Path, chain: tuple[Path, ...]) -> Device:
    """The board `base` names: a preset, or a device file relative to `path`'s folder."""
    if not isinstance(base_name, str) or not base_name.strip():
        raise CoexploreError(f"must be a preset name or a device file, got {base_name!r}", field=f"{path}: base",
                             fix=f"e.g. base = \"zcu102\" (presets: {', '.join(PRESETS)})")
    if Path(base_name).suffix.lower() not in DEVICE_FILE_SUFFIXES:
        return get_device(base_name)
    base_path = (path.parent / base_name).resolve()
    seen = (*chain, path.resolve())
    if base_path in seen:
        loop = " → ".join(p.name for p in (*seen[seen.index(base_path):], base_path))
        raise CoexploreError(f"base files form a cycle ({loop})", field=f"{path}: base",
                             fix="start the chain from a preset, e.g. base = \"zcu102\"")
    return _load_device_file(base_path, seen)
