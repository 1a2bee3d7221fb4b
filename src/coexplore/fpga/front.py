"""Choosing among the designs the DSE swept: the fastest, the best of each of the fastest MAC
arrays, and the Pareto front of latency vs DSP vs block RAM.

`found` holds one row per (MAC array, tile) that fits, grouped by MAC array: its `pair`, `tile`
and best `port` index into the space, and its `cycles`, `dsp` and `bram`. Ties on latency go to
fewer DSP, then fewer block RAMs, then narrower ports.
"""

from __future__ import annotations

import numpy as np

from coexplore.fpga.space import DesignSpace


def _port_width(space: DesignSpace, port_idx: np.ndarray) -> np.ndarray:
    widths = np.array([0.0 if p is None else sum(p) for p in space.ports])
    return widths[port_idx]


def ranked(found: dict, space: DesignSpace, rows: np.ndarray) -> np.ndarray:
    """`rows` by latency, then DSP, block RAM, port width (latency rounded to ignore float noise)."""
    keys = (_port_width(space, found["port"][rows]), found["bram"][rows], found["dsp"][rows],
            np.round(found["cycles"][rows], 6))
    return rows[np.lexsort(keys)]


def best_index(found: dict, space: DesignSpace) -> int:
    cycles = np.round(found["cycles"], 6)
    return int(ranked(found, space, np.flatnonzero(cycles == cycles.min()))[0])


def top_arrays(found: dict, space: DesignSpace, k: int) -> list[int]:
    """The best design of each of the k fastest distinct MAC arrays (rows come grouped by array)."""
    pair = found["pair"]
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    fastest = np.minimum.reduceat(np.round(found["cycles"], 6), starts)
    ends = np.r_[starts[1:], len(pair)]
    if k < len(fastest):  # every array tied with the k-th fastest competes for the last places
        groups = np.flatnonzero(fastest <= np.partition(fastest, k - 1)[k - 1])
    else:
        groups = np.arange(len(fastest))
    picked = np.array([ranked(found, space, np.arange(starts[g], ends[g]))[0] for g in groups])
    return ranked(found, space, picked)[:k].tolist()


def pareto(found: dict) -> list[int]:
    """Pareto-optimal points in (cycles, DSP, block RAM), sorted by cycles; one per distinct point.

    First drop the points beaten inside their MAC array, then inside their DSP level, by one with
    ≤ block RAM and ≤ latency (segmented running minima, vectorised). Then sweep the DSP levels upwards keeping, for every
    block-RAM count b, the lowest latency seen so far with block RAM ≤ b (a staircase array): a point
    is dominated by a lower DSP level if that staircase is ≤ its latency.
    """
    cycles, dsp, bram = np.round(found["cycles"], 6), found["dsp"], found["bram"].astype(np.int64)
    # rows come grouped by MAC array (same DSP) with block RAM rising with the tile: a cheap first cut
    candidates = _beaten_in_group(cycles, bram, found["pair"], np.arange(len(cycles)))
    order = candidates[np.lexsort((cycles[candidates], bram[candidates], dsp[candidates]))]
    survivors = _beaten_in_group(cycles, bram, dsp, order)

    staircase = np.full(int(bram.max()) + 2, np.inf)
    keep: list[np.ndarray] = []
    s_dsp = dsp[survivors]
    bounds = np.flatnonzero(np.r_[True, s_dsp[1:] != s_dsp[:-1], True])
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        idx = survivors[lo:hi]
        alive = staircase[bram[idx]] > cycles[idx]
        if alive.any():
            idx = idx[alive]
            keep.append(idx)
            level_stairs = np.full_like(staircase, np.inf)
            np.minimum.at(level_stairs, bram[idx], cycles[idx])
            staircase = np.minimum(staircase, np.minimum.accumulate(level_stairs))
    if not keep:
        return []
    chosen = np.concatenate(keep)
    return chosen[np.lexsort((bram[chosen], dsp[chosen], cycles[chosen]))].tolist()


def _beaten_in_group(cycles, bram, group, order) -> np.ndarray:
    """`order` without the rows beaten by an earlier row of the same group with ≤ block RAM and ≤
    latency (a segmented running minimum: later groups are shifted below earlier ones). Rows whose
    block RAM falls inside a group are only checked against rows that precede them."""
    c, g, b = cycles[order], group[order], bram[order]
    new_group = np.r_[True, g[1:] != g[:-1]]
    rising = np.r_[True, b[1:] >= b[:-1]] | new_group
    level = np.cumsum(new_group)
    offset = level * (c.max() + 1.0)
    running = np.minimum.accumulate(c - offset) + offset
    beaten = ~new_group & (np.r_[np.inf, running[:-1]] <= c)
    if not rising.all():  # block RAM not sorted inside some group: apply the rule only where it is
        beaten &= _sorted_prefix(rising, new_group)
    return order[~beaten]


def _sorted_prefix(rising: np.ndarray, new_group: np.ndarray) -> np.ndarray:
    """True where every row since the start of its group had block RAM ≥ the row before."""
    broken = np.cumsum(~rising)
    at_start = np.maximum.accumulate(np.where(new_group, broken, 0))
    return broken == at_start
