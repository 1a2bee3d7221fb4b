"""`run_search`: check the config, evaluate the baseline, run each strategy's study with N workers,
write `RUN/results.json`.

Workers: with `workers: 1` the study runs in this process; with N > 1, N worker processes
(`python -m coexplore.search.worker`) join the same study through the storage, one per GPU
(`CUDA_VISIBLE_DEVICES`) when GPUs exist, else each on its share of the CPU cores. Other machines
join with `coexplore worker --storage URL --study NAME`: the study carries its config in its user
attributes. Resume: re-running the same command loads the studies and continues them; completed
trials stay, the trials of dead workers are failed after the heartbeat grace period and retried.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna
import yaml
from optuna.trial import FrozenTrial, TrialState

from coexplore.errors import CoexploreError
from coexplore.search.config import SearchConfig, parse_config
from coexplore.search.records import BUDGET_EVALUATIONS, trial_attrs
from coexplore.search.results import build_results, write_results
from coexplore.search.storage import check_url, default_storage_url, make_storage
from coexplore.search.candidates import seed_study
from coexplore.search.components import Components, build_components
from coexplore.search.strategies import StudyProgress, make_objective, open_study, plan_for, run_worker

STUDY_CONFIG_ATTR = "coexplore_config"
STUDY_STRATEGY_ATTR = "coexplore_strategy"
STUDY_FINGERPRINT_ATTR = "coexplore_fingerprint"
CONFIG_FILE = "config.yaml"
# Spaces up to this size are scanned whole for their smallest networks; larger ones are probed
# with the smallest value of every numeric gene.
FASTEST_SCAN_LIMIT = 2000
# Spaces up to this size get every network's DSE for the check (exact; DSEs are memoised anyway).
FASTEST_EXACT_LIMIT = 200
PARENT_POLL_S = 1.0
# Settings that may change between runs of one study (a longer search extends it).
EXTENDABLE = frozenset({"budget", "max_trials", "patience", "workers", "storage", "heartbeat_s", "grace_s", "strategies"})

Printer = Callable[[str, FrozenTrial, int], None]


# --- checks before anything is spent -------------------------------------------------------------
def check_components(components: Components) -> None:
    """Clear errors for an empty space or an impossible latency budget (the device was checked
    when the hardware oracle opened it)."""
    config = components.config
    size = components.space.size()
    if size == 0:
        raise CoexploreError(
            "the search space is empty (no network meets its constraints)",
            field="space",
            fix="give every gene at least one value and relax max_params_m / max_gmacs",
        )
    if config.latency_budget_ms is None:
        return
    fastest_ms, fastest_spec = fastest_network(components)
    if fastest_ms is None:
        raise CoexploreError(
            f"no network of the space fits {config.device} at {config.precision}",
            field="device",
            fix="choose a larger board, a smaller precision or a smaller space",
        )
    if fastest_ms > config.latency_budget_ms:
        raise CoexploreError(
            f"{config.latency_budget_ms:g} ms cannot be met: the fastest network of the space ({fastest_spec}) "
            f"needs {fastest_ms:.4g} ms on its best {config.device} design",
            field="latency_budget_ms",
            fix=f"raise it to at least {fastest_ms:.4g} ms, or search smaller networks",
        )


def fastest_network(components: Components) -> tuple[float | None, str | None]:
    """Best-design latency of the fastest network of the space.

    A small space is explored whole (exact). In a larger one, MACs alone do not rank latency (a
    depthwise-separable net has the fewest MACs and runs worst on a Tm×Tn array), so the smallest
    network of every block / kernel / upsampling combination is explored: from the whole space up
    to FASTEST_SCAN_LIMIT networks, else from its corner of smallest genes.
    """
    from coexplore.nets import lower

    space = components.space
    size = space.size()
    candidates = [str(s) for s in space.enumerate()] if size <= FASTEST_SCAN_LIMIT else _small_corner(space)
    if size > FASTEST_EXACT_LIMIT:
        smallest: dict[tuple, tuple[int, str]] = {}
        for spec in candidates:
            parsed = _parse(spec)
            kind = (parsed.block, parsed.kernel, parsed.upsample)
            macs = lower(parsed).macs
            if kind not in smallest or macs < smallest[kind][0]:
                smallest[kind] = (macs, spec)
        candidates = [spec for _, spec in sorted(smallest.values())]
    best: tuple[float | None, str | None] = (None, None)
    for spec in candidates:
        hw = components.hardware.best(spec)
        if hw.total_ms is not None and hw.fits and (best[0] is None or hw.total_ms < best[0]):
            best = (hw.total_ms, spec)
    return best


def _parse(spec: str) -> Any:
    from coexplore.nets import parse_spec

    return parse_spec(spec)


def _small_corner(space: Any) -> list[str]:
    """Smallest value of every numeric gene, every combination of the categorical ones."""
    import itertools

    cfg = space.config
    specs = []
    for block, kernel, upsample in itertools.product(cfg.block, cfg.kernel, cfg.upsample):
        point = {
            "stacks": min(cfg.stacks), "order": min(cfg.order), "features": min(cfg.features),
            "modules": min(cfg.modules), "block": block, "kernel": kernel, "upsample": upsample,
            "per_level": False, "growth": min(cfg.growth),
        }
        specs.append(str(space.spec_from_point(point)))
    return specs


# --- studies -------------------------------------------------------------------------------------
def ensure_study(storage: Any, config: SearchConfig, strategy: str, components: Components) -> optuna.Study:
    """Create the strategy's study (or load it to resume) and store the config in it."""
    plan = plan_for(strategy, config, components.baseline)
    name = config.study_name(strategy)
    study = optuna.create_study(study_name=name, storage=storage, directions=list(plan.directions), load_if_exists=True)
    stored = study.user_attrs.get(STUDY_CONFIG_ATTR)
    if stored is not None:
        _check_same_search(name, stored, config)
    study.set_user_attr(STUDY_CONFIG_ATTR, config.model_dump(mode="json"))
    study.set_user_attr(STUDY_STRATEGY_ATTR, strategy)
    study.set_user_attr(STUDY_FINGERPRINT_ATTR, config.fingerprint())
    seed_study(study, components, plan)
    return study


