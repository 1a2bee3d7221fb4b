"""Exhaustive hardware design-space exploration for one workload on one device.

The space (`design_space`): every MAC array `tm × tn` within the DSP budget (and `max_macs`), every
tile `tr × tc`, every port split, keeping only *useful* values: `tm` ranges over `⌈M/k⌉` for the
layers' output-map counts M (any other tm gives the same trip counts as the next smaller useful one
and costs more), likewise `tn` over the N, and `tr`, `tc` over the tiled rows/cols. When every map
of the workload is square the tiles are square too (`tile_shapes="auto"`; "all" explores tr ≠ tc,
about 30× more points). Port splits: (input, weight, output) widths that are powers of two up to the
widest port of the board, whose sum fits the DDR bandwidth and that cannot be widened further, plus
the single shared port unless a split gives every stream at least its width (then the shared
port is never faster). The roofline schedule has no ports (board bandwidth).

Block RAM is checked first over the whole `(array, tile)` grid; the latency of the designs that fit
is evaluated in one vectorised pass per chunk of arrays (`vectorized.BatchModel`), over the unique
op shapes. Results: the fastest design (ties: fewer DSP, then fewer block RAMs, then narrower
ports), the best design of each of the `top_k` fastest MAC arrays, and the Pareto front of latency
vs DSP vs block RAM. Their costs come from the scalar model, which is checked against the vector one.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from coexplore.errors import CoexploreError
from coexplore.fpga.cost import PreparedWorkload, WorkloadCost, evaluate
from coexplore.fpga.design import SCHEDULES, Design
from coexplore.fpga.devices import Device, get_device
from coexplore.fpga.mapping import conv_geometry
from coexplore.fpga.precision import get_precision
from coexplore.fpga.resources import max_port_words
from coexplore.fpga.vectorized import BatchModel, BatchSettings
from coexplore.workload import Workload

CHUNK_ELEMS = 1 << 16  # design points per vectorised pass: 512 KB arrays stay in cache (2× faster than 1M)
PROGRESS_AFTER_S = 1.0  # show a progress bar only for explorations longer than this
SMALLEST_PORT_WORDS = 2.0 ** -3  # narrowest port considered (1/8 word per cycle)
AGREEMENT_RTOL = 1e-9  # scalar and vector paths must agree to rounding


@dataclass
class DesignSpace:
    tm_tn: np.ndarray  # (P, 2) MAC arrays within the budget
    tiles: np.ndarray  # (T, 2) tr, tc
    ports: list  # (ip, wp, op) tuples, None = the shared port
    tile_shapes: str

    @property
    def size(self) -> int:
        return len(self.tm_tn) * len(self.tiles) * len(self.ports)


@dataclass
class DSEResult:
    """What `explore` found.

    `front` (Pareto-optimal in latency, DSP and block RAM, by latency) and `top` (the best design of
    each of the fastest MAC arrays) are lists of (Design, WorkloadCost); their costs are computed on
    first access, so a search that only needs `best` does not pay for them.
    """

    workload: str
    device: str
    precision: str
    clock_mhz: float
    schedule: str
    best: Design | None
    best_cost: WorkloadCost | None
    front_designs: list[Design]
    top_designs: list[Design]
    n_designs: int
    n_fitting: int
    seconds: float
    space: dict = field(default_factory=dict)
    cost_of: Callable[[Design], WorkloadCost] | None = field(default=None, repr=False)

    @property
    def front(self) -> list[tuple[Design, WorkloadCost]]:
        return [(d, self._cost(d)) for d in self.front_designs]

    @property
    def top(self) -> list[tuple[Design, WorkloadCost]]:
        return [(d, self._cost(d)) for d in self.top_designs]

    def _cost(self, design: Design) -> WorkloadCost:
        if self.cost_of is None:
            raise RuntimeError("this DSEResult carries no workload to cost designs with")
        return self.cost_of(design)

    def to_dict(self) -> dict:
        def pair(d: Design, c: WorkloadCost) -> dict:
            return {"design": d.to_string(), "total_ms": c.total_ms, "compute_ms": c.compute_ms,
                    "memory_ms": c.memory_ms, "gops": c.gops, "dsp": c.dsp, "bram18": c.bram18, "uram": c.uram,
                    "bandwidth_gbps": c.bandwidth_gbps}

        return {
            "workload": self.workload, "device": self.device, "precision": self.precision,
            "clock_mhz": self.clock_mhz, "schedule": self.schedule,
            "best": self.best.to_string() if self.best else None,
            "best_cost": self.best_cost.to_dict() if self.best_cost else None,
            "top": [pair(d, c) for d, c in self.top], "front": [pair(d, c) for d, c in self.front],
            "n_designs": self.n_designs, "n_fitting": self.n_fitting, "seconds": self.seconds, "space": self.space,
        }


# --- the space ------------------------------------------------------------------------------------
def useful_values(extents, cap: int | None = None) -> np.ndarray:
    """Every ⌈e/k⌉ for e in `extents`, k ≥ 1: the values where some trip count changes."""
    values: set[int] = set()
    for e in set(int(x) for x in extents):
        values.update(np.unique(-(-e // np.arange(1, e + 1))).tolist())
    out = np.array(sorted(values), dtype=np.int64)
    return out[out <= cap] if cap is not None else out


def port_options(ddr_words: float, widest_words: float) -> list[tuple[float, float, float] | None]:
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


def design_space(workload: Workload, model: BatchModel, max_macs: int | None, tile_shapes: str) -> DesignSpace:
    s = model.settings
    geos = [conv_geometry(op, s.schedule) for op in workload.convs()]
    if not geos:
        raise CoexploreError(f"workload {workload.name!r} has no conv or fc op to map", field="net")
    dsp_per_mac = model.precision.dsp_per_mac[model.device.family]
    mac_budget = int(model.device.budget("dsp") / dsp_per_mac + 1e-9)
    if max_macs is not None:
        mac_budget = min(mac_budget, int(max_macs))
    if mac_budget < 1:
        raise CoexploreError(f"no MAC array fits: {model.device.budget('dsp')} usable DSP at "
                             f"{dsp_per_mac:g} DSP per {model.precision.name} MAC", field="device")
    tm_values = useful_values([g.m for g in geos], mac_budget)
    tn_values = useful_values([g.n for g in geos], mac_budget)
    tm_grid, tn_grid = np.meshgrid(tm_values, tn_values, indexing="ij")
    keep = tm_grid * tn_grid <= mac_budget
    tm_tn = np.stack([tm_grid[keep], tn_grid[keep]], axis=1)

    square = all(g.rows == g.cols for g in geos)
    if tile_shapes not in ("auto", "square", "all"):
        raise CoexploreError(f"unknown value {tile_shapes!r}", field="tile_shapes", fix="use auto, square or all")
    shapes = "square" if tile_shapes == "square" or (tile_shapes == "auto" and square) else "all"
    tr_values = useful_values([g.rows for g in geos])
    tc_values = useful_values([g.cols for g in geos])
    if shapes == "square":
        both = np.union1d(tr_values, tc_values)
        tiles = np.stack([both, both], axis=1)
    else:
        tr_grid, tc_grid = np.meshgrid(tr_values, tc_values, indexing="ij")
        tiles = np.stack([tr_grid.ravel(), tc_grid.ravel()], axis=1)
    ports = [None] if s.schedule == "roofline" else port_options(model.ddr_words,
                                                                 max_port_words(model.device, model.precision))
    return DesignSpace(tm_tn, tiles, ports, shapes)


# --- exploration ----------------------------------------------------------------------------------
def explore(
    workload: Workload,
    device: Device | str,
    precision: str = "int16",
    clock_mhz: float | None = None,
    max_macs: int | None = None,
    keep_skips_on_chip: bool = False,
    schedule: str = "overlap",
    progress: bool = False,
    *,
    double_buffer: bool = True,
    pipeline_overhead_cycles: int = 0,
    ddr_efficiency: float = 1.0,
    tile_shapes: str = "auto",
    top_k: int = 10,
) -> DSEResult:
    """Evaluate every legal design of the space and return the best, the top arrays and the front."""
    started = time.perf_counter()
    dev = get_device(device)
    get_precision(precision)
    if schedule not in SCHEDULES:
        from coexplore.errors import choice_error

        raise choice_error("schedule", schedule, SCHEDULES)
    settings = BatchSettings(precision=precision.lower(), clock_mhz=clock_mhz, schedule=schedule,
                             double_buffer=double_buffer, pipeline_overhead_cycles=pipeline_overhead_cycles,
                             ddr_efficiency=ddr_efficiency, keep_skips_on_chip=keep_skips_on_chip)
    model = BatchModel(workload, dev, settings)
    space = design_space(workload, model, max_macs, tile_shapes)
    found = _sweep(model, space, progress, started)

    def design_at(i: int) -> Design:
        tm, tn = space.tm_tn[found["pair"][i]]
        tr, tc = space.tiles[found["tile"][i]]
        return Design(tm=int(tm), tn=int(tn), tr=int(tr), tc=int(tc), precision=settings.precision,
                      clock_mhz=clock_mhz, ports_words_per_cycle=space.ports[found["port"][i]],
                      ddr_efficiency=ddr_efficiency, double_buffer=double_buffer,
                      pipeline_overhead_cycles=pipeline_overhead_cycles, keep_skips_on_chip=keep_skips_on_chip,
                      schedule=schedule)

    prepared = PreparedWorkload(workload)
    vector_cycles: dict[Design, float] = {}
    cache: dict[Design, WorkloadCost] = {}

    def cost_of(design: Design) -> WorkloadCost:
        if design not in cache:
            cache[design] = evaluate(workload, design, dev, prepared=prepared)
            if design in vector_cycles:
                _check_agreement(cache[design], vector_cycles[design])
        return cache[design]

    def chosen(indices) -> list[Design]:
        designs = [design_at(int(i)) for i in indices]
        for i, d in zip(indices, designs):
            vector_cycles[d] = float(found["cycles"][int(i)])
        return designs

    best = best_cost = None
    top: list[Design] = []
    front: list[Design] = []
    if len(found["cycles"]):
        best = chosen([_best_index(found, space)])[0]
        best_cost = cost_of(best)
        top = chosen(_top_arrays(found, space, top_k))
        front = chosen(_pareto(found))
    return DSEResult(
        workload=workload.name, device=dev.name, precision=settings.precision, clock_mhz=model.clock_mhz,
        schedule=schedule, best=best, best_cost=best_cost, front_designs=front, top_designs=top,
        n_designs=space.size, n_fitting=found["n_fitting"], seconds=time.perf_counter() - started,
        space={"mac_arrays": len(space.tm_tn), "tiles": len(space.tiles), "port_options": len(space.ports),
               "tile_shapes": space.tile_shapes, "designs": space.size},
        cost_of=cost_of,
    )


def _sweep(model: BatchModel, space: DesignSpace, progress: bool, started: float) -> dict:
    """Latency over the (MAC array × tile × port) grid in chunks of MAC arrays, by broadcasting, so
    what depends on the array alone or the tile alone is computed once per array or per tile.
    Keeps, for each (array, tile) that fits the block RAM, its best port option."""
    split_ports = [p for p in space.ports if p is not None]
    ip, wp, op, _ = model.port_arrays(split_ports) if split_ports else (None,) * 4
    has_shared = None in space.ports
    port_index = [space.ports.index(p) for p in split_ports] + ([space.ports.index(None)] if has_shared else [])
    port_index = np.array(port_index, dtype=np.int64)
    tr, tc = space.tiles[:, 0][None, :, None], space.tiles[:, 1][None, :, None]
    dsp_all = model.dsp(space.tm_tn[:, 0], space.tm_tn[:, 1])
    bram_budget = model.device.budget("bram")
    per_chunk = max(1, CHUNK_ELEMS // max(1, len(space.tiles) * len(space.ports)))
    parts: dict[str, list] = {k: [] for k in ("pair", "tile", "port", "cycles", "dsp", "bram")}
    n_fitting = 0
    bar = None
    for start in range(0, len(space.tm_tn), per_chunk):
        if progress and bar is None and time.perf_counter() - started > PROGRESS_AFTER_S:
            bar = _start_progress(len(space.tm_tn))
        pairs = np.arange(start, min(start + per_chunk, len(space.tm_tn)))
        tm, tn = space.tm_tn[pairs, 0][:, None, None], space.tm_tn[pairs, 1][:, None, None]
        bram = model.buffer_blocks(tm, tn, tr, tc)[..., 0]  # (arrays, tiles)
        fits = bram <= bram_budget
        if not fits.any():
            continue
        n_fitting += int(fits.sum()) * len(space.ports)
        on_chip, skip_bram, _ = model.skip_storage(bram)
        on_chip = on_chip[..., None]
        options = []
        if split_ports:
            options.append(model.cycles(tm, tn, tr, tc, ip[None, None, :], wp[None, None, :], op[None, None, :],
                                        False, skips_on_chip=on_chip, breakdown=False)[0])
        if has_shared:
            w = model.shared_words
            options.append(model.cycles(tm, tn, tr, tc, w, w, w, True, skips_on_chip=on_chip, breakdown=False)[0])
        cycles = np.concatenate(options, axis=2) if len(options) > 1 else options[0]
        best_port = np.argmin(cycles, axis=2)
        best_cycles = np.take_along_axis(cycles, best_port[..., None], axis=2)[..., 0]
        p_idx, t_idx = np.nonzero(fits)
        parts["pair"].append(pairs[p_idx])
        parts["tile"].append(t_idx)
        parts["port"].append(port_index[best_port[p_idx, t_idx]])
        parts["cycles"].append(best_cycles[p_idx, t_idx])
        parts["dsp"].append(dsp_all[pairs[p_idx]])
        parts["bram"].append(bram[p_idx, t_idx] + skip_bram[p_idx, t_idx])
        if bar is not None:
            bar[0].update(bar[1], completed=pairs[-1] + 1)
    if bar is not None:
        bar[0].stop()
    found = {k: (np.concatenate(v) if v else np.zeros(0, dtype=np.int64)) for k, v in parts.items()}
    found["n_fitting"] = n_fitting
    return found


def _start_progress(total: int):
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("hardware DSE"), BarColumn(), TextColumn("{task.completed}/{task.total} MAC arrays"),
                   TimeElapsedColumn(), console=Console(stderr=True), transient=True)
    bar.start()
    return bar, bar.add_task("dse", total=total)


def _port_width(space: DesignSpace, port_idx: np.ndarray) -> np.ndarray:
    widths = np.array([0.0 if p is None else sum(p) for p in space.ports])
    return widths[port_idx]


def _ranked(found: dict, space: DesignSpace, rows: np.ndarray) -> np.ndarray:
    """`rows` by latency, then DSP, block RAM, port width (latency rounded to ignore float noise)."""
    keys = (_port_width(space, found["port"][rows]), found["bram"][rows], found["dsp"][rows],
            np.round(found["cycles"][rows], 6))
    return rows[np.lexsort(keys)]


def _best_index(found: dict, space: DesignSpace) -> int:
    cycles = np.round(found["cycles"], 6)
    return int(_ranked(found, space, np.flatnonzero(cycles == cycles.min()))[0])


def _top_arrays(found: dict, space: DesignSpace, k: int) -> list[int]:
    """The best design of each of the k fastest distinct MAC arrays (rows come grouped by array)."""
    pair = found["pair"]
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    fastest = np.minimum.reduceat(np.round(found["cycles"], 6), starts)
    ends = np.r_[starts[1:], len(pair)]
    if k < len(fastest):  # every array tied with the k-th fastest competes for the last places
        groups = np.flatnonzero(fastest <= np.partition(fastest, k - 1)[k - 1])
    else:
        groups = np.arange(len(fastest))
    picked = np.array([_ranked(found, space, np.arange(starts[g], ends[g]))[0] for g in groups])
    return _ranked(found, space, picked)[:k].tolist()


def _pareto(found: dict) -> list[int]:
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


def _check_agreement(cost: WorkloadCost, vector_cycles: float) -> None:
    if not math.isclose(cost.total_cycles, float(vector_cycles), rel_tol=AGREEMENT_RTOL):
        raise RuntimeError(f"internal: vectorised ({vector_cycles}) and scalar ({cost.total_cycles}) cost "
                           f"models disagree for {cost.design}")
