"""The per-op estimate: one design on one workload, as rows (the paper's compute / memory / total
split per op, its bottleneck) and totals with resources and the fit check.

`evaluate` calls the formulas of `kernel.py` once per design over per-op arrays (the distinct conv
shapes and tiles, the streamed ops, the skip read-backs) and turns them into `OpCost` rows; the
totals are the sums of the rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from coexplore.fpga.design import Design
from coexplore.fpga.devices import Device, get_device
from coexplore.fpga.fabric import fabric
from coexplore.fpga.kernel import (
    OpCycles,
    Ports,
    Target,
    bank_depths,
    buffer_placement,
    conv_cycles,
    dsp_count,
    skip_storage,
    stack,
    streamed_cycles,
)
from coexplore.fpga.mapping import PreparedWorkload
from coexplore.fpga.resources import fit_problems
from coexplore.workload import Workload

BOTTLENECKS = ("compute", "input", "weight", "output", "memory")
_CONV_CAUSES = BOTTLENECKS[:4]


@dataclass
class OpCost:
    """Cost of one op (or one skip read-back) on the design. Cycles at the design's clock."""

    name: str
    kind: str
    shape: str
    compute_cycles: float
    input_cycles: float
    weight_cycles: float
    output_cycles: float
    memory_cycles: float
    total_cycles: float
    bottleneck: str
    compute_ms: float
    memory_ms: float
    total_ms: float
    macs: int = 0
    traffic_bytes: float = 0.0
    tile: tuple[int, int] | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class WorkloadCost:
    """Totals (the paper's compute / memory / total split), resources and fit of one design.

    `bram18` counts the device's block RAMs (BRAM18; M20K on Intel parts). `bandwidth_gbps` is the
    average DRAM bandwidth the run needs (traffic / time, Zhang's "required bandwidth");
    `port_gbps` is the peak the ports can move.
    """

    workload: str
    design: Design
    device: str
    clock_mhz: float
    ops: list[OpCost]
    compute_cycles: float
    memory_cycles: float
    total_cycles: float
    macs: int
    traffic_bytes: float
    dsp: int
    bram18: int
    uram: int
    bram_breakdown: dict[str, int]
    bandwidth_gbps: float
    port_gbps: float
    fits: bool
    fit_problems: list[str]
    skips_on_chip: bool = False
    notes: list[str] = field(default_factory=list)
    uram_breakdown: dict[str, int] = field(default_factory=dict)  # URAM per buffer and for skips
    ddr_efficiency: float = 1.0  # fraction of the board's peak DDR bandwidth assumed (settings or board)
    lut: int = 0  # fabric estimate (`fabric.py`)
    ff: int = 0

    @property
    def compute_ms(self) -> float:
        """Time the MAC array computes: Σ tC × trips (overlap) or the tile cycles (roofline)."""
        return cycles_to_ms(self.compute_cycles, self.clock_mhz)

    @property
    def memory_ms(self) -> float:
        """Time spent moving data: Σ (tI + tW) × trips + tO × trips, plus non-conv ops and skip
        read-backs (overlap); traffic / bandwidth (roofline). Overlaps with compute."""
        return cycles_to_ms(self.memory_cycles, self.clock_mhz)

    @property
    def total_ms(self) -> float:
        """Latency of the run: the overlapped Lat2 sum (overlap) or Σ max(compute, memory) (roofline)."""
        return cycles_to_ms(self.total_cycles, self.clock_mhz)

    @property
    def gops(self) -> float:
        """Giga-operations per second (2 per MAC) over the whole run."""
        return 2 * self.macs / (self.total_ms * 1e-3) / 1e9 if self.total_cycles else 0.0

    def op(self, name: str) -> OpCost:
        for row in self.ops:
            if row.name == name:
                return row
        raise KeyError(name)

    def to_dict(self) -> dict:
        return {
            "workload": self.workload, "design": self.design.to_string(), "design_fields": self.design.model_dump(),
            "device": self.device, "clock_mhz": self.clock_mhz, "schedule": self.design.settings.schedule,
            "compute_cycles": self.compute_cycles, "memory_cycles": self.memory_cycles,
            "total_cycles": self.total_cycles, "compute_ms": self.compute_ms, "memory_ms": self.memory_ms,
            "total_ms": self.total_ms, "macs": self.macs, "gops": self.gops, "traffic_bytes": self.traffic_bytes,
            "dsp": self.dsp, "lut": self.lut, "ff": self.ff, "bram18": self.bram18, "uram": self.uram, "bram_breakdown": self.bram_breakdown,
            "uram_breakdown": self.uram_breakdown, "ddr_efficiency": self.ddr_efficiency,
            "bandwidth_gbps": self.bandwidth_gbps, "port_gbps": self.port_gbps, "fits": self.fits,
            "fit_problems": self.fit_problems, "skips_on_chip": self.skips_on_chip, "notes": self.notes,
            "ops": [row.to_dict() for row in self.ops],
        }


def cycles_to_ms(cycles: float, clock_mhz: float) -> float:
    return cycles / (clock_mhz * 1e3)



