"""The accelerator cost model, scalar reference path: one design, one workload, per-op rows.

Two schedules (pick with `Design.schedule`); `R, C` are the tiled rows/cols (`mapping.py`), `B` the
batch, `P` the per-tile pipeline overhead, and for a grouped conv everything runs once per group.

**overlap** — the per-tile double-buffered model of the Jiang et al. co-exploration papers (FNAS,
DAC'19; TCAD'20; hotNAS, CODES+ISSS'20). Ports in words per cycle (`Ip, Wp, Op`):

    tI = min(Tn,N)·min(Tr,R)·min(Tc,C) / Ip        tW = Tm·Tn·K² / Wp
    tO = min(Tm,M)·⌈min(Tr,R)/S⌉·⌈min(Tc,C)/S⌉ / Op
    tC = K²·⌈min(Tr,R+2·pad)/S⌉·⌈min(Tc,C+2·pad)/S⌉ + P
    Lat1 = max(tI, tW, tC)        Lat2 = max(⌈N/Tn⌉·Lat1, tO)
    cycles = B·⌈R/Tr⌉·⌈C/Tc⌉·⌈M/Tm⌉·Lat2

  Here R, C are the *input* rows/cols: the formula divides the tile by the stride to get output
  pixels, so it tiles the input map (with output rows, a stride-2 layer would be charged a quarter
  of its MACs). For stride 1 and "same" padding both readings agree.
  *compute* = tC × its trip count `B·⌈R/Tr⌉⌈C/Tc⌉⌈M/Tm⌉⌈N/Tn⌉`; *memory* = (tI + tW) × the same trip
  count + tO × `B·⌈R/Tr⌉⌈C/Tc⌉⌈M/Tm⌉`; *total* = the overlapped `cycles` above. Memory and compute
  overlap, so total ≤ compute + memory; the three are what "faster in computation / memory access /
  total" compares. With one shared port (`ports=None`) the loads of a step share the channel:
  `Lat1 = max(tI+tW, tC)` and `Lat2 = max(⌈N/Tn⌉·Lat1, ⌈N/Tn⌉·(tI+tW) + tO)`. Without double
  buffering nothing overlaps: `Lat1 = tI+tW+tC`, `Lat2 = ⌈N/Tn⌉·Lat1 + tO`. Refinements, off by
  default: `input_halo` loads the K−S halo with each input tile; `prologue_epilogue` adds the first
  load and last store of a layer, `+ Lat1 + tO` (TCAD'20).

**roofline** — Zhang et al., FPGA'15 (R, C = output rows/cols, Tr, Tc clamped to them):

    compute = B·⌈M/Tm⌉·⌈N/Tn⌉·⌈R/Tr⌉·⌈C/Tc⌉·(Tr·Tc·K² + P)
    traffic = αin·Bin + αw·Bw + αout·Bout words, Bin = Tn(S·Tr+K−S)(S·Tc+K−S), Bw = Tm·Tn·K²,
              Bout = Tm·Tr·Tc, αin = αw = B·⌈M/Tm⌉⌈N/Tn⌉⌈R/Tr⌉⌈C/Tc⌉, αout = B·⌈M/Tm⌉⌈R/Tr⌉⌈C/Tc⌉
    memory = traffic bytes / (DDR bandwidth × efficiency), in cycles
    total = max(compute, memory)   (attainable = min(roof, CTC × bandwidth)); compute + memory
            without double buffering.

  `Tn, Tm` in Bin/Bw/Bout are clamped to the layer's N, M (only real channels are loaded), which
  equals Zhang's figures whenever the layer is at least one tile deep. The roofline uses the board
  bandwidth; explicit ports are ignored.

**Non-conv ops** (pool, upsample, add, concat) stream their operands in and the result out:
`read/Ip` and `write/Op` overlapped (`max`) on separate ports, `(read+write)/bandwidth` on a shared
port or under the roofline. **Skip tensors** read back from DRAM are rows of their own (see
`mapping.py`), free when kept on chip. Their time is memory time; their compute time is zero.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from coexplore.fpga.design import Design
from coexplore.fpga.devices import Device, get_device
from coexplore.fpga.mapping import conv_geometry, plan_skips, streamed_words
from coexplore.fpga.precision import Precision, get_precision
from coexplore.fpga.resources import (
    buffer_blocks,
    ceil_div,
    ddr_words_per_cycle,
    effective_tile,
    fit_problems,
    gbps_from_words_per_cycle,
    shared_port_words,
    skip_storage,
)
from coexplore.workload import Op, Workload

BOTTLENECKS = ("compute", "input", "weight", "output", "memory")


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
            "device": self.device, "clock_mhz": self.clock_mhz, "schedule": self.design.schedule,
            "compute_cycles": self.compute_cycles, "memory_cycles": self.memory_cycles,
            "total_cycles": self.total_cycles, "compute_ms": self.compute_ms, "memory_ms": self.memory_ms,
            "total_ms": self.total_ms, "macs": self.macs, "gops": self.gops, "traffic_bytes": self.traffic_bytes,
            "dsp": self.dsp, "bram18": self.bram18, "uram": self.uram, "bram_breakdown": self.bram_breakdown,
            "bandwidth_gbps": self.bandwidth_gbps, "port_gbps": self.port_gbps, "fits": self.fits,
            "fit_problems": self.fit_problems, "skips_on_chip": self.skips_on_chip, "notes": self.notes,
            "ops": [row.to_dict() for row in self.ops],
        }


def cycles_to_ms(cycles: float, clock_mhz: float) -> float:
    return cycles / (clock_mhz * 1e3)


# --- how the engine reaches DRAM --------------------------------------------------------------------
@dataclass(frozen=True)
class Streams:
    """Words per cycle of the input / weight / output streams (equal and shared on one port)."""

    input_words: float
    weight_words: float
    output_words: float
    shared: bool
    roofline_bytes_per_cycle: float  # the board's DDR, for the roofline schedule

    @classmethod
    def of(cls, design: Design, device: Device, precision: Precision, clock_mhz: float) -> "Streams":
        ddr_bytes = ddr_words_per_cycle(device, precision, clock_mhz, design.ddr_efficiency) * precision.bytes_per_word
        if design.ports_words_per_cycle is None:
            words = shared_port_words(device, precision, clock_mhz, design.ddr_efficiency)
            return cls(words, words, words, True, ddr_bytes)
        ip, wp, op = design.ports_words_per_cycle
        return cls(ip, wp, op, False, ddr_bytes)

    def peak_words(self) -> float:
        return self.input_words if self.shared else self.input_words + self.weight_words + self.output_words


@dataclass(frozen=True)
class _Parts:
    compute: float
    input: float
    weight: float
    output: float
    total: float
    traffic_words: float


def overlap_conv(op: Op, design: Design, streams: Streams) -> _Parts:
    """The Jiang et al. overlap schedule for one conv op (see the module docstring)."""
    g = conv_geometry(op, "overlap")
    tr_design, tc_design = design.tile_for(op.name)
    tr, tc = effective_tile(design, op, g)
    k, s, up = g.kernel, g.stride, g.upscale
    halo = max(k - s, 0) if design.input_halo else 0
    in_words = min(design.tn, g.n) * (tr + halo) * (tc + halo)
    w_words = design.tm * design.tn * k * k
    out_words = min(design.tm, g.m) * ceil_div(tr, s) * ceil_div(tc, s) * up * up
    t_in = in_words / streams.input_words
    t_w = w_words / streams.weight_words
    t_out = out_words / streams.output_words
    if up == 1:
        t_c = k * k * ceil_div(min(tr_design, g.rows + 2 * g.padding), s) \
            * ceil_div(min(tc_design, g.cols + 2 * g.padding), s)
    else:  # transposed: every input pixel of the tile meets every tap
        t_c = k * k * tr * tc
    t_c += design.pipeline_overhead_cycles
    n_steps = ceil_div(g.n, design.tn)
    if not design.double_buffer:
        lat1 = t_in + t_w + t_c
        lat2 = n_steps * lat1 + t_out
    elif streams.shared:
        lat1 = max(t_in + t_w, t_c)
        lat2 = max(n_steps * lat1, n_steps * (t_in + t_w) + t_out)
    else:
        lat1 = max(t_in, t_w, t_c)
        lat2 = max(n_steps * lat1, t_out)
    tiles = g.batch * g.groups * ceil_div(g.rows, tr_design) * ceil_div(g.cols, tc_design) * ceil_div(g.m, design.tm)
    total = tiles * lat2
    if design.prologue_epilogue:  # the first load and the last store are not hidden (TCAD'20)
        total += lat1 + t_out
    return _Parts(
        compute=tiles * n_steps * t_c, input=tiles * n_steps * t_in, weight=tiles * n_steps * t_w,
        output=tiles * t_out, total=total,
        traffic_words=tiles * (n_steps * (in_words + w_words) + out_words),
    )


def roofline_conv(op: Op, design: Design, streams: Streams, precision: Precision) -> _Parts:
    """Zhang et al. FPGA'15 tiling and roofline for one conv op (see the module docstring)."""
    g = conv_geometry(op, "roofline")
    tr, tc = effective_tile(design, op, g)
    k, s, up = g.kernel, g.stride, g.upscale
    tm, tn = min(design.tm, g.m), min(design.tn, g.n)
    spatial = ceil_div(g.rows, tr) * ceil_div(g.cols, tc)
    outer = g.batch * g.groups * ceil_div(g.m, design.tm) * spatial  # αout
    trips = outer * ceil_div(g.n, design.tn)  # αin = αw
    compute = trips * (tr * tc * k * k + design.pipeline_overhead_cycles)
    b_in = tn * (s * tr + k - s) * (s * tc + k - s) if up == 1 else tn * tr * tc
    b_w = tm * tn * k * k
    b_out = tm * tr * tc * up * up
    per_word = precision.bytes_per_word / streams.roofline_bytes_per_cycle
    t_in, t_w, t_out = trips * b_in * per_word, trips * b_w * per_word, outer * b_out * per_word
    memory = t_in + t_w + t_out
    total = max(compute, memory) if design.double_buffer else compute + memory
    return _Parts(compute, t_in, t_w, t_out, total, trips * (b_in + b_w) + outer * b_out)


