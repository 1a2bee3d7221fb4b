"""Published measurements the model is checked against, in one place, each with its source.

Only numbers printed in the cited source (or in REFERENCES.md, which cites it) live here; what the
model computes from them is in `fabric.py` (the LUT/FF fit) and `validate.py` (the table).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FabricPoint:
    """One implemented engine's fabric use: MACs per cycle, precision, LUT, FF (and DSP, BRAM36)."""

    name: str
    precision: str
    macs: int
    lut: int
    ff: int
    dsp: int
    source: str


# AMD PG338 v1.2 Table 9 (DPUCZDX8G on ZCU102, high-DSP mode; REFERENCES.md "Boards today"). The
# size names count operations per cycle (2 per MAC): B4096 = 8 pixels × 16 input × 16 output
# channels = 2,048 MACs (PG338 Table 8).
DPU_PG338 = (
    FabricPoint("DPU B512", "int8", 256, 20_177, 31_782, 98, "PG338 v1.2 Table 9"),
    FabricPoint("DPU B1024", "int8", 512, 27_377, 46_241, 194, "PG338 v1.2 Table 9"),
    FabricPoint("DPU B2304", "int8", 1_152, 34_379, 67_481, 386, "PG338 v1.2 Table 9"),
    FabricPoint("DPU B4096", "int8", 2_048, 40_865, 92_630, 642, "PG338 v1.2 Table 9"),
)
# Kria K26 DPU B3136 (1,568 MACs) with URAM: 43-46 k LUT (kria-apps-docs, smartvision hardware
# architecture; REFERENCES.md). Not in the fit: an out-of-sample check (midpoint of the range).
DPU_K26_B3136 = FabricPoint("DPU B3136 (K26)", "int8", 1_568, 44_500, 0, 548, "kria-apps-docs smartvision")


@dataclass(frozen=True)
class ZhangAlexNet:
    """Zhang et al., FPGA'15 (doi 10.1145/2684746.2689060), AlexNet on a VC707 (REFERENCES.md):
    ⟨Tm,Tn⟩ = ⟨64,7⟩, fp32, 100 MHz, P = 20, Tr = Tc = 27 for conv2 and 13 for conv3-5."""

    design: str = ("tm=64,tn=7,tr=13,tc=13,precision=fp32,clock=100,p=20,schedule=roofline,"
                   "tiles=conv1_*:11x11|conv2_*:27x27")
    device: str = "vc707"
    macs: int = 64 * 7
    # per group, conv2-conv5: the paper's cycle counts (the formula with P = 20, REFERENCES.md)
    per_group_cycles: tuple[tuple[str, int], ...] = (("conv2", 255_430), ("conv3", 171_051),
                                                     ("conv4", 129_444), ("conv5", 86_296))
    all_five_cycles: int = 1_008_246  # per group, all five conv layers
    measured_ms: float = 21.61  # both groups, the five conv layers, measured on the board
    gflops: float = 61.62
    required_gbps: float = 1.55  # conv3-conv5
    dsp: int = 2_240
    bram18: int = 1_024
    lut: int = 186_251
    ff: int = 205_704


ZHANG = ZhangAlexNet()


@dataclass(frozen=True)
class EngineThroughput:
    """A production engine of another architecture running one network: frames per second over
    `cores` cores of `ops_per_cycle` each at `clock_mhz` (end to end, CPU pre/post-processing included)."""

    engine: str
    device: str
    published_net: str  # the network as the source names it
    net: str  # the reference net of coexplore closest to it
    gops_per_frame: float
    fps: float
    cores: int
    ops_per_cycle: int
    clock_mhz: float
    source: str

    @property
    def peak_gops(self) -> float:
        return self.cores * self.ops_per_cycle * self.clock_mhz / 1e3

    @property
    def fraction_of_peak(self) -> float:
        return self.gops_per_frame * self.fps / self.peak_gops


# AMD UG1354 (Vitis AI Library), ZCU104 performance tables: two B4096 DPU cores at 300 MHz; the
# single-thread figure is read as one core busy (our reading: one runner at a time). hourglass-pe_mpii:
# v1.3; chen_color_resnet18_pt: v2.5. Their "GOPS" column is operations per frame.
_HOURGLASS, _RESNET18 = "hourglass-pe_mpii 256x256", "chen_color_resnet18_pt 224x224"
_UG1354_13, _UG1354_25 = "AMD UG1354 v1.3, ZCU104 performance table", "AMD UG1354 v2.5, ZCU104 performance table"
DPU_THROUGHPUT = (
    EngineThroughput("DPU B4096 ×1 (1 thread)", "zcu104", _HOURGLASS, "newell1", 10.2, 18.6, 1, 4096, 300, _UG1354_13),
    EngineThroughput("DPU B4096 ×2 (multi-thread)", "zcu104", _HOURGLASS, "newell1", 10.2, 76.0, 2, 4096, 300,
                     _UG1354_13),
    EngineThroughput("DPU B4096 ×1 (1 thread)", "zcu104", _RESNET18, "resnet18", 3.627, 217.7, 1, 4096, 300,
                     _UG1354_25),
    EngineThroughput("DPU B4096 ×2 (multi-thread)", "zcu104", _RESNET18, "resnet18", 3.627, 437.1, 2, 4096, 300,
                     _UG1354_25),
)
