"""The accelerator's integer arithmetic, in one place: power-of-two scales, rounding, saturation.

Every quantised value is `integer * 2**-frac_bits`. Power-of-two scales are what fixed-point FPGA
engines use (Vitis AI's DPU among them): requantising a 32-bit accumulator is then an arithmetic
shift, with no multiplier. Rounding is to nearest, ties to even, because that is what PyTorch's fake
quantisation does (`std::nearbyint`), so the quantised PyTorch forward, the numpy integer reference
and the generated C++ engine agree bit for bit.

Weights are symmetric over the narrow range (-127..127 for int8), so that negating a weight never
saturates; activations use the full range (-128..127). The accumulator is 32 bits wide.

numpy only: imported by pose (quantisation), fpga/hls (the integer reference) and tests alike.
"""

from __future__ import annotations

import numpy as np

ACCUMULATOR_BITS = 32


def qrange(bits: int, *, narrow: bool = False) -> tuple[int, int]:
    """Smallest and largest integer of a signed `bits`-bit value (narrow: symmetric, no -2**(b-1))."""
    top = 2 ** (bits - 1) - 1
    return (-top if narrow else -top - 1), top


def frac_bits_for(max_abs: np.ndarray | float, bits: int) -> np.ndarray:
    """The most fractional bits that still represent `max_abs` without saturating.

    A zero range (an all-zero channel) gets `bits - 1` fractional bits: any scale represents it.
    """
    max_abs = np.asarray(max_abs, dtype=np.float64)
    top = 2 ** (bits - 1) - 1
    with np.errstate(divide="ignore"):
        frac = np.floor(np.log2(top / max_abs))
    return np.where(max_abs > 0, frac, bits - 1).astype(np.int64)


def saturate(values: np.ndarray, bits: int, *, narrow: bool = False) -> np.ndarray:
    low, high = qrange(bits, narrow=narrow)
    return np.clip(values, low, high)


def quantize(x: np.ndarray, frac_bits: np.ndarray | int, bits: int, *, narrow: bool = False) -> np.ndarray:
    """Real values to `bits`-bit integers at scale 2**-frac_bits (per element or broadcast per channel)."""
    scaled = np.asarray(x, dtype=np.float64) * np.exp2(np.asarray(frac_bits, dtype=np.float64))
    return saturate(np.rint(scaled), bits, narrow=narrow).astype(np.int64)


def dequantize(q: np.ndarray, frac_bits: np.ndarray | int) -> np.ndarray:
    return np.asarray(q, dtype=np.float64) * np.exp2(-np.asarray(frac_bits, dtype=np.float64))


def shift_round(values: np.ndarray, shift: np.ndarray | int) -> np.ndarray:
    """`values / 2**shift` rounded to nearest, ties to even; a negative shift is an exact left shift.

    Integer-only (no floats), so it is exact for any 64-bit input: the same steps as the C++ engine.
    """
    values = np.asarray(values, dtype=np.int64)
    shift = np.broadcast_to(np.asarray(shift, dtype=np.int64), values.shape)
    left = np.left_shift(values, np.maximum(-shift, 0))
    right = np.maximum(shift, 0)
    floor = np.right_shift(left, right)
    remainder = left - np.left_shift(floor, right)
    half = np.where(right > 0, np.left_shift(np.int64(1), np.maximum(right - 1, 0)), 1)
    round_up = (remainder > half) | ((remainder == half) & (right > 0) & (floor % 2 == 1))
    return floor + round_up.astype(np.int64)


def requantize(accumulator: np.ndarray, shift: np.ndarray | int, bits: int) -> np.ndarray:
    """An accumulator at scale 2**-(f_in + f_w) to a `bits`-bit activation at 2**-f_out
    (shift = f_in + f_w - f_out), rounded and saturated as the engine does."""
    return saturate(shift_round(accumulator, shift), bits)
