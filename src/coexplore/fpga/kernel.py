"""The cost formulas of the accelerator, written once over numpy arrays that broadcast.

Design parameters (`tm, tn, tr, tc`, port widths) are ints or arrays that broadcast together; a
conv geometry (`mapping.ConvGeometry`) has int fields (one op shape) or array fields (`stack`: many
shapes). `evaluate` (`cost.py`) calls the formulas once per design with per-op arrays; the DSE
(`dse.py`) once per op shape with grids of designs; `workload_cycles` sums a workload for either.
It is a little over 400 lines on purpose: "one place per formula" outweighs the line count, and the
formulas (latency, traffic, buffers, resources) share their tile arithmetic.

Two schedules (`DesignSettings.schedule`); `R, C` are the tiled rows/cols (`mapping.py`), `B` the
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
  total" compares. With one shared port the loads of a step share the channel:
  `Lat1 = max(tI+tW, tC)` and `Lat2 = max(⌈N/Tn⌉·Lat1, ⌈N/Tn⌉·(tI+tW) + tO)`. Without double
  buffering nothing overlaps: `Lat1 = tI+tW+tC`, `Lat2 = ⌈N/Tn⌉·Lat1 + tO`. Refinements, off by
  default: `input_halo` loads the K−S halo with each input tile; `prologue_epilogue` adds the first
  load and last store of a layer, `+ Lat1 + tO` (TCAD'20).

**roofline** — Zhang et al., FPGA'15 (R, C = output rows/cols, Tr, Tc clamped to them):

    compute = B·⌈M/Tm⌉·⌈N/Tn⌉·⌈R/Tr⌉·⌈C/Tc⌉·(Tr·Tc·K² + P)
    traffic = αin·Bin + αw·Bw + αout·Bout words, Bin = Tn(S·Tr+K−S)(S·Tc+K−S), Bw = Tm·Tn·K²,
              Bout = Tm·Tr·Tc, αin = αw = B·⌈M/Tm⌉⌈N/Tn⌉⌈R/Tr⌉⌈C/Tc⌉, αout = B·⌈M/Tm⌉⌈R/Tr⌉⌈C/Tc⌉
    memory = traffic bytes / (DDR bandwidth × efficiency), in cycles
    total = max(compute, memory); compute + memory without double buffering.

  `Tn, Tm` in Bin/Bw/Bout are clamped to the layer's N, M (only real channels are loaded), which
  equals Zhang's figures whenever the layer is at least one tile deep. The roofline uses the board
  bandwidth; explicit ports are ignored.

**Non-conv ops** (pool, upsample, add, concat) stream their operands in and the result out:
`read/Ip` and `write/Op` overlapped (`max`) on separate ports, `(read+write)/bandwidth` on a shared
port or under the roofline. **Skip tensors** read back from DRAM are streamed reads of their own,
free when kept on chip. Their time is memory time; their compute time is zero.

**Resources.** DSP `⌈tm·tn × DSP per MAC⌉` (`precision.py`). Buffers (Zhang FPGA'15, banked so the
array reads every operand in one cycle): the input buffer is `tn` words wide, the weight buffer
`tm·tn` words wide (depth K²), the output buffer `tm` partial sums wide; each depth is the largest
tile any conv needs — the tile words above, per map. **Staged weights** (`weight_stage_cycles` = q
> 1): the weights of one kernel position (i, j) stay fixed over the Tr·Tc pixel loop (Zhang's loop
order: i, j outside trr, tcc), so the array needs a new tm·tn set only once per pixel loop; the set
is read over q cycles from banks ⌈tm·tn/q⌉ words wide and q·K² deep into a shadow register and
swapped in, and the pixel loop lasts max(pixels, q) cycles (`staged`), so the array never reads a
stale set — tC = K²·max(pixels, q) + P. The registers (2·tm·tn words) are fabric (`fabric.py`).
A memory of width W bits and depth D costs `min over block shapes (w × d) of ⌈W/w⌉·⌈D/d⌉` blocks,
×2 when double-buffered. Skip tensors kept on chip go to the URAM the buffers leave (where the
part has it), then to the block RAM left over. `buffer_memory` places each buffer whole in block
RAM or URAM (`buffer_placement`); `auto` picks, per design, the cheapest placement that fits, so
`evaluate` and the DSE agree by construction. Bandwidth: the board's DDR in words per cycle at the
clock and precision, × the DDR efficiency and the bandwidth utilisation limit; one port is capped
by `device.max_port_bits`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from coexplore.fpga.devices import BLOCK_SHAPES, Device
from coexplore.fpga.mapping import ConvGeometry, PreparedWorkload
from coexplore.fpga.precision import Precision, get_precision
from coexplore.fpga.settings import DesignSettings, PortWords

DOUBLE_BUFFER_COPIES = 2  # ping-pong: one buffer loads while the other computes
Array = Any  # an int / float or a numpy array that broadcasts with the other arguments


def ceil_div(a, b):
    """Ceiling division for ints and numpy integer arrays alike."""
    return -(-a // b)


def ddr_efficiency(device: Device, settings: DesignSettings) -> float:
    """The fraction of peak DDR bandwidth the model assumes: the settings' when given, else the
    board's published figure (`Device.ddr_efficiency`, sourced in `devices.py`)."""
    return settings.ddr_efficiency if settings.ddr_efficiency is not None else device.ddr_efficiency


