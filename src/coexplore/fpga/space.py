"""The hardware design space of one workload on one device under fixed settings.

Every MAC array `tm × tn` within the DSP budget (and `settings.max_macs`), every tile `tr × tc`,
every port option, keeping only *useful* values: `tm` ranges over `⌈M/k⌉` for the layers'
output-map counts M (any other tm gives the same trip counts as the next smaller useful one and
costs more), likewise `tn` over the N, and `tr`, `tc` over the tiled rows/cols. When every map of
the workload is square the tiles are square too (`tile_shapes="auto"`; "all" explores tr ≠ tc,
about 30× more points). Ports follow `settings.ports`: under `auto`, the (input, weight, output)
widths that are powers of two up to the widest port of the board, whose sum fits the DDR bandwidth
and that cannot be widened further, plus the single shared port unless a split gives every stream at
least its width (then the shared port is never faster); `shared` or one split restrict them. The
roofline schedule has no ports (board bandwidth).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from coexplore.errors import CoexploreError
from coexplore.fpga.kernel import Target
from coexplore.fpga.mapping import PreparedWorkload
from coexplore.fpga.resources import port_problems
from coexplore.fpga.settings import PortWords

SMALLEST_PORT_WORDS = 2.0 ** -3  # narrowest port considered (1/8 word per cycle)


@dataclass
class DesignSpace:
    tm_tn: np.ndarray  # (P, 2) MAC arrays within the budget
    tiles: np.ndarray  # (T, 2) tr, tc
    ports: list[PortWords | None]  # (ip, wp, op) splits, None = the shared port
    tile_shapes: str
    tile_grid: tuple[int, ...] = ()  # the tile axis as (tr values, tc values) when "all", else (tiles,)

    @property
    def size(self) -> int:
        return len(self.tm_tn) * len(self.tiles) * len(self.ports)


def useful_values(extents, cap: int | None = None) -> np.ndarray:
    """Every ⌈e/k⌉ for e in `extents`, k ≥ 1: the values where some trip count changes."""
    values: set[int] = set()
    for e in set(int(x) for x in extents):
        values.update(np.unique(-(-e // np.arange(1, e + 1))).tolist())
    out = np.array(sorted(values), dtype=np.int64)
    return out[out <= cap] if cap is not None else out


def port_options(ddr_words: float, widest_words: float) -> list[PortWords | None]:
    """Maximal power-of-two (input, weight, output) splits within the DDR bandwidth, plus shared."""
    widths = [2.0 ** k for k in range(int(math.log2(SMALLEST_PORT_WORDS)), 31) if 2.0 ** k <= widest_words + 1e-9]
    fits = lambda s: sum(s) <= ddr_words + 1e-9  # noqa: E731
    splits = [(a, b, c) for a in widths for b in widths for c in widths if fits((a, b, c))]
    maximal = [s for s in splits
               if all(s[i] * 2 > widest_words + 1e-9 or not fits(s[:i] + (s[i] * 2,) + s[i + 1:]) for i in range(3))]
    # the shared port is never faster than separate ports that are each at least as wide
    shared_words = min(ddr_words, widest_words)
    shared_dominated = any(min(s) >= shared_words - 1e-9 for s in maximal)
    return maximal if shared_dominated else [*maximal, None]


def design_space(prep: PreparedWorkload, target: Target) -> DesignSpace:
    s = target.settings
    geos = prep.geometries(s.schedule)
    if not geos:
        raise CoexploreError(f"workload {prep.workload.name!r} has no conv or fc op to map", field="net")
    dsp_per_mac = target.precision.dsp_per_mac[target.device.family]
    mac_budget = int(target.device.budget("dsp") / dsp_per_mac + 1e-9)
    if s.max_macs is not None:
        mac_budget = min(mac_budget, s.max_macs)
    if mac_budget < 1:
        raise CoexploreError(f"no MAC array fits: {target.device.budget('dsp')} usable DSP at "
                             f"{dsp_per_mac:g} DSP per {target.precision.name} MAC", field="device")
    tm_values = useful_values([g.m for g in geos], mac_budget)
    tn_values = useful_values([g.n for g in geos], mac_budget)
    tm_grid, tn_grid = np.meshgrid(tm_values, tn_values, indexing="ij")
    keep = tm_grid * tn_grid <= mac_budget
    tm_tn = np.stack([tm_grid[keep], tn_grid[keep]], axis=1)

    square = all(g.rows == g.cols for g in geos)
    shapes = "square" if s.tile_shapes == "square" or (s.tile_shapes == "auto" and square) else "all"
    tr_values = useful_values([g.rows for g in geos])
    tc_values = useful_values([g.cols for g in geos])
    if shapes == "square":
        both = np.union1d(tr_values, tc_values)
        tiles = np.stack([both, both], axis=1)
    else:
        tr_grid, tc_grid = np.meshgrid(tr_values, tc_values, indexing="ij")
        tiles = np.stack([tr_grid.ravel(), tc_grid.ravel()], axis=1)
    grid = (len(tiles),) if shapes == "square" else (len(tr_values), len(tc_values))
    return DesignSpace(tm_tn, tiles, _ports(target), shapes, grid)


def _ports(target: Target) -> list[PortWords | None]:
    s = target.settings
    if s.schedule == "roofline" or s.ports == "shared":
        return [None]
    if s.ports == "auto":
        return port_options(target.ddr_words, target.widest_port_words)
    problems = port_problems(s.ports, target)
    if problems:
        raise CoexploreError("; ".join(problems), field="settings.ports",
                             fix="give a split the board can feed, or ports=auto")
    return [s.ports]