def evaluate(workload: Workload, design: Design, device: Device | str, *,
             prepared: PreparedWorkload | None = None) -> WorkloadCost:
    """Per-op and total cycles, resources and fit of `design` running `workload` on `device`.

    `prepared` (from `PreparedWorkload(workload)`) saves re-reading the workload across many calls.
    """
    dev = get_device(device)
    prep = prepared if prepared is not None and prepared.workload is workload else PreparedWorkload(workload)
    s = design.settings
    target = Target.of(dev, s)
    ports = target.ports(design.ports_words_per_cycle)
    convs = _ConvTable(prep, design, target, ports)

    placed = buffer_placement(design.tm, design.tn, convs.depths, target)
    blocks = {k: int(v) for k, v in placed.bram.items()}
    blocks["total"] = sum(blocks.values())
    uram_blocks = {k: int(v) for k, v in placed.uram.items()}
    dsp = int(dsp_count(design.tm, design.tn, target))
    storage = skip_storage(prep, target, blocks["total"], sum(uram_blocks.values()))
    skips_on_chip, skip_uram, skip_bram = bool(storage.on_chip), int(storage.uram), int(storage.bram)
    uram_blocks["skips"] = skip_uram
    uram = sum(uram_blocks.values())
    notes: list[str] = []
    if storage.bytes_needed and not skips_on_chip:
        notes.append(f"skip tensors ({storage.bytes_needed / 2**20:.1f} MiB at peak) do not fit on chip "
                     f"beside the buffers; they go through DRAM")
    blocks["skips"] = skip_bram

    rows = _op_rows(prep, convs, target, ports, skips_on_chip)
    compute = sum(r.compute_cycles for r in rows)
    memory = sum(r.memory_cycles for r in rows)
    total = sum(r.total_cycles for r in rows)
    traffic = sum(r.traffic_bytes for r in rows)
    bram = blocks["total"] + skip_bram
    logic = fabric(design.tm, design.tn, ports, target)
    lut, ff = int(logic.lut), int(logic.ff)
    problems = fit_problems(design, target, dsp=dsp, bram=bram, uram=uram, lut=lut, ff=ff)
    seconds = total / (target.clock_mhz * 1e6)
    return WorkloadCost(
        workload=workload.name, design=design, device=dev.name, clock_mhz=target.clock_mhz, ops=rows,
        compute_cycles=compute, memory_cycles=memory, total_cycles=total, macs=prep.macs,
        traffic_bytes=traffic, dsp=dsp, bram18=bram, uram=uram, bram_breakdown=blocks, uram_breakdown=uram_blocks,
        ddr_efficiency=target.ddr_efficiency, lut=lut, ff=ff,
        bandwidth_gbps=traffic / seconds / 1e9 if seconds else 0.0,
        port_gbps=float(target.gbps(ports.peak_words)),
        fits=not problems, fit_problems=problems, skips_on_chip=skips_on_chip, notes=notes,
    )


class _ConvTable:
    """The design's convs as per-op arrays: one entry per distinct (geometry, tile), costed at once."""

    def __init__(self, prep: PreparedWorkload, design: Design, target: Target, ports: Ports):
        unique: dict[tuple, int] = {}
        self.index = [unique.setdefault((g, design.tile_for(op.name)), len(unique))
                      for g, op in zip(prep.geometries(target.settings.schedule), prep.conv_ops)]
        geometry = stack([g for g, _ in unique])
        tr = np.array([t[0] for _, t in unique], dtype=np.int64)
        tc = np.array([t[1] for _, t in unique], dtype=np.int64)
        self.cycles = conv_cycles(geometry, target, design.tm, design.tn, tr, tc, ports)
        self.depths = bank_depths(geometry, tr, tc, target.settings)
        c = self.cycles
        self.causes = np.argmax(np.stack([c.compute, c.input, c.weight, c.output]), axis=0) if unique else []
        self.tiles = list(zip(np.minimum(tr, geometry.rows).tolist(), np.minimum(tc, geometry.cols).tolist()))


def _op_rows(prep: PreparedWorkload, convs: _ConvTable, target: Target, ports: Ports,
             skips_on_chip: bool) -> list[OpCost]:
    streamed = [e.streamed for e in prep.entries if e.streamed is not None]
    words = np.array(streamed, dtype=np.int64).reshape(-1, 2)
    moved = streamed_cycles(words[:, 0], words[:, 1], target, ports)
    reads = streamed_cycles(np.array(prep.skip_read_elems, dtype=np.int64) * (not skips_on_chip), 0, target, ports)
    where = "on chip" if skips_on_chip else "from DRAM"
    bpw, to_ms = target.precision.bytes_per_word, 1.0 / (target.clock_mhz * 1e3)

    def columns(c: OpCycles) -> list[list[float]]:  # per field, one Python float per op
        shape = np.shape(c.total)
        return [np.broadcast_to(x, shape).astype(np.float64).tolist()
                for x in (c.compute, c.input, c.weight, c.output, c.total, c.traffic_words)]

    conv_cols, moved_cols, read_cols = columns(convs.cycles), columns(moved), columns(reads)

    def row(name, kind, shape, cols, i: int, bottleneck: str, macs: int = 0, tile=None) -> OpCost:
        compute, t_in, t_w, t_out, total, traffic = (col[i] for col in cols)
        memory = t_in + t_w + t_out
        return OpCost(name, kind, shape, compute, t_in, t_w, t_out, memory, total, bottleneck, compute * to_ms,
                      memory * to_ms, total * to_ms, macs, traffic * bpw, tile)

    rows: list[OpCost] = []
    conv_i = stream_i = skip_i = 0
    for entry in prep.entries:
        for r in entry.skip_reads:
            rows.append(row(r.row_name, "skip", f"skip {r.elems:,} words {where}", read_cols, skip_i, "memory"))
            skip_i += 1
        op = entry.op
        if entry.streamed is None:
            u = convs.index[conv_i]
            rows.append(row(op.name, op.kind, op.shape_str(), conv_cols, u, _CONV_CAUSES[convs.causes[u]],
                            op.macs, convs.tiles[u]))
            conv_i += 1
        else:
            rows.append(row(op.name, op.kind, op.shape_str(), moved_cols, stream_i, "memory"))
            stream_i += 1
    return rows