# --- the device under the settings, and its ports ---------------------------------------------------
@dataclass(frozen=True)
class Ports:
    """Words per cycle of the input / weight / output streams (all equal on one shared port)."""

    input: Array
    weight: Array
    output: Array
    shared: bool

    @property
    def peak_words(self) -> Array:
        return self.input if self.shared else self.input + self.weight + self.output


@dataclass(frozen=True)
class Target:
    """A device under design settings: the constants every formula reads."""

    device: Device
    settings: DesignSettings
    precision: Precision
    clock_mhz: float
    ddr_words: float  # words per cycle the board's DRAM delivers (× DDR efficiency, × the limit)
    widest_port_words: float  # words per cycle through the widest single port

    @classmethod
    def of(cls, device: Device, settings: DesignSettings) -> "Target":
        precision = get_precision(settings.precision)
        clock = device.check_clock(settings.clock_mhz or device.clock_mhz, "clock_mhz")
        bytes_per_cycle = device.bandwidth_budget_gbps() * 1e3 * ddr_efficiency(device, settings) / clock  # GB/s → B/cycle
        return cls(device, settings, precision, clock, bytes_per_cycle / precision.bytes_per_word,
                   device.max_port_bits / precision.bits)

    @property
    def ddr_efficiency(self) -> float:
        return ddr_efficiency(self.device, self.settings)

    @property
    def shared_words(self) -> float:
        return min(self.ddr_words, self.widest_port_words)

    @property
    def roofline_bytes_per_cycle(self) -> float:
        return self.ddr_words * self.precision.bytes_per_word

    def ports(self, words: PortWords | None) -> Ports:
        """Separate ports of the given widths, or (None) the one shared port."""
        if words is None:
            w = self.shared_words
            return Ports(w, w, w, True)
        return Ports(*words, False)

    def gbps(self, words_per_cycle: Array) -> Array:
        return words_per_cycle * self.precision.bytes_per_word * self.clock_mhz / 1e3


# --- latency --------------------------------------------------------------------------------------
@dataclass
class OpCycles:
    """Cycles of one op shape (or of stacked shapes, or of a grid of designs). Without the
    breakdown only `total` is set."""

    total: Array
    compute: Array = None
    input: Array = None
    weight: Array = None
    output: Array = None
    traffic_words: Array = None


def stack(geometries: list[ConvGeometry], extra_dims: int = 0) -> ConvGeometry:
    """One geometry whose fields are arrays over `geometries` (shape (n,) + (1,)·extra_dims)."""
    shape = (len(geometries),) + (1,) * extra_dims
    return ConvGeometry(**{f.name: np.array([getattr(g, f.name) for g in geometries], dtype=np.int64).reshape(shape)
                           for f in fields(ConvGeometry)})


