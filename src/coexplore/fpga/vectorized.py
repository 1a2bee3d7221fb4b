"""The cost model over arrays of design points: the same formulas as `cost.py`, no loop over designs.

`BatchModel(workload, device, settings)` reads the workload once (unique conv shapes with their
multiplicity, the streamed ops, the skip read-backs); its methods take numpy arrays of design
parameters that broadcast together (`tm`, `tn`, `tr`, `tc`, port widths) and return arrays. The DSE
calls it on a grid (`(pairs, 1)` × `(1, ports)` shapes); `evaluate_many` on a flat list of designs.
The Python loop runs over the few unique op shapes, never over designs. `cost.py` is the scalar
reference; the property tests check that both agree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from coexplore.fpga.design import Design
from coexplore.fpga.devices import BLOCK_SHAPES, Device, get_device
from coexplore.fpga.mapping import ConvGeometry, conv_geometry, plan_skips, streamed_words
from coexplore.fpga.precision import Precision, get_precision
from coexplore.fpga.resources import (
    DOUBLE_BUFFER_COPIES,
    block_bits,
    ceil_div,
    ddr_words_per_cycle,
    io_bank_depths,
    shared_port_words,
)
from coexplore.workload import Workload


@dataclass(frozen=True)
class BatchSettings:
    """Design fields every design point of a batch shares."""

    precision: str = "int16"
    clock_mhz: float | None = None
    schedule: str = "overlap"
    double_buffer: bool = True
    pipeline_overhead_cycles: int = 0
    ddr_efficiency: float = 1.0
    keep_skips_on_chip: bool = False
    input_halo: bool = False
    prologue_epilogue: bool = False

    @classmethod
    def of(cls, design: Design) -> "BatchSettings":
        return cls(**{f: getattr(design, f) for f in cls.__dataclass_fields__})


class BatchModel:
    """One workload on one device under fixed settings, ready to cost many designs at once."""

    def __init__(self, workload: Workload, device: Device | str, settings: BatchSettings):
        self.workload, self.device, self.settings = workload, get_device(device), settings
        self.precision: Precision = get_precision(settings.precision)
        self.clock_mhz = settings.clock_mhz or self.device.clock_mhz
        self.ddr_words = ddr_words_per_cycle(self.device, self.precision, self.clock_mhz, settings.ddr_efficiency)
        self.shared_words = shared_port_words(self.device, self.precision, self.clock_mhz, settings.ddr_efficiency)
        self.roofline_bytes_per_cycle = self.ddr_words * self.precision.bytes_per_word
        counts: Counter = Counter()
        for u in workload.unique():
            if u.op.is_conv_like:
                counts[conv_geometry(u.op, settings.schedule)] += u.count
        self.convs: list[tuple[ConvGeometry, int]] = list(counts.items())
        plan = plan_skips(workload)
        streamed: Counter = Counter()
        for index, op in enumerate(workload.ops):
            if not op.is_conv_like:
                streamed[streamed_words(op, plan.skip_elems_by_op.get(index, 0))] += 1
        self.streamed: list[tuple[tuple[int, int], int]] = list(streamed.items())
        self.skip_read_words = sum(r.elems for r in plan.reads)
        self.skip_bytes = plan.peak_live_elems * self.precision.bytes_per_word
        self.macs = workload.macs

    # --- resources --------------------------------------------------------------------------------
    def dsp(self, tm, tn):
        return np.ceil(np.asarray(tm) * np.asarray(tn) * self.precision.dsp_per_mac[self.device.family] - 1e-9)

    def tile_depths(self, tr, tc):
        """Largest (input, weight, output) bank depths over the convs for tiles tr × tc."""
        s = self.settings
        tr, tc = np.asarray(tr, dtype=np.int64), np.asarray(tc, dtype=np.int64)
        in_depth = out_depth = np.zeros(np.broadcast(tr, tc).shape, dtype=np.int64)
        w_depth = 0
        for g, _ in self.convs:
            r, c = np.minimum(tr, g.rows), np.minimum(tc, g.cols)
            d_in, d_out = io_bank_depths(g, r, c, s.schedule, s.input_halo)
            in_depth, out_depth = np.maximum(in_depth, d_in), np.maximum(out_depth, d_out)
            w_depth = max(w_depth, g.kernel * g.kernel)
        return in_depth, w_depth, out_depth

    def blocks(self, width_bits, depth_words):
        """Block RAMs for memories of the given widths × depths (cheapest aspect ratio)."""
        width_bits, depth_words = np.asarray(width_bits), np.asarray(depth_words)
        best = None
        for w, d in BLOCK_SHAPES[self.device.block_ram_kind]:
            n = ceil_div(width_bits, w) * ceil_div(depth_words, d)
            best = n if best is None else np.minimum(best, n)
        return np.where((width_bits > 0) & (depth_words > 0), best, 0)

    def buffer_blocks(self, tm, tn, tr, tc):
        """Block RAMs of the input + weight + output buffers (×2 when double-buffered)."""
        tm, tn = np.asarray(tm, dtype=np.int64), np.asarray(tn, dtype=np.int64)
        in_depth, w_depth, out_depth = self.tile_depths(tr, tc)
        bits, acc = self.precision.bits, self.precision.accumulator_bits
        total = (self.blocks(tn * bits, in_depth) + self.blocks(tm * tn * bits, w_depth)
                 + self.blocks(tm * acc, out_depth))
        return total * (DOUBLE_BUFFER_COPIES if self.settings.double_buffer else 1)

    def skip_storage(self, buffer_bram):
        """(on chip?, extra block RAM, URAM) for the skip tensors, given the buffers' block RAM."""
        buffer_bram = np.asarray(buffer_bram)
        if not (self.settings.keep_skips_on_chip and self.skip_read_words):
            zero = np.zeros_like(buffer_bram)
            return zero.astype(bool), zero, zero
        bits = self.skip_bytes * 8
        uram = min(ceil_div(bits, block_bits("URAM")), self.device.budget("uram"))
        left = max(bits - uram * block_bits("URAM"), 0)
        bram = ceil_div(left, block_bits(self.device.block_ram_kind))
        on_chip = buffer_bram + bram <= self.device.budget("bram")
        return on_chip, np.where(on_chip, bram, 0), np.where(on_chip, uram, 0)

    # --- latency ----------------------------------------------------------------------------------
    def cycles(self, tm, tn, tr, tc, ip, wp, op, shared, *, skips_on_chip=False, breakdown=True):
        """(total, compute, memory) cycles, arrays broadcast from the inputs.

        `ip, wp, op` are words/cycle per port; where `shared` is true they must all equal the
        shared port's width (see `port_arrays`). With `breakdown=False` only the total is computed
        (compute and memory are None): the DSE's fast path.
        """
        s = self.settings
        tm, tn = np.asarray(tm, dtype=np.int64), np.asarray(tn, dtype=np.int64)
        tr, tc = np.asarray(tr, dtype=np.int64), np.asarray(tc, dtype=np.int64)
        ip, wp, op = (np.asarray(x, dtype=np.float64) for x in (ip, wp, op))
        shared = np.asarray(shared, dtype=bool)
        shape = np.broadcast_shapes(np.shape(tm), np.shape(tn), np.shape(tr), np.shape(tc), np.shape(ip),
                                    np.shape(wp), np.shape(op), np.shape(shared), np.shape(skips_on_chip))
        total = np.zeros(shape)
        compute = 0.0
        words = [0.0, 0.0, 0.0]  # input, weight, output words: memory cycles = words / port width
        roof_memory = 0.0
        for g, count in self.convs:
            if s.schedule == "overlap":
                parts = self._overlap(g, count, tm, tn, tr, tc, ip, wp, op, shared, total, breakdown)
                if breakdown:
                    compute = compute + parts[0]
                    words = [w + x for w, x in zip(words, parts[1:])]
            else:
                t, c, mem = self._roofline(g, tm, tn, tr, tc)
                total += count * t
                compute, roof_memory = compute + count * c, roof_memory + count * mem
        stream_total, stream_memory = self._streamed(ip, op, shared, skips_on_chip)
        total += stream_total
        if not breakdown:
            return total, None, None
        if s.schedule == "overlap":
            memory = words[0] / ip + words[1] / wp + words[2] / op + stream_memory
        else:
            memory = roof_memory + stream_memory
        return total, np.broadcast_to(compute, shape), np.broadcast_to(memory, shape)

    def _overlap(self, g: ConvGeometry, count, tm, tn, tr, tc, ip, wp, op, shared, total, breakdown):
        """Add `count` × this conv's overlap-schedule cycles to `total` (in place); with `breakdown`
        return (compute cycles, input words, weight words, output words), each × count.

        Factors that depend on the MAC array alone (tm, tn, ports) and on the tile alone (tr, tc)
        are formed separately, so each outer product over (array × tile) is built once."""
        s = self.settings
        k, st, up = g.kernel, g.stride, g.upscale
        r, c = np.minimum(tr, g.rows), np.minimum(tc, g.cols)
        halo = max(k - st, 0) if s.input_halo else 0
        in_tile = (r + halo) * (c + halo)  # words per input map of a tile
        out_tile = ceil_div(r, st) * ceil_div(c, st) * (up * up)  # outputs per map of a tile
        if up == 1:
            t_c = (k * k) * ceil_div(np.minimum(tr, g.rows + 2 * g.padding), st) \
                * ceil_div(np.minimum(tc, g.cols + 2 * g.padding), st)
        else:
            t_c = (k * k) * r * c
        t_c = t_c + s.pipeline_overhead_cycles
        tn_e, tm_e = np.minimum(tn, g.n), np.minimum(tm, g.m)
        w_words = tm * tn * (k * k)
        n_steps = ceil_div(g.n, tn)
        array_trips = (count * g.batch * g.groups) * ceil_div(g.m, tm)
        tile_trips = ceil_div(g.rows, tr) * ceil_div(g.cols, tc)
        simple = s.double_buffer and not s.prologue_epilogue and shared.ndim == 0
        if simple and not shared:  # separate ports, the published formula: the DSE's hot path
            lat = (n_steps * tn_e / ip) * in_tile  # ⌈N/Tn⌉·tI
            np.maximum(lat, n_steps * w_words / wp, out=lat)  # ⌈N/Tn⌉·tW
            np.maximum(lat, n_steps * t_c, out=lat)  # ⌈N/Tn⌉·tC
            np.maximum(lat, (tm_e / op) * out_tile, out=lat)  # tO
        else:
            t_in, t_w, t_out = (tn_e / ip) * in_tile, w_words / wp, (tm_e / op) * out_tile
            if simple:  # one shared port: a step's loads share it and the store follows them
                load = t_in + t_w
                lat = np.maximum(load, t_c) * n_steps
                np.maximum(lat, load * n_steps + t_out, out=lat)
            elif not s.double_buffer:
                lat1 = t_in + t_w + t_c
                lat = n_steps * lat1 + t_out
            else:
                lat1 = np.maximum(np.where(shared, t_in + t_w, np.maximum(t_in, t_w)), t_c)
                lat = np.maximum(n_steps * lat1, t_out + np.where(shared, n_steps * (t_in + t_w), 0.0))
        full = np.broadcast_shapes(np.shape(lat), np.shape(array_trips), np.shape(tile_trips))
        if np.shape(lat) != full:
            lat = np.broadcast_to(lat, full).astype(np.float64)
        lat *= array_trips
        lat *= tile_trips
        if s.prologue_epilogue:  # the first load and the last store of each layer (TCAD'20)
            lat += count * (lat1 + t_out)
        total += lat
        if not breakdown:
            return None
        trips = array_trips * tile_trips * n_steps
        return trips * t_c, trips * (tn_e * in_tile), trips * w_words, array_trips * tile_trips * (tm_e * out_tile)

    def _roofline(self, g: ConvGeometry, tm, tn, tr, tc):
        s = self.settings
        k, st, up = g.kernel, g.stride, g.upscale
        r, c = np.minimum(tr, g.rows), np.minimum(tc, g.cols)
        outer = (g.batch * g.groups) * ceil_div(g.m, tm) * (ceil_div(g.rows, r) * ceil_div(g.cols, c))
        trips = outer * ceil_div(g.n, tn)
        compute = trips * (r * c * (k * k) + s.pipeline_overhead_cycles)
        tm_e, tn_e = np.minimum(tm, g.m), np.minimum(tn, g.n)
        b_in = tn_e * ((st * r + k - st) * (st * c + k - st)) if up == 1 else tn_e * (r * c)
        words = trips * (b_in + tm_e * tn_e * (k * k)) + outer * (tm_e * (r * c * up * up))
        memory = words * (self.precision.bytes_per_word / self.roofline_bytes_per_cycle)
        total = np.maximum(compute, memory) if s.double_buffer else compute + memory
        return total, compute, memory

    def _streamed(self, ip, op, shared, skips_on_chip):
        """(total, memory) cycles of the non-conv ops and of the skip read-backs."""
        s = self.settings
        skip_words = np.where(skips_on_chip, 0.0, float(self.skip_read_words))
        if s.schedule == "roofline":
            per_word = self.precision.bytes_per_word / self.roofline_bytes_per_cycle
            moved = sum(count * (r + w) for (r, w), count in self.streamed) + skip_words
            return moved * per_word, moved * per_word
        total = skip_words / ip
        memory = total
        overlapped = np.logical_and(s.double_buffer, np.logical_not(shared))
        for (read, write), count in self.streamed:
            t_r, t_w = read / ip, write / op
            total = total + count * np.where(overlapped, np.maximum(t_r, t_w), t_r + t_w)
            memory = memory + count * (t_r + t_w)
        return total, memory

    def port_arrays(self, ports: list[tuple[float, float, float] | None]):
        """(ip, wp, op, shared) arrays for a list of port settings (None = the shared port)."""
        ip, wp, op, shared = [], [], [], []
        for p in ports:
            words = (self.shared_words,) * 3 if p is None else p
            ip.append(words[0]), wp.append(words[1]), op.append(words[2]), shared.append(p is None)
        return (np.array(ip, dtype=np.float64), np.array(wp, dtype=np.float64), np.array(op, dtype=np.float64),
                np.array(shared, dtype=bool))