def _check_same_search(study_name: str, stored: dict, config: SearchConfig) -> None:
    current = config.model_dump(mode="json")
    changed = sorted(k for k in set(stored) | set(current) if k not in EXTENDABLE and stored.get(k) != current.get(k))
    if changed:
        raise CoexploreError(
            f"study {study_name!r} was started with other settings ({', '.join(changed)} differ)",
            field="config",
            fix="use the same config to resume it, or another `name` / run folder for a new search",
        )


def join_study(
    storage_url: str,
    study_name: str,
    *,
    worker: int = 0,
    config: SearchConfig | None = None,
    run_dir: str | Path | None = None,
    printer: Printer | None = None,
    components: Components | None = None,
    storage: Any = None,
) -> StudyProgress:
    """Run one worker on an existing study until it is done (the body of `coexplore worker`).

    Without `config`, the study's stored config is used, so a worker needs only the URL and name.
    """
    check_url(storage_url)
    opened = storage or make_storage(storage_url)
    attrs = study_attrs(opened, study_name, storage_url)
    config = config or parse_config(attrs[STUDY_CONFIG_ATTR], source=f"study {study_name}")
    if storage is None:  # reopen with the study's heartbeat settings
        storage = make_storage(storage_url, heartbeat_s=config.heartbeat_s, grace_s=config.grace_s,
                               max_retry=config.max_retry)
    strategy = attrs[STUDY_STRATEGY_ATTR]
    if components is None:
        checkpoints = Path(run_dir) / "checkpoints" if run_dir else None
        components = build_components(config, storage_url, checkpoints)
    plan = plan_for(strategy, config, components.baseline)
    study = open_study(storage, components, plan, study_name, worker=worker, create=False)
    objective = make_objective(components, plan, study_name, worker)
    callback = (lambda _study, trial: printer(strategy, trial, plan.budget)) if printer else None
    return run_worker(study, objective, plan, config.trial_cap, on_trial=callback)


def study_attrs(storage: Any, study_name: str, storage_url: str) -> dict[str, Any]:
    """The coexplore attributes of a study (config, strategy), with clear errors."""
    try:
        study = optuna.load_study(study_name=study_name, storage=storage)
    except KeyError:
        raise CoexploreError(
            f"no study named {study_name!r} in {storage_url}",
            field="--study",
            fix="start it with `coexplore search` first, or check the name (`<name>-<strategy>`)",
        ) from None
    attrs = study.user_attrs
    if STUDY_CONFIG_ATTR not in attrs or STUDY_STRATEGY_ATTR not in attrs:
        raise CoexploreError(f"study {study_name!r} was not created by coexplore search", field="--study")
    return attrs