def tile_words(g: ConvGeometry, tr, tc, settings: DesignSettings):
    """Words per input map and per output map of one tile: what a port moves per channel, and the
    depth of an input / output bank."""
    r, c = np.minimum(tr, g.rows), np.minimum(tc, g.cols)
    if settings.schedule == "roofline":
        return (g.stride * r + g.halo) * (g.stride * c + g.halo), r * c * (g.upscale * g.upscale)
    halo = g.halo if settings.input_halo else 0
    return (r + halo) * (c + halo), ceil_div(r, g.stride) * ceil_div(c, g.stride) * (g.upscale * g.upscale)


def staged(pixels, settings: DesignSettings):
    """Cycles one weight set is held: the tile's output pixels, at least the q cycles it takes to
    stage the next set (`weight_stage_cycles`; 1 = Zhang's banks read every cycle)."""
    q = settings.weight_stage_cycles
    return pixels if q == 1 else np.maximum(pixels, q)


def conv_cycles(g: ConvGeometry, target: Target, tm, tn, tr, tc, ports: Ports, *,
                count=1, breakdown: bool = True) -> OpCycles:
    """`count` identical conv layers of geometry `g` under the target's schedule."""
    if target.settings.schedule == "overlap":
        return _overlap(g, target.settings, tm, tn, tr, tc, ports, count, breakdown)
    return _roofline(g, target, tm, tn, tr, tc, count)


def _overlap(g: ConvGeometry, s: DesignSettings, tm, tn, tr, tc, p: Ports, count, breakdown) -> OpCycles:
    """The Jiang et al. overlap schedule. Factors that depend on the MAC array alone (tm, tn, ports)
    and on the tile alone (tr, tc) are formed separately, so each outer product over a grid of
    (array × tile) is built once."""
    k2 = g.kernel * g.kernel
    in_tile, out_tile = tile_words(g, tr, tc, s)
    pixels = ceil_div(np.minimum(tr, g.swept_rows), g.stride) * ceil_div(np.minimum(tc, g.swept_cols), g.stride)
    t_c = k2 * staged(pixels, s) + s.pipeline_overhead_cycles
    tn_e, tm_e = np.minimum(tn, g.n), np.minimum(tm, g.m)
    w_words = tm * tn * k2
    n_steps = ceil_div(g.n, tn)
    array_trips = (count * g.batch * g.groups) * ceil_div(g.m, tm)
    tile_trips = ceil_div(g.rows, tr) * ceil_div(g.cols, tc)
    t_w, t_out = w_words / p.weight, (tm_e / p.output) * out_tile

    def t_in():  # a full grid in the DSE: formed only where it is needed
        return (tn_e / p.input) * in_tile

    if s.double_buffer and not p.shared:  # separate ports, the published formula: the DSE's hot path
        lat = (n_steps * tn_e / p.input) * in_tile  # ⌈N/Tn⌉·tI
        lat = _max_into(lat, n_steps * w_words / p.weight)  # ⌈N/Tn⌉·tW
        lat = _max_into(lat, n_steps * t_c)  # ⌈N/Tn⌉·tC
        lat = _max_into(lat, t_out)
        lat1 = np.maximum(np.maximum(t_in(), t_w), t_c) if s.prologue_epilogue else None
    elif s.double_buffer:  # one shared port: a step's loads share it and the store follows them
        load = t_in() + t_w
        lat1 = np.maximum(load, t_c)
        lat = _max_into(lat1 * n_steps, load * n_steps + t_out)
    else:
        lat1 = t_in() + t_w + t_c
        lat = n_steps * lat1 + t_out
    lat = _scaled(lat, array_trips, tile_trips)
    if s.prologue_epilogue:  # the first load and the last store of each layer (TCAD'20)
        lat += count * (lat1 + t_out)
    if not breakdown:
        return OpCycles(lat)
    trips = array_trips * tile_trips
    return OpCycles(lat, trips * n_steps * t_c, trips * n_steps * t_in(), trips * n_steps * t_w, trips * t_out,
                    trips * (n_steps * (tn_e * in_tile + w_words) + tm_e * out_tile))


