"""Exhaustive hardware design-space exploration for one workload on one device.

    res = explore(workload, "zcu102", DesignSettings(precision="int8", max_macs=1024))

The space (`space.py`) follows the settings: their limits (`max_macs`, `tile_shapes`), their port
policy, and every refinement of the cost model (P, double buffering, DDR efficiency, the input
halo, prologue/epilogue, skips on chip). Block RAM is checked first over the whole
`(array, tile)` grid; the latency of the designs that fit is evaluated by the cost kernel
(`kernel.workload_cycles`) in one pass per chunk of arrays, broadcasting over the unique op shapes.
Results (`front.py`): the fastest design, the best design of each of the `top_k` fastest MAC arrays,
and the Pareto front of latency vs DSP vs block RAM. Every design carries the settings as given;
its per-op cost comes from `evaluate`.
"""

from __future__ import annotations

import glob
import time
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Callable

import numpy as np

from coexplore.fpga.cost import WorkloadCost, evaluate
from coexplore.fpga.design import Design
from coexplore.fpga.devices import Device, get_device
from coexplore.fpga.fabric import fabric
from coexplore.fpga.front import best_index, pareto, top_arrays
from coexplore.fpga.kernel import (
    Ports,
    Target,
    bank_depths,
    buffer_placement,
    conv_cycles,
    dsp_count,
    skip_storage,
    stack,
    workload_cycles,
)
from coexplore.fpga.mapping import PreparedWorkload
from coexplore.fpga.settings import DesignSettings
from coexplore.fpga.space import DesignSpace, design_space
from coexplore.workload import Workload

CHUNK_ELEMS = 1 << 16  # design points per vectorised pass: 512 KB arrays stay in cache (2× faster than 1M)
WEIGHT_STAGES = (1, 2, 4, 8, 16)  # weight_stage_cycles the DSE tries (explore_weight_stages)
PROGRESS_AFTER_S = 1.0  # show a progress bar only for explorations longer than this


@dataclass
class DSEResult:
    """What `explore` found.

    `front` (Pareto-optimal in latency, DSP and block RAM, by latency) and `top` (the best design of
    each of the fastest MAC arrays) are lists of (Design, WorkloadCost); their costs are computed on
    first access, so a search that only needs `best` does not pay for them.
    """

    workload: str
    device: str
    settings: DesignSettings
    clock_mhz: float
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
            "workload": self.workload, "device": self.device, "settings": self.settings.model_dump(mode="json"),
            "precision": self.settings.precision, "clock_mhz": self.clock_mhz, "schedule": self.settings.schedule,
            "best": self.best.to_string() if self.best else None,
            "best_cost": self.best_cost.to_dict() if self.best_cost else None,
            "top": [pair(d, c) for d, c in self.top], "front": [pair(d, c) for d, c in self.front],
            "n_designs": self.n_designs, "n_fitting": self.n_fitting, "seconds": self.seconds, "space": self.space,
        }


def explore(workload: Workload, device: Device | str, settings: DesignSettings = DesignSettings(), *,
            top_k: int = 10, progress: bool = False, best_only: bool = False) -> DSEResult:
    """Evaluate every legal design of the space and return the best, the top arrays and the front
    (`best_only`: the best alone, which is all the weight-organisation search compares)."""
    if settings.explore_weight_stages:
        return _fastest_weight_stage(workload, device, settings, top_k=top_k, progress=progress)
    started = time.perf_counter()
    dev = get_device(device)
    target = Target.of(dev, settings)
    prep = PreparedWorkload(workload)
    space = design_space(prep, target)
    found = _sweep(prep, target, space, progress, started)

    def design_at(i: int) -> Design:
        tm, tn = space.tm_tn[found["pair"][i]]
        tr, tc = space.tiles[found["tile"][i]]
        ports = space.ports[found["port"][i]]
        layer_tiles = _layer_tiles(prep, target, space, int(tm), int(tn), int(tr), int(tc), ports) \
            if settings.per_layer_tiles else ()
        return Design(tm=int(tm), tn=int(tn), tr=int(tr), tc=int(tc), ports_words_per_cycle=ports,
                      layer_tiles=layer_tiles, settings=settings)

    cache: dict[Design, WorkloadCost] = {}

    def cost_of(design: Design) -> WorkloadCost:
        if design not in cache:
            cache[design] = evaluate(workload, design, dev, prepared=prep)
        return cache[design]

    best = best_cost = None
    top: list[Design] = []
    front: list[Design] = []
    if len(found["cycles"]):
        best = design_at(best_index(found, space))
        best_cost = cost_of(best)
        if not best_only:
            top = [design_at(i) for i in top_arrays(found, space, top_k)]
            front = [design_at(i) for i in pareto(found)]
    return DSEResult(
        workload=workload.name, device=dev.name, settings=settings, clock_mhz=target.clock_mhz,
        best=best, best_cost=best_cost, front_designs=front, top_designs=top,
        n_designs=space.size, n_fitting=found["n_fitting"], seconds=time.perf_counter() - started,
        space={"mac_arrays": len(space.tm_tn), "tiles": len(space.tiles), "port_options": len(space.ports),
               "tile_shapes": space.tile_shapes, "designs": space.size},
        cost_of=cost_of,
    )


