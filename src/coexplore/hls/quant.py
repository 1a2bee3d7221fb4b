"""The network the engine runs: real-valued layer parameters, and their integer form.

Every conv carries its own batch-norm and ReLU, folded as the pre-activation blocks use them:

- `pre_scale`, `pre_bias` (per input channel) and ReLU *before* the conv (BN → ReLU → conv, the
  pre-activation residual block): the engine applies them to each word as it loads the input tile,
  `v = max(0, sat(shift_round(x·mult_c + add_c, shift_c)))`, so they cost no cycle of the model;
  padding is added after them (zeros), as PyTorch pads the activated tensor;
- `bias` and `post_relu` *after* it (conv → BN → ReLU: the BN folds into the weights and bias).

Quantisation (`quantize_network`, all through `coexplore.fixedpoint`): every tensor gets one
power-of-two scale `2**-f` from the largest magnitude a calibration forward saw (`frac_bits_for`);
max-pool and upsampling keep their input's scale. Weights get one scale per output channel over
the narrow range; the pre-activation multiplier one per input channel (same width as the data);
the bias and the pre-activation offset are 32-bit integers at the accumulator's scale. Requantising
is `shift_round` by `f_in + f_w − f_out`, then saturation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from coexplore.errors import CoexploreError
from coexplore.fixedpoint import ACCUMULATOR_BITS, frac_bits_for, quantize, saturate
from coexplore.hls import kernels
from coexplore.hls.graph import Graph
from coexplore.workload import Op

BITS = {"int8": 8, "int16": 16}
MAX_SHIFT = 62  # shift_round on 64-bit values


@dataclass
class ConvParams:
    """Real-valued parameters of one conv: weight (M, N/groups, K, K) as PyTorch's Conv2d (a
    ConvTranspose2d's (N, M, K, K) weight swapped to the same layout)."""

    weight: np.ndarray
    bias: np.ndarray
    pre_scale: np.ndarray | None = None
    pre_bias: np.ndarray | None = None
    post_relu: bool = False


@dataclass
class QuantConv:
    weight: np.ndarray  # int, narrow range
    bias: np.ndarray  # int32 at the accumulator's scale
    out_shift: np.ndarray  # per output channel
    pre_mult: np.ndarray | None = None  # per input channel
    pre_add: np.ndarray | None = None
    pre_shift: np.ndarray | None = None
    post_relu: bool = False