def _roofline(g: ConvGeometry, target: Target, tm, tn, tr, tc, count) -> OpCycles:
    """Zhang et al. FPGA'15 tiling and roofline."""
    s = target.settings
    k2 = g.kernel * g.kernel
    r, c = np.minimum(tr, g.rows), np.minimum(tc, g.cols)
    outer = (count * g.batch * g.groups) * ceil_div(g.m, tm) * (ceil_div(g.rows, r) * ceil_div(g.cols, c))  # αout
    trips = outer * ceil_div(g.n, tn)  # αin = αw
    compute = trips * (staged(r * c, s) * k2 + s.pipeline_overhead_cycles)
    tm_e, tn_e = np.minimum(tm, g.m), np.minimum(tn, g.n)
    in_words, out_words = tile_words(g, tr, tc, s)
    b_in, b_w, b_out = tn_e * in_words, tm_e * tn_e * k2, tm_e * out_words
    per_word = target.precision.bytes_per_word / target.roofline_bytes_per_cycle
    t_in, t_w, t_out = trips * b_in * per_word, trips * b_w * per_word, outer * b_out * per_word
    memory = t_in + t_w + t_out
    total = np.maximum(compute, memory) if s.double_buffer else compute + memory
    return OpCycles(total, compute, t_in, t_w, t_out, trips * (b_in + b_w) + outer * b_out)


def streamed_cycles(read_words, write_words, target: Target, ports: Ports) -> OpCycles:
    """A data-movement op (or a skip read-back, `write_words` = 0): read operands, write the result."""
    s = target.settings
    if s.schedule == "roofline":
        per_word = target.precision.bytes_per_word / target.roofline_bytes_per_cycle
        t_read, t_write = read_words * per_word, write_words * per_word
        total = t_read + t_write
    else:
        t_read, t_write = read_words / ports.input, write_words / ports.output
        total = np.maximum(t_read, t_write) if s.double_buffer and not ports.shared else t_read + t_write
    return OpCycles(total, 0.0, t_read, 0.0, t_write, read_words + write_words)


def workload_cycles(prep: PreparedWorkload, target: Target, tm, tn, tr, tc, ports: Ports, skips_on_chip=False,
                    per_shape=None):
    """Total cycles of the whole workload (no per-op rows): each distinct conv shape × how many ops
    share it, the streamed ops, and the skip read-backs where `skips_on_chip` is false. `per_shape`
    (the DSE's per-layer tiles) maps each conv shape's cycle grid before it is summed."""
    shape = np.broadcast_shapes(*(np.shape(x) for x in (tm, tn, tr, tc, ports.input, ports.weight,
                                                       ports.output, skips_on_chip)))
    total = np.zeros(shape)
    for g, count in prep.conv_counts(target.settings.schedule):
        cycles = conv_cycles(g, target, tm, tn, tr, tc, ports, count=count, breakdown=False).total
        total += cycles if per_shape is None else per_shape(cycles)
    port_dims = (1,) * max(np.ndim(ports.input), np.ndim(ports.output))  # ops on a new leading axis
    if prep.streamed_counts:
        words = np.array([w for w, _ in prep.streamed_counts]).reshape((-1, 2) + port_dims)
        counts = np.array([n for _, n in prep.streamed_counts]).reshape((-1,) + port_dims)
        total += (counts * streamed_cycles(words[:, 0], words[:, 1], target, ports).total).sum(axis=0)
    if prep.skip_read_elems:
        elems = np.array(prep.skip_read_elems).reshape((-1,) + port_dims)
        total += np.where(skips_on_chip, 0.0, streamed_cycles(elems, 0, target, ports).total.sum(axis=0))
    return total