def _fastest_weight_stage(workload: Workload, device: Device | str, settings: DesignSettings, *,
                          top_k: int, progress: bool) -> DSEResult:
    """The DSE once per weight-buffer organisation (`weight_stage_cycles`), keeping the one with the
    fastest design (ties go to fewer stages: Zhang's banks first). The stage count changes every
    bank's shape, so it is a sweep of its own, not an axis of the broadcast grid; the result's top
    and front are those of the chosen organisation, built once (per-layer tiles make them costly)."""
    started = time.perf_counter()
    stages = [settings.model_copy(update={"weight_stage_cycles": q, "explore_weight_stages": False})
              for q in WEIGHT_STAGES]
    runs = [explore(workload, device, stage, best_only=True, progress=progress) for stage in stages]
    fastest = min(range(len(runs)), key=lambda i: runs[i].best_cost.total_ms if runs[i].best_cost else float("inf"))
    chosen = explore(workload, device, stages[fastest], top_k=top_k, progress=progress)
    return replace(chosen, n_designs=sum(run.n_designs for run in runs), n_fitting=sum(run.n_fitting for run in runs),
                   seconds=time.perf_counter() - started,
                   space={**chosen.space, "weight_stages": list(WEIGHT_STAGES),
                          "designs": sum(run.n_designs for run in runs)})


