"""The integer reference: the quantised network in numpy, step for step what the C++ engine does.

Each step is a `coexplore.fixedpoint` call; the 32-bit accumulator wraps modulo 2**32 as the
engine's does (two's complement addition), so the two agree even where a sum overflows; the
reference counts such overflows so that a user can see them (`IntegerRun.overflows`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from coexplore.fixedpoint import ACCUMULATOR_BITS, saturate, shift_round
from coexplore.hls import kernels
from coexplore.hls.quant import QuantConv, QuantNetwork
from coexplore.workload import Op

_WRAP = 2**ACCUMULATOR_BITS


@dataclass
class IntegerRun:
    values: dict[str, np.ndarray]  # every tensor, as integers
    overflows: dict[str, int] = field(default_factory=dict)  # op → accumulator sums outside 32 bits


def wrap32(values: np.ndarray) -> np.ndarray:
    return (values + _WRAP // 2) % _WRAP - _WRAP // 2


def run_reference(net: QuantNetwork, inputs: dict[str, np.ndarray]) -> IntegerRun:
    """Every tensor of the integer network for quantised `inputs` (`net.quantize_inputs`)."""
    run = IntegerRun(dict(inputs))
    values, frac, bits = run.values, net.frac, net.bits
    for op, names, out in zip(net.graph.ops, net.graph.operands, net.graph.outputs):
        xs = [values[n] for n in names]
        if op.is_conv_like:
            values[out], overflow = _conv(op, net.convs[op.name], xs[0], bits)
            if overflow:
                run.overflows[op.name] = overflow
        elif op.kind == "pool":
            y = kernels.pool(xs[0], op)
            values[out] = y if (op.mode or "max") == "max" else shift_round(y, int(np.log2(op.kernel ** 2)))
        elif op.kind == "upsample":
            values[out] = kernels.upsample(xs[0], op)
        elif op.kind == "add":
            values[out] = add_operands(xs, [frac[n] for n in names], frac[out], bits)
        else:
            values[out] = np.concatenate([saturate(shift_round(x, frac[n] - frac[out]), bits)
                                          for x, n in zip(xs, names)], axis=1)
    return run


def common_frac(fracs: list[int]) -> int:
    """The scale an add aligns its operands to: the finest, so aligning is an exact left shift."""
    return max(fracs)


def add_operands(xs: list[np.ndarray], fracs: list[int], f_out: int, bits: int) -> np.ndarray:
    top = common_frac(fracs)
    total = sum(shift_round(x, f - top) for x, f in zip(xs, fracs))
    return saturate(shift_round(total, top - f_out), bits)


def _conv(op: Op, q: QuantConv, x: np.ndarray, bits: int) -> tuple[np.ndarray, int]:
    if q.pre_mult is not None:
        per_channel = (slice(None), None, None)
        x = shift_round(x * q.pre_mult[per_channel] + q.pre_add[per_channel], q.pre_shift[per_channel])
        x = np.maximum(saturate(x, bits), 0)
    total = kernels.int_conv_sum(x, q.weight, op) + q.bias[None, :, None, None]
    acc = wrap32(total)
    y = saturate(shift_round(acc, q.out_shift[None, :, None, None]), bits)
    return (np.maximum(y, 0) if q.post_relu else y), int(np.count_nonzero(acc != total))