def _max_into(acc, x):
    """max(acc, x), in place when `acc` is a float array of the full shape (the DSE's grids)."""
    if isinstance(acc, np.ndarray) and acc.dtype.kind == "f" and acc.shape == np.broadcast_shapes(acc.shape,
                                                                                                   np.shape(x)):
        return np.maximum(acc, x, out=acc)
    return np.maximum(acc, x)


def _scaled(lat, *factors):
    """lat × factors, in place when `lat` already has the full shape (the DSE's grids)."""
    shape = np.broadcast_shapes(np.shape(lat), *(np.shape(f) for f in factors))
    if not (isinstance(lat, np.ndarray) and lat.dtype.kind == "f" and lat.shape == shape):
        lat = np.array(np.broadcast_to(lat, shape), dtype=np.float64)
    for f in factors:
        lat *= f
    return lat


# --- resources ------------------------------------------------------------------------------------
def dsp_count(tm, tn, target: Target):
    """DSP blocks of a tm × tn MAC array at the target's precision and FPGA family."""
    return np.ceil(tm * tn * target.precision.dsp_per_mac[target.device.family])


def bank_depths(g: ConvGeometry, tr, tc, settings: DesignSettings):
    """Largest bank depths (input, weight, output) over stacked geometries `g` (axis 0) for tiles
    tr × tc; zeros when there is no conv."""
    if np.size(g.kernel) == 0:
        return 0, 0, 0
    in_depth, out_depth = tile_words(g, tr, tc, settings)
    return in_depth.max(axis=0), int(np.max(g.kernel * g.kernel)), out_depth.max(axis=0)


def memory_blocks(width_bits, depth_words, kind: str):
    """Blocks of `kind` for width × depth memories, at the cheapest aspect ratio."""
    best = None
    for w, d in BLOCK_SHAPES[kind]:
        n = ceil_div(width_bits, w) * ceil_div(depth_words, d)
        best = n if best is None else np.minimum(best, n)
    return np.where((np.asarray(width_bits) > 0) & (np.asarray(depth_words) > 0), best, 0)


BUFFERS = ("input", "weight", "output")


def _buffer_shapes(tm, tn, depths, target: Target):
    """(width bits, depth words) of the input, weight and output buffers."""
    in_depth, w_depth, out_depth = depths
    bits, q = target.precision.bits, target.settings.weight_stage_cycles
    return ((tn * bits, in_depth), (ceil_div(tm * tn, q) * bits, w_depth * q),
            (tm * target.precision.accumulator_bits, out_depth))


def buffer_read_bits(tm, tn, target: Target):
    """Bits the array reads from its input, weight and output banks per cycle (the widths above)."""
    return sum(w for w, _ in _buffer_shapes(tm, tn, (1, 1, 1), target))


def buffer_blocks(tm, tn, depths, target: Target) -> dict[str, Array]:
    """Block RAMs of the input, weight and output buffers (×2 when double-buffered), all in block RAM."""
    copies = DOUBLE_BUFFER_COPIES if target.settings.double_buffer else 1
    kind = target.device.block_ram_kind
    return {name: copies * memory_blocks(w, d, kind)
            for name, (w, d) in zip(BUFFERS, _buffer_shapes(tm, tn, depths, target))}


@dataclass(frozen=True)
class BufferPlacement:
    """Blocks of each buffer in block RAM and in URAM (one of the two is 0 per buffer)."""

    bram: dict[str, Array]
    uram: dict[str, Array]

    @property
    def bram_total(self) -> Array:
        return sum(self.bram.values())

    @property
    def uram_total(self) -> Array:
        return sum(self.uram.values())


