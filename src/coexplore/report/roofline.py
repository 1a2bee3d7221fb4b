"""The roofline of the chosen design: each layer's attainable performance against its operational
intensity, under the board's compute roof, the design's MAC-array roof and the DRAM bandwidth slope
(Williams et al., CACM 2009; Zhang et al. FPGA'15 Fig. 3 for accelerators).

A layer at intensity I (operations per DRAM byte) cannot exceed min(roof, bandwidth × I); how far
below the roof it sits is the time lost to tiling, ragged edges and stalls. One MAC is two
operations. Ops without MACs (pool, upsample, add, skip read-backs) have no point: their time is
reported beside the plot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from coexplore.fpga.precision import get_precision
from coexplore.report.tables import is_memory_bound
from coexplore.results import TrialRecord

OPS_PER_MAC = 2
_GIGA = 1e9


@dataclass
class RooflinePoint:
    name: str
    kind: str
    shape: str
    intensity: float  # operations per DRAM byte
    gops: float  # attained: operations / the layer's total time
    total_ms: float
    memory_bound: bool


@dataclass
class Roofline:
    """Points of one design's layers and the roofs they live under (GOP/s, GB/s)."""

    label: str
    board_peak_gops: float  # every DSP of the board doing MACs at the design's clock
    design_peak_gops: float  # the Tm × Tn array at the design's clock
    bandwidth_gbps: float  # the board's DDR bandwidth times the design's DDR efficiency
    points: list[RooflinePoint] = field(default_factory=list)
    unplotted_ms: float = 0.0  # time of the ops without MACs
    unplotted_ops: int = 0

    @property
    def ridge_intensity(self) -> float:
        """Where the bandwidth slope meets the design's roof: below it a layer is memory-bound."""
        return self.design_peak_gops / self.bandwidth_gbps if self.bandwidth_gbps else 0.0


def roofline(record: TrialRecord | None, device: dict[str, Any], precision: str) -> Roofline | None:
    """The roofline of `record`'s design on `device` (the results' device dict); None when the record
    has no design or its per-op rows predate MACs and DRAM bytes."""
    if record is None or not record.design or not record.per_op:
        return None
    if not any(op.macs and op.traffic_bytes for op in record.per_op):
        return None
    design = record.design
    settings = design.get("settings") or {}
    clock_mhz = float(settings.get("clock_mhz") or device.get("clock_mhz") or 0.0)
    family = device.get("family", "ultrascale+")
    dsp_per_mac = get_precision(settings.get("precision") or precision).dsp_per_mac.get(family, 1.0)
    ops_per_s = OPS_PER_MAC * clock_mhz * 1e6
    result = Roofline(
        label=f"{record.spec} #{record.number}",
        board_peak_gops=float(device.get("dsp", 0)) / dsp_per_mac * ops_per_s / _GIGA,
        design_peak_gops=int(design.get("tm", 0)) * int(design.get("tn", 0)) * ops_per_s / _GIGA,
        bandwidth_gbps=float(device.get("bandwidth_gbps") or device.get("ddr_gbps") or 0.0)
        * float(settings.get("ddr_efficiency") or device.get("ddr_efficiency") or 1.0),
    )
    for op in record.per_op:
        if not op.macs or not op.traffic_bytes or op.total_ms <= 0:
            result.unplotted_ms += op.total_ms
            result.unplotted_ops += 1
            continue
        operations = OPS_PER_MAC * op.macs
        result.points.append(RooflinePoint(
            name=op.name, kind=op.kind, shape=op.shape, intensity=operations / op.traffic_bytes,
            gops=operations / (op.total_ms / 1e3) / _GIGA, total_ms=op.total_ms,
            memory_bound=is_memory_bound(op.bottleneck, op.compute_ms, op.memory_ms),
        ))  # fmt: skip
    return result
