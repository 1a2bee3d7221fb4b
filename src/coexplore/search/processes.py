"""Local worker processes: N `python -m coexplore.search.worker` processes join one study through
its storage, each at its own place (a GPU, or a share of the CPU cores: `coexplore.placement`),
while this process prints their trials as they finish and reports the first worker that failed.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from coexplore.errors import CoexploreError
from coexplore.placement import Placement, format_cpus, placements

PARENT_POLL_S = 1.0
WORKER_MODULE = "coexplore.search.worker"

# (strategy, finished trial) → one progress line
Printer = Callable[[str, FrozenTrial], None]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the worker gets SIGKILL when the parent dies (kill -9 of the search kills its workers)."""
    try:
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except Exception:  # not Linux / no glibc: the workers outlive a killed parent and finish alone
        pass


def worker_command(storage_url: str, study_name: str, worker: int, run_dir: Path, place: Placement) -> list[str]:
    command = [sys.executable, "-m", WORKER_MODULE, "--storage", storage_url, "--study", study_name,
               "--worker", str(worker), "--run-dir", str(run_dir)]
    cpus = format_cpus(place.cpus)
    if cpus:
        command += ["--cpus", cpus]
    return command


def run_worker_processes(
    storage: Any, storage_url: str, study_name: str, strategy: str, workers: int, run_dir: Path,
    printer: Printer | None,
) -> None:
    """Run `workers` processes on the study until all exit; their logs go to `RUN/logs/`."""
    logs = run_dir / "logs"
    logs.mkdir(exist_ok=True)
    processes = []
    for index, place in enumerate(placements(workers)):
        log_path = logs / f"{study_name}-worker{index}.log"
        with open(log_path, "a") as handle:
            processes.append((subprocess.Popen(
                worker_command(storage_url, study_name, index, run_dir, place),
                env=place.env(), stdout=handle, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
            ), log_path))
    seen: set[int] = set()
    study = optuna.load_study(study_name=study_name, storage=storage)
    try:
        while any(p.poll() is None for p, _ in processes):
            _print_new(study, seen, strategy, printer)
            time.sleep(PARENT_POLL_S)
    finally:
        for process, _ in processes:
            if process.poll() is None:
                process.terminate()
    _print_new(study, seen, strategy, printer)
    # A worker that exits 0 saw the study done. One killed by a signal (kill -9, the OOM killer)
    # is no error then: its trial went stale and a live worker retried it. A worker that exited
    # with an error, or a study left unfinished because every worker was killed, is one.
    errors = [(p.returncode, log) for p, log in processes if p.returncode > 0]
    killed = [(p.returncode, log) for p, log in processes if p.returncode < 0]
    survived = any(p.returncode == 0 for p, _ in processes)
    for code, log in errors or ([] if survived else killed)[:1]:
        tail = log.read_text().strip().splitlines()[-1:] or ["(empty log)"]
        raise CoexploreError(f"a worker of {study_name} exited with code {code}: {tail[0]}", field="workers",
                             fix=f"see {log}; re-run the same command to resume")


def _print_new(study: optuna.Study, seen: set[int], strategy: str, printer: Printer | None) -> None:
    if printer is None:
        return
    for trial in sorted(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)),
                        key=lambda t: t.number):
        if trial.number not in seen:
            seen.add(trial.number)
            printer(strategy, trial)
