"""A worker process: `python -m coexplore.search.worker --storage URL --study NAME [--worker I]`.

Started by `run_search` for `--workers N` (one per GPU or CPU-core share) and, through
`coexplore worker`, on other machines. CPU pinning happens before torch is imported, so the
trainer sizes its thread pool to this worker's share of the cores (the GPU comes from the
environment the parent set, `coexplore.placement`).
"""

from __future__ import annotations

import argparse
import sys

from coexplore.placement import Placement, parse_cpus


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="coexplore-worker")
    parser.add_argument("--storage", required=True)
    parser.add_argument("--study", required=True)
    parser.add_argument("--worker", type=int, default=0)
    parser.add_argument("--run-dir", default=None)
    parser.add_argument("--cpus", default=None, help="comma-separated CPU cores to pin this worker to")
    parser.add_argument("--config", default=None, help="override the study's stored config (paths on this machine)")
    args = parser.parse_args(argv)
    Placement(cpus=parse_cpus(args.cpus)).apply()

    from coexplore.errors import CoexploreError
    from coexplore.search.config import load_config
    from coexplore.search.runner import join_study

    try:
        config = load_config(args.config) if args.config else None
        progress = join_study(args.storage, args.study, worker=args.worker, config=config, run_dir=args.run_dir)
    except CoexploreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"worker {args.worker} done: {progress.trainings} trainings, {progress.finished} trials in {args.study}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
