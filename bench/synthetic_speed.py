"""Synthetic figure generator speed at 128×128 on one core (target ≥ 200 images/s).

Prints the median of several runs, in images per wall second and per CPU second (the latter is
robust to other processes sharing the machine), and ratios against baselines measured in the
same run: the real MPII loader (JPEG decode + affine crop of a 1280×720 photo) and the scene
geometry alone (no pixels). Never asserts: benchmarks report, tests check correctness.

    .venv/bin/python bench/synthetic_speed.py [--n 200] [--runs 5] [--res 128]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path
from typing import Callable

import torch

from coexplore.pose import open_dataset

TARGET_IMAGES_PER_S = 200  # issue 4: at least 200 images/s at 128×128 on one core
SHARED_DATA = Path(
    os.environ.get("COEXPLORE_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data")
)


def measure(fetch: Callable[[int], object], n: int, runs: int, offset: int = 0) -> tuple[float, float]:
    """Median images/s over `runs` runs of `n` fetches: (per wall second, per CPU second)."""
    wall, cpu = [], []
    for run in range(runs):
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        for i in range(n):
            fetch(offset + run * n + i)
        wall.append(n / (time.perf_counter() - start_wall))
        cpu.append(n / max(time.process_time() - start_cpu, 1e-9))
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="images per run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--res", type=int, default=128)
    args = parser.parse_args()
    torch.set_num_threads(1)

    synthetic = open_dataset("synthetic", "train", args.res, size=args.n * args.runs + 1)
    augmented = open_dataset("synthetic", "train", args.res, size=args.n * args.runs + 1, augment=True)
    measure(lambda i: synthetic[i], 20, 1)  # warm-up (imports, noise bank)
    rows = [
        ("synthetic, full sample", *measure(lambda i: synthetic[i], args.n, args.runs)),
        ("synthetic, augmented", *measure(lambda i: augmented[i], args.n, args.runs)),
        ("synthetic, geometry only (targets)", *measure(lambda i: synthetic.targets(i), args.n, args.runs)),
    ]
    mpii_json = SHARED_DATA / "mmpose_fixtures" / "mpii" / "test_mpii.json"
    if mpii_json.is_file():
        real = open_dataset(f"mpii:{mpii_json}", "train", args.res, holdout="none")
        rows.append(
            ("baseline: real MPII JPEG crop", *measure(lambda i: real[i % len(real)], max(20, args.n // 4), args.runs))
        )
    else:
        print(f"(MPII fixture not found at {mpii_json}: real-loader baseline skipped)")

    full_wall, full_cpu = rows[0][1], rows[0][2]
    baseline_cpu = rows[-1][2] if len(rows) > 3 else None
    print(f"synthetic generator at {args.res}×{args.res}, 1 thread, median of {args.runs} runs × {args.n} images")
    print(f"{'what':38s} {'img/s wall':>11s} {'img/s CPU':>10s} {'× real crop (CPU)':>18s}")
    for name, wall, cpu in rows:
        ratio = f"{cpu / baseline_cpu:18.2f}" if baseline_cpu else f"{'-':>18s}"
        print(f"{name:38s} {wall:11.0f} {cpu:10.0f} {ratio}")
    verdict = "meets" if full_cpu >= TARGET_IMAGES_PER_S else "MISSES"
    print(
        f"target ≥ {TARGET_IMAGES_PER_S} img/s on one core: {verdict} it ({full_cpu:.0f} per CPU second; {full_wall:.0f} per wall second on this machine now)"
    )


if __name__ == "__main__":
    main()