def streamed_op(read_words: float, write_words: float, design: Design, streams: Streams,
                precision: Precision) -> _Parts:
    """A data-movement op (or a skip read-back): read operands, write the result."""
    if design.schedule == "roofline":
        per_word = precision.bytes_per_word / streams.roofline_bytes_per_cycle
        t_read, t_write = read_words * per_word, write_words * per_word
        total = t_read + t_write
    else:
        t_read, t_write = read_words / streams.input_words, write_words / streams.output_words
        overlapped = design.double_buffer and not streams.shared
        total = max(t_read, t_write) if overlapped else t_read + t_write
    return _Parts(0.0, t_read, 0.0, t_write, total, read_words + write_words)


def _bottleneck(p: _Parts, kind: str) -> str:
    if kind in ("conv", "fc"):
        terms = {"compute": p.compute, "input": p.input, "weight": p.weight, "output": p.output}
        return max(terms, key=terms.__getitem__)
    return "memory"


# --- the whole workload ---------------------------------------------------------------------------
class PreparedWorkload:
    """What `evaluate` reads from a workload, computed once (the DSE costs many designs of one net)."""

    def __init__(self, workload: Workload):
        self.workload = workload
        self.plan = plan_skips(workload)
        reads: dict[int, list] = {}
        for r in self.plan.reads:
            reads.setdefault(r.consumer_index, []).append(r)
        # per op: (op, cost key, shape text, skip reads charged just before it)
        self.entries: list[tuple[Op, tuple, str, list]] = []
        for index, op in enumerate(workload.ops):
            key = op.shape_key() if op.is_conv_like else streamed_words(op, self.plan.skip_elems_by_op.get(index, 0))
            self.entries.append((op, key, op.shape_str(), reads.get(index, [])))
        unique = workload.unique()
        self.unique_convs = [u.op for u in unique if u.op.is_conv_like]
        self.conv_counts = [(u.op, u.count) for u in unique if u.op.is_conv_like]
        streamed: dict[tuple[int, int], int] = {}
        for op, key, _, _ in self.entries:
            if not op.is_conv_like:
                streamed[key] = streamed.get(key, 0) + 1
        self.streamed_counts = list(streamed.items())
        self.macs = workload.macs