def buffer_placement(tm, tn, depths, target: Target) -> BufferPlacement:
    """Where the input, weight and output buffers live, by `settings.buffer_memory`.

    Each buffer is one memory of width × depth, placed whole in block RAM or in URAM (72 × 4,096,
    UG573; no initialisation is needed: every buffer is written by a load before it is read).
    `bram` puts all in block RAM (the published Zhang model); `uram` all in URAM where the part has
    it; `auto` tries the 2³ placements and keeps, per design, the cheapest that fits both budgets —
    cheapest = smallest sum of the fractions of usable block RAM and URAM it takes — or, when none
    fits, the all-block-RAM one (so the fit check reports the published overrun). Vectorised: every
    argument may be a grid of designs.
    """
    copies = DOUBLE_BUFFER_COPIES if target.settings.double_buffer else 1
    device, mode = target.device, target.settings.buffer_memory
    shapes = _buffer_shapes(tm, tn, depths, target)
    in_bram = [copies * memory_blocks(w, d, device.block_ram_kind) for w, d in shapes]
    in_uram = [copies * memory_blocks(w, d, "URAM") for w, d in shapes]
    zero = [0 * b for b in in_bram]
    if mode == "bram" or device.uram == 0:
        return BufferPlacement(dict(zip(BUFFERS, in_bram)), dict(zip(BUFFERS, zero)))
    if mode == "uram":
        return BufferPlacement(dict(zip(BUFFERS, zero)), dict(zip(BUFFERS, in_uram)))
    bram_budget, uram_budget = max(device.budget("bram"), 1), max(device.budget("uram"), 1)
    best_cost, chosen = None, None  # chosen: per buffer, a bool (array) "in URAM"
    for combo in range(2 ** len(BUFFERS)):
        flags = [bool(combo >> i & 1) for i in range(len(BUFFERS))]
        bram = sum(0 if f else b for f, b in zip(flags, in_bram))
        uram = sum(u if f else 0 for f, u in zip(flags, in_uram))
        fits = (bram <= device.budget("bram")) & (uram <= device.budget("uram"))
        # a placement that fits costs at most 2; one that does not costs more, all-block-RAM least
        cost = np.where(fits, bram / bram_budget + uram / uram_budget, 1e9 + combo)
        if best_cost is None:
            best_cost, chosen = cost, [np.zeros(np.shape(cost), dtype=bool) for _ in flags]
            continue
        better = cost < best_cost
        best_cost = np.where(better, cost, best_cost)
        chosen = [np.where(better, f, c) for f, c in zip(flags, chosen)]
    return BufferPlacement({n: np.where(c, 0, b) for n, c, b in zip(BUFFERS, chosen, in_bram)},
                           {n: np.where(c, u, 0) for n, c, u in zip(BUFFERS, chosen, in_uram)})


def block_bits(kind: str) -> int:
    """Capacity of one block (its widest shape), for bulk storage."""
    w, d = BLOCK_SHAPES[kind][0]
    return w * d


@dataclass(frozen=True)
class SkipStorage:
    on_chip: Array  # bool, or bools over the designs
    bram: Array  # blocks of the device's block-RAM kind (0 where not on chip)
    uram: Array
    bytes_needed: int


def skip_storage(prep: PreparedWorkload, target: Target, buffer_bram, buffer_uram=0) -> SkipStorage:
    """Where the skip tensors live: on chip (the URAM the buffers leave first, then the block RAM
    they leave) when the settings ask for it and they fit; else in DRAM (`on_chip` false)."""
    if not (target.settings.keep_skips_on_chip and prep.skips.reads):
        return SkipStorage(False, 0, 0, 0)
    bytes_needed = prep.skips.peak_live_elems * target.precision.bytes_per_word
    device = target.device
    bits = bytes_needed * 8
    uram = np.minimum(ceil_div(bits, block_bits("URAM")), np.maximum(device.budget("uram") - buffer_uram, 0))
    bram = ceil_div(np.maximum(bits - uram * block_bits("URAM"), 0), block_bits(device.block_ram_kind))
    fits = buffer_bram + bram <= device.budget("bram")
    return SkipStorage(fits, np.where(fits, bram, 0), np.where(fits, uram, 0), bytes_needed)
