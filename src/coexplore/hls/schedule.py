"""The schedule the engine runs: one descriptor per op (shapes, tile, where its tensors and parameters
sit in DRAM, the requantising shifts), the engine's static buffer sizes, and the cost model's
per-layer counts that the C-simulation must reproduce.

The engine tiles the *output* map as Zhang FPGA'15 does: an output tile of `tr × tc` pixels reads
an input tile of `(S·tr + K − S) × (S·tc + K − S)` words per input map. Under the roofline schedule
(Zhang's) the design's tile is that output tile; under the overlap schedule (Jiang et al.) the
design's tile tiles the input map, so the engine's output tile is `⌈min(tr, H)/S⌉` rows.
A transposed conv (learned upsampling, K a multiple of S) is tiled over its *input* map, as the
cost model does: `tr × tc` input pixels make `S·tr × S·tc` output pixels, each gathering the
(K/S)² taps that reach it, K²·tr·tc iterations in all; its input tile has the halo those taps read.

Every tensor lives in DRAM at its own offset (no reuse: simple and safe, at the price of memory);
a skip tensor is one that a non-conv op reads back more than one op after it was made
(`fpga.mapping.plan_skips`): its operand is flagged, and the engine counts its words apart, as the
model's "skip" rows do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from coexplore.fpga import Design, Device, evaluate, get_device
from coexplore.fpga.kernel import Target, ceil_div
from coexplore.fpga.mapping import plan_skips
from coexplore.hls.graph import MAX_OPERANDS, Graph
from coexplore.hls.quant import QuantNetwork
from coexplore.hls.reference import common_frac
from coexplore.workload import Op

KINDS = {"conv": 0, "fc": 0, "pool": 1, "upsample": 2, "add": 3, "concat": 4}
COUNTERS = ("compute", "input", "weight", "output", "skip")
# Words of a model count may be a float product of cycles × port width; they must be this close to a whole number.
WORD_TOLERANCE = 1e-6


@dataclass
class Descriptor:
    """One op as the engine reads it (`Layer` in engine.h; field order matters)."""

    name: str
    kind: int
    batch: int
    groups: int
    n: int  # input maps per group (conv); channels of each operand (add, pool, upsample)
    m: int  # output maps per group (conv); output channels
    in_h: int
    in_w: int
    out_h: int
    out_w: int
    k: int
    s: int
    pad: int
    tr: int  # tile rows: output pixels (conv), input pixels (transposed conv)
    tc: int
    transposed: int
    in_rows: int  # input tile, with its halo
    in_cols: int
    row_lo: int  # first input row of a tile relative to its origin (S·row0 for a conv, row0 transposed)
    out_tr: int  # output tile
    out_tc: int
    operands: int
    in_off: list[int]
    in_channels: list[int]  # per operand (concat)
    skip: list[int]  # 1 where the operand is a skip tensor read back from DRAM
    shift: list[int]  # per operand (add: left shift to the common scale; concat: right shift to the output's)
    out_shift: int  # add: common scale → output; avg pool: log2(K²)
    avg: int
    out_off: int
    w_off: int
    p_off: int
    pre: int
    post_relu: int

    C_FIELDS = ("kind", "batch", "groups", "n", "m", "in_h", "in_w", "out_h", "out_w", "k", "s", "pad", "tr",
                "tc", "transposed", "in_rows", "in_cols", "row_lo", "out_tr", "out_tc", "operands", "in_off", "in_channels", "skip", "shift", "out_shift", "avg", "out_off",
                "w_off", "p_off", "pre", "post_relu")

    def c_initializer(self) -> str:
        def value(v):
            return "{" + ", ".join(map(str, v)) + "}" if isinstance(v, list) else str(v)
        return "{" + ", ".join(value(getattr(self, f)) for f in self.C_FIELDS) + "}"


@dataclass
class Schedule:
    layers: list[Descriptor]
    tensors: dict[str, tuple[int, int]]  # name → (offset, words) in the activation memory
    act_words: int
    weights: np.ndarray  # int, every conv's weights in layer order
    params: np.ndarray  # int32
    skip_tensors: list[str]
    model: list[dict[str, int]] = field(default_factory=list)  # per layer, the cost model's counts

    def sizes(self, tm: int, tn: int) -> dict[str, int]:
        """The engine's static sizes: the array, and buffers deep enough for the largest conv tile."""
        convs = [d for d in self.layers if d.kind == KINDS["conv"]]
        return {"TM": tm, "TN": tn, "K_MAX": max((d.k for d in convs), default=1),
                "IN_DEPTH": max((d.in_rows * d.in_cols for d in convs), default=1),
                "OUT_DEPTH": max((d.out_tr * d.out_tc for d in convs), default=1)}


def engine_tile(op: Op, design: Design) -> tuple[int, int]:
    """The tile the engine loops over: output pixels, or input pixels for a transposed conv."""
    tr, tc = design.tile_for(op.name)
    if op.transposed:
        return min(tr, op.in_h), min(tc, op.in_w)
    if design.settings.schedule == "roofline":
        return min(tr, op.out_h), min(tc, op.out_w)
    return ceil_div(min(tr, op.in_h), op.stride), ceil_div(min(tc, op.in_w), op.stride)