def evaluate(workload: Workload, design: Design, device: Device | str, *,
             prepared: PreparedWorkload | None = None) -> WorkloadCost:
    """Per-op and total cycles, resources and fit of `design` running `workload` on `device`.

    `prepared` (from `PreparedWorkload(workload)`) saves re-reading the workload across many calls.
    """
    dev = get_device(device)
    prep = prepared if prepared is not None and prepared.workload is workload else PreparedWorkload(workload)
    precision = get_precision(design.precision)
    clock = design.clock_mhz or dev.clock_mhz
    streams = Streams.of(design, dev, precision, clock)
    plan = prep.plan

    conv_ops = workload.convs() if design.layer_tiles else prep.unique_convs  # depths depend on shape + tile
    blocks = buffer_blocks(design, dev, precision, conv_ops)
    dsp = precision.dsp_for(design.macs_per_cycle, dev.family)
    notes: list[str] = []
    skips_on_chip, uram, skip_bram = False, 0, 0
    if design.keep_skips_on_chip and plan.reads:
        storage = skip_storage(plan.peak_live_elems * precision.bytes_per_word, dev, blocks["total"])
        skips_on_chip, uram, skip_bram = storage.on_chip, storage.uram, storage.bram
        if not storage.on_chip:
            notes.append(f"skip tensors ({storage.bytes_needed / 2**20:.1f} MiB at peak) do not fit on chip "
                         f"beside the buffers; they go through DRAM")
    blocks["skips"] = skip_bram

    rows = _op_rows(prep, design, streams, precision, skips_on_chip, clock)
    compute = sum(r.compute_cycles for r in rows)
    memory = sum(r.memory_cycles for r in rows)
    total = sum(r.total_cycles for r in rows)
    traffic = sum(r.traffic_bytes for r in rows)
    bram = blocks["total"] + skip_bram
    problems = fit_problems(design=design, device=dev, precision=precision, clock_mhz=clock,
                            dsp=dsp, bram=bram, uram=uram)
    seconds = total / (clock * 1e6)
    return WorkloadCost(
        workload=workload.name, design=design, device=dev.name, clock_mhz=clock, ops=rows,
        compute_cycles=compute, memory_cycles=memory, total_cycles=total, macs=prep.macs,
        traffic_bytes=traffic, dsp=dsp, bram18=bram, uram=uram, bram_breakdown=blocks,
        bandwidth_gbps=traffic / seconds / 1e9 if seconds else 0.0,
        port_gbps=gbps_from_words_per_cycle(streams.peak_words(), precision, clock),
        fits=not problems, fit_problems=problems, skips_on_chip=skips_on_chip, notes=notes,
    )