# --- the whole run -------------------------------------------------------------------------------
def run_search(
    config: SearchConfig,
    run_dir: str | Path,
    *,
    printer: Printer | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run every configured strategy on the same budget and write `RUN/results.json`.

    Re-running with the same config and run folder resumes. Returns the results dict.
    """
    say = log or (lambda _msg: None)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    storage_url = config.storage or default_storage_url(run_dir)
    check_url(storage_url)
    components = build_components(config, storage_url, run_dir / "checkpoints")
    check_components(components)
    _write_config(run_dir, config)
    storage = make_storage(storage_url, heartbeat_s=config.heartbeat_s, grace_s=config.grace_s, max_retry=config.max_retry)

    say(f"baseline {components.baseline}")
    if components.table is None:
        components.evaluator.evaluate(components.baseline)  # trained once; from the cache on later runs
    for strategy in config.strategies:
        study = ensure_study(storage, config, strategy, components)
        plan = plan_for(strategy, config, components.baseline)
        say(f"strategy {strategy}: study {study.study_name}, budget {plan.budget} trainings, "
            f"sampler {plan.sampler}, {config.workers or max(1, gpu_count())} worker(s)")
        workers = config.workers or max(1, gpu_count())
        if workers <= 1:
            join_study(storage_url, study.study_name, config=config, printer=printer, components=components,
                       storage=storage)
        else:
            _run_worker_processes(storage_url, study.study_name, workers, run_dir, storage, strategy, plan.budget, printer)
    results = build_results(storage, components)
    write_results(run_dir, results)
    return results


def rebuild_results(run_dir: str | Path, storage_url: str | None = None) -> dict[str, Any]:
    """Re-write `RUN/results.json` from the storage (`coexplore results RUN`)."""
    run_dir = Path(run_dir)
    config_path = run_dir / CONFIG_FILE
    if not config_path.is_file():
        raise CoexploreError(f"no {CONFIG_FILE} in {run_dir}", field="RUN", fix="give the folder of a `coexplore search` run")
    from coexplore.search.config import read_mapping

    config = parse_config(read_mapping(config_path), source=str(config_path))
    url = storage_url or config.storage or default_storage_url(run_dir)
    storage = make_storage(url, heartbeat_s=config.heartbeat_s, grace_s=config.grace_s)
    components = build_components(config, url)
    results = build_results(storage, components)
    write_results(run_dir, results)
    return results


def _write_config(run_dir: Path, config: SearchConfig) -> None:
    (run_dir / CONFIG_FILE).write_text(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))


# --- local worker processes ----------------------------------------------------------------------
def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the worker gets SIGKILL when the parent dies (kill -9 of the search kills its workers)."""
    try:
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except Exception:
        pass


def gpu_count() -> int:
    """CUDA devices visible here (without importing torch on a machine with no NVIDIA driver)."""
    if not Path("/dev/nvidiactl").exists() and not os.environ.get("CUDA_VISIBLE_DEVICES"):
        return 0
    try:
        import torch

        return torch.cuda.device_count()
    except Exception:
        return 0


def worker_command(storage_url: str, study_name: str, worker: int, run_dir: Path, cpus: list[int] | None) -> list[str]:
    command = [sys.executable, "-m", "coexplore.search.worker", "--storage", storage_url, "--study", study_name,
               "--worker", str(worker), "--run-dir", str(run_dir)]
    if cpus:
        command += ["--cpus", ",".join(map(str, cpus))]
    return command


def _cpu_shares(workers: int) -> list[list[int] | None]:
    if not hasattr(os, "sched_getaffinity"):
        return [None] * workers
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < workers:
        return [None] * workers  # more workers than cores: let the OS share them
    per = len(cores) // workers
    return [cores[i * per:(i + 1) * per] for i in range(workers)]


def _run_worker_processes(
    storage_url: str, study_name: str, workers: int, run_dir: Path, storage: Any, strategy: str, budget: int,
    printer: Printer | None,
) -> None:
    gpus = gpu_count()
    shares = [None] * workers if gpus else _cpu_shares(workers)
    logs = run_dir / "logs"
    logs.mkdir(exist_ok=True)
    processes = []
    for index in range(workers):
        env = dict(os.environ)
        if gpus:
            env["CUDA_VISIBLE_DEVICES"] = str(index % gpus)
        log_path = logs / f"{study_name}-worker{index}.log"
        with open(log_path, "a") as handle:
            processes.append((subprocess.Popen(
                worker_command(storage_url, study_name, index, run_dir, shares[index]),
                env=env, stdout=handle, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
            ), log_path))
    seen: set[int] = set()
    study = optuna.load_study(study_name=study_name, storage=storage)
    try:
        while any(p.poll() is None for p, _ in processes):
            _print_new(study, seen, strategy, budget, printer)
            time.sleep(PARENT_POLL_S)
    finally:
        for process, _ in processes:
            if process.poll() is None:
                process.terminate()
    _print_new(study, seen, strategy, budget, printer)
    failed = [(p.returncode, log) for p, log in processes if p.returncode != 0]
    if failed:
        code, log = failed[0]
        tail = log.read_text().strip().splitlines()[-1:] or ["(empty log)"]
        raise CoexploreError(f"a worker of {study_name} exited with code {code}: {tail[0]}", field="workers",
                             fix=f"see {log}; re-run the same command to resume")


def _print_new(study: optuna.Study, seen: set[int], strategy: str, budget: int, printer: Printer | None) -> None:
    if printer is None:
        return
    for trial in sorted(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)),
                        key=lambda t: t.number):
        if trial.number not in seen:
            seen.add(trial.number)
            printer(strategy, trial, budget)


def trainings_of(study: optuna.Study) -> int:
    return sum(
        1 for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))
        if trial_attrs(t).get("evaluation") in BUDGET_EVALUATIONS
    )
