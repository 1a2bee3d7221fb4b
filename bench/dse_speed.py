"""How fast is the exhaustive hardware DSE, against a plain per-design Python loop?

For VGG16, ResNet-50 and the 8-stack hourglass (`newell8`) on ZCU102 at int16: the number of designs
in the space, the median time of `explore` over several runs, and the speed-up against two plain
loops over the same designs, timed on a random sample and extrapolated to the whole space:

- "lean loop": the cost kernel at 0-d, one design at a time (`kernel.workload_cycles`: only the
  total, over the unique op shapes, as the DSE sums it) — the fairest baseline;
- "evaluate loop": `cost.evaluate` per design (per-op rows, resources, fit) — what a tool without a
  vectorised path would call.

The last columns time the same space with per-layer tiles (`per_layer_tiles`, issue 12: each
layer takes its best tile within the buffers the explored tile sizes) and its best latency.

Usage: .venv/bin/python bench/dse_speed.py [--runs 5] [--sample 300]
Issue 2 target: the whole space in under 2 s on 2 cores and ≥ 100× faster than the loop; issue 12:
under 2 s with per-layer tiles too.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from coexplore.fpga import Design, DesignSettings, evaluate, explore, get_device
from coexplore.fpga.kernel import Target, bank_depths, buffer_placement, skip_storage, stack, workload_cycles
from coexplore.fpga.mapping import PreparedWorkload
from coexplore.fpga.space import design_space
from coexplore.workload import get_reference

DEVICE = "zcu102"
SETTINGS = DesignSettings(precision="int16")


def cases():
    yield "vgg16", get_reference("vgg16")
    yield "resnet50", get_reference("resnet50")
    try:  # the hourglass builder lives in coexplore.nets (another part of the project)
        from coexplore.nets import PRESETS, lower
    except ImportError as exc:
        print(f"newell8: skipped (coexplore.nets not importable: {exc})")
        return
    yield "newell8", lower(PRESETS["newell8"])


def sample_designs(prep: PreparedWorkload, target: Target, n: int, seed: int = 0) -> list[Design]:
    space = design_space(prep, target)
    rng = random.Random(seed)
    designs = []
    for _ in range(n):
        tm, tn = space.tm_tn[rng.randrange(len(space.tm_tn))]
        tr, tc = space.tiles[rng.randrange(len(space.tiles))]
        designs.append(Design(tm=int(tm), tn=int(tn), tr=int(tr), tc=int(tc), settings=SETTINGS,
                              ports_words_per_cycle=space.ports[rng.randrange(len(space.ports))]))
    return designs


def lean_cycles(prep: PreparedWorkload, target: Target, d: Design) -> float:
    """Total cycles of one design: the kernel at 0-d, skips placed as the DSE places them."""
    on_chip = False
    if target.settings.keep_skips_on_chip:
        geometries = stack([g for g, _ in prep.conv_counts(target.settings.schedule)])
        placed = buffer_placement(d.tm, d.tn, bank_depths(geometries, d.tr, d.tc, target.settings), target)
        on_chip = skip_storage(prep, target, placed.bram_total, placed.uram_total).on_chip
    return float(workload_cycles(prep, target, d.tm, d.tn, d.tr, d.tc, target.ports(d.ports_words_per_cycle),
                                 on_chip))


def per_design_cpu_s(fn, designs) -> float:
    started = time.process_time()
    for d in designs:
        fn(d)
    return (time.process_time() - started) / len(designs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sample", type=int, default=300)
    args = parser.parse_args()
    device = get_device(DEVICE)
    print(f"exhaustive DSE on {DEVICE} at {SETTINGS.precision}; median of {args.runs} runs; loops timed on "
          f"{args.sample} sampled designs and extrapolated")
    print("times are CPU seconds of this process (the machine is shared; wall time in brackets)")
    header = (f"{'net':10} {'designs':>9} {'fit':>9} {'DSE s (wall)':>14} {'lean loop s':>12} {'×':>6} "
              f"{'evaluate loop s':>16} {'×':>7} {'per-layer s':>11} {'ms':>8}  best design (ms)")
    print(header)
    for name, workload in cases():
        cpu, wall, res = [], [], None
        for _ in range(args.runs):
            started = time.process_time()
            res = explore(workload, device, SETTINGS)
            cpu.append(time.process_time() - started)
            wall.append(res.seconds)
        dse_s, dse_wall = statistics.median(cpu), statistics.median(wall)
        per_layer, layered = [], None
        for _ in range(args.runs):
            started = time.process_time()
            layered = explore(workload, device, SETTINGS.model_copy(update={"per_layer_tiles": True}))
            per_layer.append(time.process_time() - started)
        prepared = PreparedWorkload(workload)
        target = Target.of(device, SETTINGS)
        designs = sample_designs(prepared, target, args.sample)
        lean_s = per_design_cpu_s(lambda d: lean_cycles(prepared, target, d), designs) * res.n_designs
        full_s = per_design_cpu_s(lambda d: evaluate(workload, d, device, prepared=prepared),
                                  designs[: max(20, args.sample // 10)]) * res.n_designs
        print(f"{name:10} {res.n_designs:>9,} {res.n_fitting:>9,} {dse_s:>6.3f} ({dse_wall:>5.2f}) "
              f"{lean_s:>12.1f} {lean_s / dse_s:>6.0f} {full_s:>16.1f} {full_s / dse_s:>7.0f} "
              f"{statistics.median(per_layer):>11.3f} {layered.best_cost.total_ms:>8.2f}  "
              f"{res.best} ({res.best_cost.total_ms:.2f})")


if __name__ == "__main__":
    main()