@dataclass
class QuantNetwork:
    graph: Graph
    precision: str
    frac: dict[str, int]  # tensor → fractional bits
    convs: dict[str, QuantConv] = field(default_factory=dict)  # op name → integer parameters

    @property
    def bits(self) -> int:
        return BITS[self.precision]

    def quantize_inputs(self, images: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {name: quantize(images[name], self.frac[name], self.bits) for name in self.graph.inputs}


def bits_of(precision: str) -> int:
    if precision not in BITS:
        raise CoexploreError(f"the engine is integer: {precision!r}", field="precision",
                             fix=f"use one of {', '.join(BITS)}")
    return BITS[precision]


def synthetic_params(graph: Graph, *, seed: int = 0, pre_activation: bool = True) -> dict[str, ConvParams]:
    """Deterministic He-initialised weights with batch-norm-like affines (for a network not trained)."""
    rng = np.random.default_rng(seed)
    params = {}
    for op in graph.ops:
        if not op.is_conv_like:
            continue
        fan_in = op.in_channels // op.groups * (op.kernel // (op.stride if op.transposed else 1)) ** 2
        weight = rng.normal(0.0, np.sqrt(2.0 / fan_in), (op.out_channels, op.in_channels // op.groups,
                                                          op.kernel, op.kernel))
        pre = (rng.uniform(0.5, 1.5, op.in_channels), rng.normal(0.0, 0.2, op.in_channels)) if pre_activation else (None, None)
        params[op.name] = ConvParams(weight, rng.normal(0.0, 0.1, op.out_channels), *pre,
                                     post_relu=not pre_activation)
    return params


def pre_tensor(op: Op) -> str:
    """Name of a conv's activated input (its own scale)."""
    return f"{op.name}.pre"


def float_forward(graph: Graph, params: dict[str, ConvParams], images: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every tensor of the real-valued network (and each conv's activated input)."""
    values = dict(images)
    for op, names, out in zip(graph.ops, graph.operands, graph.outputs):
        xs = [values[n] for n in names]
        if op.is_conv_like:
            p = params[op.name]
            x = xs[0]
            if p.pre_scale is not None:
                x = np.maximum(x * p.pre_scale[None, :, None, None] + p.pre_bias[None, :, None, None], 0.0)
                values[pre_tensor(op)] = x
            y = kernels.conv_sum(x, p.weight, op) + p.bias[None, :, None, None]
            values[out] = np.maximum(y, 0.0) if p.post_relu else y
        elif op.kind == "pool":
            y = kernels.pool(xs[0], op)
            values[out] = y if (op.mode or "max") == "max" else y / op.kernel ** 2
        elif op.kind == "upsample":
            values[out] = kernels.upsample(xs[0], op)
        elif op.kind == "add":
            values[out] = sum(xs)
        else:
            values[out] = np.concatenate(xs, axis=1)
    return values


def calibrate(graph: Graph, params: dict[str, ConvParams], calibration: list[dict[str, np.ndarray]],
              bits: int) -> dict[str, int]:
    """Fractional bits of every tensor from the largest magnitude over the calibration images."""
    peaks: dict[str, float] = {}
    for images in calibration:
        for name, value in float_forward(graph, params, images).items():
            peaks[name] = max(peaks.get(name, 0.0), float(np.abs(value).max(initial=0.0)))
    frac = {name: int(frac_bits_for(peak, bits)) for name, peak in peaks.items()}
    for op, names, out in zip(graph.ops, graph.operands, graph.outputs):
        if op.kind in ("pool", "upsample"):  # no new peak (max, nearest copy, window mean): the input's scale
            frac[out] = frac[names[0]]
    return frac


def quantize_network(graph: Graph, params: dict[str, ConvParams], calibration: list[dict[str, np.ndarray]],
                     precision: str) -> QuantNetwork:
    bits = bits_of(precision)
    missing = [op.name for op in graph.ops if op.is_conv_like and op.name not in params]
    if missing:
        raise CoexploreError(f"no weights for {', '.join(missing[:3])}", field="weights",
                             fix="give parameters for every conv of the workload")
    frac = calibrate(graph, params, calibration, bits)
    net = QuantNetwork(graph, precision, frac)
    for op, names, out in zip(graph.ops, graph.operands, graph.outputs):
        if op.is_conv_like:
            net.convs[op.name] = _quantize_conv(op, params[op.name], frac, names[0], out, bits)
    return net


def _quantize_conv(op: Op, p: ConvParams, frac: dict[str, int], source: str, out: str, bits: int) -> QuantConv:
    expected = (op.out_channels, op.in_channels // op.groups, op.kernel, op.kernel)
    if tuple(p.weight.shape) != expected:
        raise CoexploreError(f"weight shape {tuple(p.weight.shape)}, expected {expected}", field=f"weights {op.name}")
    f_in = frac[source]
    q = QuantConv(weight=np.empty(0), bias=np.empty(0), out_shift=np.empty(0), post_relu=p.post_relu)
    if p.pre_scale is not None:
        f_mult = frac_bits_for(np.abs(p.pre_scale), bits)
        f_pre = frac[pre_tensor(op)]
        q.pre_mult = quantize(p.pre_scale, f_mult, bits, narrow=True)
        q.pre_add = _int32(p.pre_bias * np.exp2(f_in + f_mult))
        q.pre_shift = _shift(f_in + f_mult - f_pre, op)
        f_in = f_pre
    w_frac = frac_bits_for(np.abs(p.weight).reshape(op.out_channels, -1).max(axis=1), bits)
    q.weight = quantize(p.weight, w_frac[:, None, None, None], bits, narrow=True)
    q.bias = _int32(p.bias * np.exp2(f_in + w_frac))
    q.out_shift = _shift(f_in + w_frac - frac[out], op)
    return q


def _int32(values: np.ndarray) -> np.ndarray:
    return saturate(np.rint(values), ACCUMULATOR_BITS).astype(np.int64)


def _shift(shift: np.ndarray, op: Op) -> np.ndarray:
    shift = np.asarray(shift, dtype=np.int64)
    if np.any(np.abs(shift) > MAX_SHIFT):
        raise CoexploreError(f"a requantising shift of {int(np.abs(shift).max())} bits", field=f"op {op.name}",
                             fix="check the weights and calibration images for zeros or huge values")
    return shift