def _sweep(prep: PreparedWorkload, target: Target, space: DesignSpace, progress: bool, started: float) -> dict:
    """Latency over the (MAC array × tile × port) grid in chunks of MAC arrays, by broadcasting, so
    what depends on the array alone or the tile alone is computed once per array or per tile.
    Keeps, for each (array, tile) that fits the block RAM, its best port option."""
    split = [p for p in space.ports if p is not None]
    options: list[tuple[Ports, list[int]]] = []  # each port kind with its indices into space.ports
    if split:
        widths = np.array(split, dtype=np.float64)[None, None, :, :]  # (1, 1, ports, 3)
        options.append((Ports(widths[..., 0], widths[..., 1], widths[..., 2], False),
                        [space.ports.index(p) for p in split]))
    if None in space.ports:
        options.append((target.ports(None), [space.ports.index(None)]))
    port_index = np.array([i for _, indices in options for i in indices], dtype=np.int64)
    tr, tc = space.tiles[:, 0][None, :, None], space.tiles[:, 1][None, :, None]
    per_shape = partial(tile_prefix_min, grid=space.tile_grid) if target.settings.per_layer_tiles else None
    in_depth, w_depth, out_depth = bank_depths(stack([g for g, _ in prep.conv_counts(target.settings.schedule)], 1),
                                               space.tiles[:, 0], space.tiles[:, 1], target.settings)
    depths = (in_depth[None, :], w_depth, out_depth[None, :])  # (1, tiles)
    dsp_all = dsp_count(space.tm_tn[:, 0], space.tm_tn[:, 1], target)
    bram_budget, uram_budget = target.device.budget("bram"), target.device.budget("uram")
    per_chunk = max(1, CHUNK_ELEMS // max(1, len(space.tiles) * len(space.ports)))
    parts: dict[str, list] = {k: [] for k in ("pair", "tile", "port", "cycles", "dsp", "bram")}
    n_fitting = 0
    bar = None
    for start in range(0, len(space.tm_tn), per_chunk):
        if progress and bar is None and time.perf_counter() - started > PROGRESS_AFTER_S:
            bar = _start_progress(len(space.tm_tn))
        pairs = np.arange(start, min(start + per_chunk, len(space.tm_tn)))
        tm, tn = space.tm_tn[pairs, 0][:, None], space.tm_tn[pairs, 1][:, None]
        placed = buffer_placement(tm, tn, depths, target)
        bram, uram = placed.bram_total, placed.uram_total  # (arrays, tiles)
        logic_fits = np.concatenate([fabric_fits(tm[..., None], tn[..., None], ports, target, len(indices))
                                     for ports, indices in options], axis=2)  # (arrays, 1, port options)
        fits = (bram <= bram_budget) & (uram <= uram_budget) & logic_fits.any(axis=2)
        if not fits.any():
            continue
        n_fitting += int((fits[..., None] & logic_fits).sum())
        skips = skip_storage(prep, target, bram, uram)
        on_chip = np.asarray(skips.on_chip)[..., None]
        cycles = [workload_cycles(prep, target, tm[..., None], tn[..., None], tr, tc, ports, on_chip, per_shape)
                  for ports, _ in options]
        cycles = np.concatenate(cycles, axis=2) if len(cycles) > 1 else cycles[0]
        cycles = np.where(logic_fits, cycles, np.inf)  # a port option whose logic does not fit
        best_port = np.argmin(cycles, axis=2)
        best_cycles = np.take_along_axis(cycles, best_port[..., None], axis=2)[..., 0]
        p_idx, t_idx = np.nonzero(fits)
        parts["pair"].append(pairs[p_idx])
        parts["tile"].append(t_idx)
        parts["port"].append(port_index[best_port[p_idx, t_idx]])
        parts["cycles"].append(best_cycles[p_idx, t_idx])
        parts["dsp"].append(dsp_all[pairs[p_idx]])
        parts["bram"].append((bram + skips.bram)[p_idx, t_idx])
        if bar is not None:
            bar[0].update(bar[1], completed=pairs[-1] + 1)
    if bar is not None:
        bar[0].stop()
    found = {k: (np.concatenate(v) if v else np.zeros(0, dtype=np.int64)) for k, v in parts.items()}
    found["n_fitting"] = n_fitting
    return found


def fabric_fits(tm, tn, ports: Ports, target: Target, n_options: int) -> np.ndarray:
    """Whether each array's LUT and FF (`fabric.py`) fit with each of the `n_options` port options
    of `ports` (shape (arrays, 1, n_options)); all true where the board gives no LUT/FF counts."""
    shape = np.broadcast_shapes(np.shape(tm), (1, 1, n_options))
    device = target.device
    if not device.fabric_known:
        return np.ones(shape, dtype=bool)
    logic = fabric(tm, tn, ports, target)
    ok = (logic.lut <= device.budget("lut")) & (logic.ff <= device.budget("ff"))
    return np.broadcast_to(ok, shape)


def tile_prefix_min(cycles: np.ndarray, grid: tuple[int, ...], axis: int = 1) -> np.ndarray:
    """Per-layer tiles: each entry becomes the least cycles over the tiles no larger in rows and
    cols. The tile axis (`axis`) is sorted ascending, as `grid` (tr values × tc values, or one axis of
    square tiles), so this is a running minimum along each grid axis. A layer's tile no larger than
    the explored one needs no deeper banks (`tile_words` grows with tr and tc), so the buffers the
    explored tile sizes hold every layer: the inner minimisation is separable per layer."""
    shape = cycles.shape
    out = cycles.reshape(shape[:axis] + grid + shape[axis + 1:])
    for k in range(len(grid)):
        out = np.minimum.accumulate(out, axis=axis + k)
    return out.reshape(shape)


def _layer_tiles(prep: PreparedWorkload, target: Target, space: DesignSpace, tm: int, tn: int, tr: int, tc: int,
                 ports) -> tuple[tuple[str, int, int], ...]:
    """The per-conv tiles `tile_prefix_min` chose for one design: (escaped op name, tr, tc) where a
    layer's best tile differs from the explored one. Ties go to the smaller tile (the first)."""
    allowed = space.tiles[(space.tiles[:, 0] <= tr) & (space.tiles[:, 1] <= tc)]
    port = target.ports(ports)
    best: dict = {}
    out = []
    for g, op in zip(prep.geometries(target.settings.schedule), prep.conv_ops):
        if g not in best:
            cycles = conv_cycles(g, target, tm, tn, allowed[:, 0], allowed[:, 1], port, breakdown=False).total
            best[g] = tuple(int(x) for x in allowed[int(np.argmin(cycles))])
        if best[g] != (tr, tc):
            out.append((glob.escape(op.name), *best[g]))
    return tuple(out)


def _start_progress(total: int):
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("hardware DSE"), BarColumn(), TextColumn("{task.completed}/{task.total} MAC arrays"),
                   TimeElapsedColumn(), console=Console(stderr=True), transient=True)
    bar.start()
    return bar, bar.add_task("dse", total=total)
