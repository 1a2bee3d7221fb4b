"""numpy kernels of the engine's ops, for real values (calibration) and integers (the reference).

`conv_sum` runs through float64 matrix products: integer operands of at most 16 bits give products
below 2**30 and sums far below 2**53, so the float64 result is exact and is rounded back to int64.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from coexplore.workload import Op

EXACT_FLOAT = 2.0**53


def conv_sum(x: np.ndarray, w: np.ndarray, op: Op) -> np.ndarray:
    """Σ w·x of a (grouped) conv, x (B, N, H, W), w (M, N/g, K, K), zero padding; float64."""
    if op.transposed:
        return _transposed_sum(x, w, op)
    p, s, k, g = op.padding, op.stride, op.kernel, op.groups
    xp = np.pad(np.asarray(x, dtype=np.float64), ((0, 0), (0, 0), (p, p), (p, p)))
    windows = sliding_window_view(xp, (k, k), axis=(2, 3))[:, :, ::s, ::s][:, :, :op.out_h, :op.out_w]
    b, n = x.shape[:2]
    m = w.shape[0]
    out = np.empty((b, m, op.out_h, op.out_w))
    ng, mg = n // g, m // g
    for group in range(g):
        cols = windows[:, group * ng:(group + 1) * ng]  # (B, n, R, C, K, K)
        wg = np.asarray(w[group * mg:(group + 1) * mg], dtype=np.float64).reshape(mg, -1)
        patches = cols.transpose(0, 2, 3, 1, 4, 5).reshape(b, op.out_h, op.out_w, -1)
        out[:, group * mg:(group + 1) * mg] = (patches @ wg.T).transpose(0, 3, 1, 2)
    return out


def _transposed_sum(x: np.ndarray, w: np.ndarray, op: Op) -> np.ndarray:
    """A transposed conv (w as (M, N, K, K)): input pixel (y, x) adds w[ky, kx]·x to output
    (S·y − p + ky, S·x − p + kx)."""
    k, s, p = op.kernel, op.stride, op.padding
    b, _, h, wd = x.shape
    full = np.zeros((b, w.shape[0], (h - 1) * s + k, (wd - 1) * s + k))
    xf = np.asarray(x, dtype=np.float64)
    for ky in range(k):
        for kx in range(k):
            tap = np.einsum("bnhw,mn->bmhw", xf, np.asarray(w[:, :, ky, kx], dtype=np.float64))
            full[:, :, ky:ky + (h - 1) * s + 1:s, kx:kx + (wd - 1) * s + 1:s] += tap
    return full[:, :, p:p + op.out_h, p:p + op.out_w]


def int_conv_sum(x: np.ndarray, w: np.ndarray, op: Op) -> np.ndarray:
    bound = float(np.abs(x).max(initial=0)) * float(np.abs(w).max(initial=0)) * w[0].size
    assert bound < EXACT_FLOAT, "operands too wide for an exact float64 sum"
    return np.rint(conv_sum(x, w, op)).astype(np.int64)


def pool(x: np.ndarray, op: Op) -> np.ndarray:
    """Max, or the window sum for an average pool (the caller scales it)."""
    windows = sliding_window_view(x, (op.kernel, op.kernel), axis=(2, 3))[:, :, ::op.stride, ::op.stride]
    windows = windows[:, :, :op.out_h, :op.out_w]
    return windows.max(axis=(4, 5)) if (op.mode or "max") == "max" else windows.sum(axis=(4, 5))


def upsample(x: np.ndarray, op: Op) -> np.ndarray:
    factor = op.out_h // op.in_h
    return x.repeat(factor, axis=2).repeat(factor, axis=3)