def evaluate_many(workload: Workload, designs: list[Design], device: Device | str) -> dict[str, np.ndarray]:
    """Total / compute / memory cycles, DSP and block RAM for many designs in vectorised passes.

    Designs are grouped by their shared settings (precision, clock, schedule, ...); each group is
    one pass. Designs with `layer_tiles` overrides are not supported here (use `evaluate`).
    """
    from coexplore.errors import CoexploreError

    n = len(designs)
    out = {key: np.zeros(n) for key in ("total_cycles", "compute_cycles", "memory_cycles", "dsp", "bram18", "uram")}
    groups: dict[BatchSettings, list[int]] = {}
    for i, d in enumerate(designs):
        if d.layer_tiles:
            raise CoexploreError("per-layer tiles are not vectorised", field="design.layer_tiles",
                                 fix="use coexplore.fpga.evaluate for this design")
        groups.setdefault(BatchSettings.of(d), []).append(i)
    for settings, idx in groups.items():
        model = BatchModel(workload, device, settings)
        sel = [designs[i] for i in idx]
        tm, tn, tr, tc = (np.array([getattr(d, f) for d in sel]) for f in ("tm", "tn", "tr", "tc"))
        ip, wp, op, shared = model.port_arrays([d.ports_words_per_cycle for d in sel])
        bram = model.buffer_blocks(tm, tn, tr, tc)
        on_chip, skip_bram, uram = model.skip_storage(bram)
        total, compute, memory = model.cycles(tm, tn, tr, tc, ip, wp, op, shared, skips_on_chip=on_chip)
        out["total_cycles"][idx], out["compute_cycles"][idx], out["memory_cycles"][idx] = total, compute, memory
        out["dsp"][idx], out["bram18"][idx], out["uram"][idx] = model.dsp(tm, tn), bram + skip_bram, uram
    return out