def build_schedule(net: QuantNetwork, design: Design, device: Device | str) -> Schedule:
    graph = net.graph
    tensors, offset = {}, 0
    for name in list(graph.inputs) + list(graph.outputs):
        words = int(np.prod(graph.shapes[name]))
        tensors[name] = (offset, words)
        offset += words
    skips = {(r.tensor, r.consumer_index) for r in plan_skips(graph.workload).reads}
    layers, weights, params = [], [], []
    w_off = p_off = 0
    for index, (op, names, out) in enumerate(zip(graph.ops, graph.operands, graph.outputs)):
        d = _descriptor(op, names, out, graph, net, tensors, design)
        d.skip = _pad([int((n, index) in skips) for n in names])
        if op.is_conv_like:
            q = net.convs[op.name]
            d.w_off, d.p_off = w_off, p_off
            block = [q.bias, q.out_shift]
            if q.pre_mult is not None:
                block += [q.pre_mult, q.pre_add, q.pre_shift]
            weights.append(q.weight.ravel())
            params += block
            w_off += q.weight.size
            p_off += sum(b.size for b in block)
        layers.append(d)
    schedule = Schedule(layers, tensors, offset, _join(weights), _join(params),
                        sorted({t for t, _ in skips}))
    schedule.model = model_counts(graph, design, device)
    return schedule


def _join(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)


def _pad(values: list[int]) -> list[int]:
    return values + [0] * (MAX_OPERANDS - len(values))


def _descriptor(op: Op, names, out: str, graph: Graph, net: QuantNetwork, tensors, design: Design) -> Descriptor:
    frac = net.frac
    conv = op.is_conv_like
    tr, tc = engine_tile(op, design) if conv else (0, 0)
    in_rows, in_cols, row_lo, out_tr, out_tc = input_tile(op, tr, tc) if conv else (0, 0, 0, 0, 0)
    shifts, out_shift = [0] * len(names), 0
    if op.kind == "add":
        top = common_frac([frac[n] for n in names])
        shifts, out_shift = [top - frac[n] for n in names], top - frac[out]
    elif op.kind == "concat":
        shifts = [frac[n] - frac[out] for n in names]
    elif op.kind == "pool" and op.mode == "avg":
        out_shift = int(np.log2(op.kernel ** 2))
    q = net.convs.get(op.name)
    return Descriptor(
        op.name, KINDS[op.kind], op.batch, op.groups if conv else 1,
        op.in_channels // op.groups if conv else graph.shapes[names[0]][1],
        op.out_channels // op.groups if conv else op.out_channels,
        op.in_h, op.in_w, op.out_h, op.out_w, op.kernel, op.stride, op.padding, tr, tc,
        int(op.transposed), in_rows, in_cols, row_lo, out_tr, out_tc, len(names),
        _pad([tensors[n][0] for n in names]), _pad([graph.shapes[n][1] for n in names]), [], _pad(shifts), out_shift,
        int(op.kind == "pool" and op.mode == "avg"), tensors[out][0], 0, 0,
        int(q is not None and q.pre_mult is not None), int(q is not None and q.post_relu))


def input_tile(op: Op, tr: int, tc: int) -> tuple[int, int, int, int, int]:
    """(input rows, input cols, first row offset, output rows, output cols) of one tile."""
    k, s, p = op.kernel, op.stride, op.padding
    if not op.transposed:
        return s * tr + k - s, s * tc + k - s, -p, tr, tc
    # output row S·a + r reads input rows a + (r + p − ky)/S for the taps ky ≡ r + p (mod S)
    lo = p // s - (k // s - 1)
    return tuple((s * t - 1 + p) // s - lo + 1 for t in (tr, tc)) + (lo, s * tr, s * tc)  # type: ignore[return-value]


def model_counts(graph: Graph, design: Design, device: Device | str) -> list[dict[str, int]]:
    """Per op, the cost model's compute cycles without the pipeline depth P, and the words each port
    moves (its cycles × the port's words per cycle), skip read-backs through DRAM."""
    dev = get_device(device)
    plain = design.replace(pipeline_overhead_cycles=0, keep_skips_on_chip=False)
    cost = evaluate(graph.workload, plain, dev)
    target = Target.of(dev, plain.settings)
    if plain.settings.schedule == "roofline":
        rate = {"input": target.ddr_words, "weight": target.ddr_words, "output": target.ddr_words}
    else:
        ports = target.ports(plain.ports_words_per_cycle)
        rate = {"input": ports.input, "weight": ports.weight, "output": ports.output}
    rows, pending = [], 0.0
    for row in cost.ops:
        if row.kind == "skip":
            pending += row.input_cycles * rate["input"]
            continue
        rows.append({"compute": _whole(row.compute_cycles, row.name), "skip": _whole(pending, row.name),
                     **{k: _whole(getattr(row, f"{k}_cycles") * r, row.name) for k, r in rate.items()}})
        pending = 0.0
    return rows


def _whole(value: float, where: str) -> int:
    whole = round(value)
    if abs(value - whole) > WORD_TOLERANCE * max(1.0, abs(value)):
        raise AssertionError(f"{where}: the model's count {value} is not a whole number of words/cycles")
    return int(whole)
