"""How the accuracy model's settings were chosen (issue 9): coexplore's median HV regret on the
DEVELOPMENT table for each length scale / noise of the Gaussian process (search/surrogate.py), at
8/16/32 trainings, in the four scenarios of bench/search_quality.py. Tuning is allowed on the
development table only: this script refuses the held-out one.

    .venv/bin/python bench/tune_surrogate.py [--seeds 12] [--grid 0.5,0.1 1,0.1 ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEV_TABLE = REPO / "bench" / "tables" / "bench-dev.json"
GRID = ("0.3,0.1", "0.5,0.1", "1,0.05", "1,0.1", "1,0.3", "2,0.1")  # length scale, noise variance
BUDGETS = (8, 16, 32)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, default=DEV_TABLE)
    parser.add_argument("--seeds", type=int, default=12)
    parser.add_argument("--grid", nargs="+", default=list(GRID))
    args = parser.parse_args(argv)
    if "heldout" in args.table.name:
        print("refusing to tune on a held-out table (issue 9): use the development table", file=sys.stderr)
        return 2

    from coexplore.search import surrogate
    from coexplore.search.config import SearchConfig
    from coexplore.search.context import build_context
    from coexplore.search.quality import mean_accuracies, network_latencies, scenarios, strategy_curves
    from coexplore.search.table import BenchTable

    table = BenchTable.load(args.table)
    context = build_context(SearchConfig(table=str(args.table), device="zcu102", hardware={"precision": "int16"},
                                         budget=max(BUDGETS), sampler="thompson"), None)
    accuracies = mean_accuracies(table)
    cases = scenarios(network_latencies(context, accuracies), accuracies)
    print(f"{args.table.name}, {args.seeds} seeds: coexplore's median HV regret at {BUDGETS} trainings per scenario")
    print("lengthscale,noise | " + " | ".join(case.title for case in cases))
    for setting in args.grid:
        surrogate.LENGTHSCALE, surrogate.NOISE_VARIANCE = (float(x) for x in setting.split(","))
        started = time.perf_counter()
        cells = []
        for case in cases:
            regret = 100.0 - strategy_curves(context, "coexplore", case, range(args.seeds), max(BUDGETS), accuracies)
            cells.append(" ".join(f"{np.median(regret[:, b - 1]):4.1f}" for b in BUDGETS))
        print(f"{setting:17s} | " + " | ".join(cells) + f"   ({time.perf_counter() - started:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