def total_cycles(prepared: PreparedWorkload, design: Design, device: Device | str) -> float:
    """Total cycles only, one design at a time over the unique op shapes: the lean scalar path
    (the "plain loop" baseline of `bench/dse_speed.py`). No layer-tile overrides, no rows."""
    dev = get_device(device)
    precision = get_precision(design.precision)
    clock = design.clock_mhz or dev.clock_mhz
    streams = Streams.of(design, dev, precision, clock)
    skips_on_chip = False
    if design.keep_skips_on_chip and prepared.plan.reads:
        bram = buffer_blocks(design, dev, precision, prepared.unique_convs)["total"]
        skips_on_chip = skip_storage(prepared.plan.peak_live_elems * precision.bytes_per_word, dev, bram).on_chip
    total = 0.0
    for op, count in prepared.conv_counts:
        parts = (overlap_conv(op, design, streams) if design.schedule == "overlap"
                 else roofline_conv(op, design, streams, precision))
        total += count * parts.total
    for (read, write), count in prepared.streamed_counts:
        total += count * streamed_op(read, write, design, streams, precision).total
    if not skips_on_chip:
        total += sum(streamed_op(r.elems, 0, design, streams, precision).total for r in prepared.plan.reads)
    return total


def _op_rows(prep: PreparedWorkload, design: Design, streams: Streams, precision: Precision,
             skips_on_chip: bool, clock: float) -> list[OpCost]:
    cache: dict[tuple, tuple[_Parts, tuple[int, int]]] = {}
    rows: list[OpCost] = []
    where = "on chip" if skips_on_chip else "from DRAM"
    for op, key, shape, skip_reads in prep.entries:
        for r in skip_reads:
            parts = _Parts(0, 0, 0, 0, 0, 0) if skips_on_chip else streamed_op(r.elems, 0, design, streams, precision)
            rows.append(_row(r.row_name, "skip", f"skip {r.elems:,} words {where}", parts, "memory", 0,
                             precision, clock, None))
        if op.is_conv_like:
            tile_key = (key, design.tile_for(op.name) if design.layer_tiles else None)
            if tile_key not in cache:
                parts = (overlap_conv(op, design, streams) if design.schedule == "overlap"
                         else roofline_conv(op, design, streams, precision))
                cache[tile_key] = (parts, effective_tile(design, op, conv_geometry(op, design.schedule)))
            parts, tile = cache[tile_key]
            rows.append(_row(op.name, op.kind, shape, parts, _bottleneck(parts, op.kind), op.macs, precision,
                             clock, tile))
        else:
            parts = streamed_op(key[0], key[1], design, streams, precision)
            rows.append(_row(op.name, op.kind, shape, parts, "memory", 0, precision, clock, None))
    return rows


def _row(name, kind, shape, p: _Parts, bottleneck, macs, precision, clock, tile) -> OpCost:
    memory = p.input + p.weight + p.output
    to_ms = 1.0 / (clock * 1e3)
    return OpCost(name, kind, shape, p.compute, p.input, p.weight, p.output, memory, p.total, bottleneck,
                  p.compute * to_ms, memory * to_ms, p.total * to_ms, macs,
                  p.traffic_words * precision.bytes_per_word, tile)
