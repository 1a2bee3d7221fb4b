"""Search quality on the tabular benchmark: how much of the accuracy-vs-latency front each strategy
finds after 8, 16 and 32 trainings (issue 5, section 5).

Every network of the CPU space (configs/space-cpu.yaml, 48 networks) was trained once on synthetic
data (`coexplore bench-table build`, table in bench/tables/synthetic-cpu.json); here coexplore,
sequential and random replay against that table over many seeds, with their hardware from the
exhaustive DSE on the board. Reported: the median over seeds of the hypervolume (accuracy points ×
ms) each reached, as a fraction of the best possible (every network of the table evaluated), and
the ratios coexplore / random and coexplore / sequential measured in the same run.

Two scenarios: no latency budget (a pure two-objective search), and a latency budget at the median
latency of the table's networks (half of the space misses it: hardware-first rejection matters).

    .venv/bin/python bench/search_quality.py [--table FILE] [--seeds 10] [--device zcu102]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_TABLE = REPO / "bench" / "tables" / "synthetic-cpu.json"
BUDGETS = (8, 16, 32)
BASELINES = ("sequential", "random")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, default=DEFAULT_TABLE)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--device", default="zcu102")
    parser.add_argument("--precision", default="int16")
    parser.add_argument("--samplers", nargs="+", default=["nsga2", "ehvi"], help="the coexplore samplers to compare")
    args = parser.parse_args(argv)
    if not args.table.is_file():
        print(f"no table at {args.table}: build it with\n  coexplore bench-table build --space configs/space-cpu.yaml "
              f"--out {args.table} --budget 4 --train-size 1200 --val-size 200 --batch-size 16", file=sys.stderr)
        return 2

    from coexplore.results import hypervolume_reference, points_hypervolume
    from coexplore.search.config import SearchConfig
    from coexplore.search.replay import hypervolume_at, replay_strategy
    from coexplore.search.context import build_context
    from coexplore.search.table import BenchTable

    started = time.perf_counter()
    table = BenchTable.load(args.table)
    base = SearchConfig(table=str(args.table), device=args.device, hardware={"precision": args.precision},
                        budget=max(BUDGETS))
    context = build_context(base, None)
    # every network of the table on its best design: the ground-truth front
    truth = []
    for number, (spec, entry) in enumerate(table.complete_entries().items()):
        hw = context.hardware.best(spec)
        if hw.fits and hw.total_ms is not None:
            truth.append({"number": number, "spec": spec, "status": "complete", "feasible": True,
                          "accuracy": entry["accuracy"], "total_ms": hw.total_ms})
    latencies = sorted(r["total_ms"] for r in truth)
    print(f"table {args.table.name}: {len(table.entries)} networks ({len(truth)} complete and fitting), "
          f"accuracy {min(r['accuracy'] for r in truth):.2f}–{max(r['accuracy'] for r in truth):.2f} % {table.metric}, "
          f"latency {latencies[0]:.4g}–{latencies[-1]:.4g} ms on {args.device} {args.precision}")
    print(f"median over {args.seeds} seeds of the hypervolume reached, as % of the table's best\n")

    scenarios = {"no latency budget": None, "latency budget = median latency": statistics.median(latencies)}
    # rows: the co-exploration with each sampler, then the two baselines
    variants = {f"coexplore ({name})": ("coexplore", name) for name in args.samplers}
    variants.update({name: (name, None) for name in BASELINES})
    verdicts = []
    for title, latency_budget in scenarios.items():
        feasible_truth = [r for r in truth if latency_budget is None or r["total_ms"] <= latency_budget]
        reference = hypervolume_reference(latencies, accuracy_floor=None, latency_budget_ms=latency_budget)
        best_possible = points_hypervolume([r["accuracy"] for r in feasible_truth],
                                           [r["total_ms"] for r in feasible_truth], reference)
        medians: dict[str, dict[int, float]] = {}
        for label, (strategy, sampler) in variants.items():
            per_budget: dict[int, list[float]] = {b: [] for b in BUDGETS}
            changes = {"sampler": sampler} if sampler else {}
            for seed in range(args.seeds):
                records = replay_strategy(context, strategy, seed=seed, latency_budget_ms=latency_budget, **changes)
                for b in BUDGETS:
                    per_budget[b].append(100 * hypervolume_at(records, b, reference) / best_possible)
            medians[label] = {b: statistics.median(v) for b, v in per_budget.items()}
        print(f"## {title}" + (f" ({latency_budget:.4g} ms, {len(feasible_truth)} networks meet it)" if latency_budget else "")
              + f"; reference point ({reference.accuracy:g} %, {reference.total_ms:.4g} ms)")
        print(f"{'strategy':<20}" + "".join(f"{'HV@' + str(b):>10}" for b in BUDGETS))
        for label in variants:
            print(f"{label:<20}" + "".join(f"{medians[label][b]:>9.1f}%" for b in BUDGETS))
        for label in (v for v in variants if v.startswith("coexplore")):
            for other in BASELINES:
                ratios = [medians[label][b] / medians[other][b] if medians[other][b] else float("inf") for b in BUDGETS]
                print(f"{label.replace('coexplore', 'co') + ' / ' + other:<20}" + "".join(f"{r:>9.3f}×" for r in ratios))
            verdicts.append((label, title, _verdict(medians, label)))
        print()
    for label, title, verdict in verdicts:
        print(f"target (ahead of sequential and random at 8, 16, 32 trainings) — {label}, {title}: {verdict}")
    print(f"\nbenchmark time {time.perf_counter() - started:.1f} s")
    return 0


def _verdict(medians: dict[str, dict[int, float]], label: str) -> str:
    """MET when strictly ahead of both baselines at every budget; budgets where everyone found the
    whole front (100 %, every feasible network evaluated) count as ties, reported as such."""
    ahead, tied = [], []
    for b in BUDGETS:
        mine, best_other = medians[label][b], max(medians[o][b] for o in BASELINES)
        if mine > best_other:
            ahead.append(b)
        elif mine == best_other == 100.0:
            tied.append(b)
    if len(ahead) == len(BUDGETS):
        return "MET"
    if len(ahead) + len(tied) == len(BUDGETS):
        return f"met, with a tie at {tied} trainings (the whole front found by both)"
    return f"NOT met (ahead at {ahead or 'no'} trainings)"


if __name__ == "__main__":
    sys.exit(main())
