"""`run_search`: check the config, evaluate the baseline, run each strategy's study with N workers,
write `RUN/results.json`.

Workers: with `workers: 1` the study runs in this process; with N > 1, N worker processes
(processes.py) join the same study through the storage. Other machines join with
`coexplore worker --storage URL --study NAME` (`join_study`): the study carries its config in its
user attributes. Resume: re-running the same command loads the studies and continues them;
completed trials stay, the trials of dead workers are failed after the heartbeat grace period and
retried.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from coexplore.errors import CoexploreError
from coexplore.files import read_mapping
from coexplore.placement import gpu_count
from coexplore.results import write_results, write_text_atomic
from coexplore.search.config import SearchConfig, parse_config
from coexplore.search.context import SearchContext, build_context
from coexplore.search.loop import StudyProgress, run_worker, study_progress
from coexplore.search.objective import Objective
from coexplore.search.preflight import check_context
from coexplore.search.processes import Printer, run_worker_processes
from coexplore.search.progress import SearchWatcher
from coexplore.search.final_seeds import retrain
from coexplore.search.evaluation import TrainingEvaluator
from coexplore.search.export import exportable_specs
from coexplore.search.results import build_results, retrain_targets
from coexplore.search.storage import check_url, default_storage_url, make_storage, open_existing_storage
from coexplore.search.strategies import Plan, plan_for
from coexplore.search.studies import (
    STUDY_CONFIG_ATTR,
    STUDY_STRATEGY_ATTR,
    check_resume,
    ensure_study,
    open_study,
    study_attrs,
)

CONFIG_FILE = "config.yaml"


def run_search(
    config: SearchConfig,
    run_dir: str | Path,
    *,
    printer: Printer | None = None,
    log: Callable[[str], None] | None = None,
    watcher: SearchWatcher | None = None,
) -> dict[str, Any]:
    """Run every configured strategy on the same budget and write `RUN/results.json`.

    Re-running with the same config and run folder resumes. Returns the results dict.
    """
    say = log or (lambda _msg: None)
    # everything is checked before anything is written: a rejected search leaves the run as it was
    run_dir = check_run_dir(run_dir)
    storage_url = check_url(config.storage or default_storage_url(run_dir))
    context = build_context(config, storage_url, run_dir / "checkpoints")
    check_context(context)
    run_dir.mkdir(parents=True, exist_ok=True)  # the default SQLite storage lives in it
    storage = make_storage(storage_url, heartbeat_s=config.heartbeat_s, grace_s=config.grace_s, max_retry=config.max_retry)
    check_resume(storage, config)
    _write_config(run_dir, config)

    say(f"baseline {context.baseline}")
    if context.table is None:
        context.evaluator.evaluate(context.baseline)  # trained once; from the cache on later runs
    workers = config.workers or max(1, gpu_count())
    for strategy in config.strategies:
        plan = plan_for(strategy, config, context.baseline)
        study = ensure_study(storage, context, plan)
        say(f"strategy {strategy}: study {study.study_name}, budget {plan.budget} trainings, "
            f"sampler {plan.sampler}, {workers} worker(s)")
        if watcher is not None:
            done = study_progress(study, context.ledger)
            watcher.strategy_started(strategy, plan.budget, done.trainings, done.finished)
        if workers <= 1:
            work_on(storage, context, plan, study.study_name, printer=printer, watcher=watcher)
        else:
            run_worker_processes(storage, storage_url, study.study_name, strategy, workers, run_dir, printer)
    results = build_results(storage, context)
    if config.final_seeds and context.table is None:  # the paper-style table reports mean ± SD
        write_results(run_dir, results)  # the search's own results are safe before the extra trainings
        retrain(context, retrain_targets(results),
                on_training=lambda spec, n: say(f"final seed {n}/{config.final_seeds}: {spec}"))
        results = build_results(storage, context)
    write_results(run_dir, results)
    if isinstance(context.evaluator, TrainingEvaluator):  # weights for `coexplore export`, not for every trial
        context.evaluator.prune_checkpoints(exportable_specs(results))
    return results.as_json()


def join_study(
    storage_url: str,
    study_name: str,
    *,
    worker: int = 0,
    config: SearchConfig | None = None,
    run_dir: str | Path | None = None,
    printer: Printer | None = None,
) -> StudyProgress:
    """Run one worker on an existing study until it is done (the body of `coexplore worker`).

    Without `config`, the study's stored config is used, so a worker needs only the URL and name.
    """
    checkpoints = check_run_dir(run_dir) / "checkpoints" if run_dir else None
    check_url(storage_url)
    joined = open_existing_storage(storage_url, [study_name],  # a worker joins a study, never creates one
                                   fix="start it with `coexplore search` first, or check the name (`<name>-<strategy>`)")
    attrs = study_attrs(joined, study_name, storage_url)
    config = config or parse_config(attrs[STUDY_CONFIG_ATTR], source=f"study {study_name}")
    storage = make_storage(storage_url, heartbeat_s=config.heartbeat_s, grace_s=config.grace_s,
                           max_retry=config.max_retry)  # reopened with the study's heartbeat settings
    context = build_context(config, storage_url, checkpoints)
    plan = plan_for(attrs[STUDY_STRATEGY_ATTR], config, context.baseline)
    return work_on(storage, context, plan, study_name, worker=worker, printer=printer)


def work_on(storage: Any, context: SearchContext, plan: Plan, study_name: str, *, worker: int = 0,
            printer: Printer | None = None, watcher: SearchWatcher | None = None) -> StudyProgress:
    """This process as worker `worker` of the study, until the study is done."""
    study = open_study(storage, context, plan, study_name, worker=worker)
    callback = (lambda _study, trial: printer(plan.strategy, trial)) if printer else None
    on_training = watcher.training_epoch if watcher is not None else None
    return run_worker(study, Objective(context, plan, study_name, worker, on_training=on_training),
                      context.config.trial_cap, on_trial=callback)


def rebuild_results(run_dir: str | Path, storage_url: str | None = None) -> dict[str, Any]:
    """Re-write `RUN/results.json` from the storage (`coexplore results RUN`)."""
    run_dir = Path(run_dir)
    config_path = run_dir / CONFIG_FILE
    if not config_path.is_file():
        raise CoexploreError(f"no {CONFIG_FILE} in {run_dir}", field="RUN", fix="give the folder of a `coexplore search` run")
    config = parse_config(read_mapping(config_path, what="RUN"), source=str(config_path))
    url = check_url(storage_url or config.storage or default_storage_url(run_dir))
    storage = open_existing_storage(url, [config.study_name(s) for s in config.strategies],
                                    heartbeat_s=config.heartbeat_s, grace_s=config.grace_s)
    results = build_results(storage, build_context(config, url))
    write_results(run_dir, results)  # validated first; the previous file stays if it does not pass
    return results.as_json()


def check_run_dir(run_dir: str | Path) -> Path:
    """The run folder, or a clear error if it (or a folder above it) is a file."""
    run_dir = Path(run_dir)
    for path in (run_dir, *run_dir.parents):
        if path.exists() and not path.is_dir():
            raise CoexploreError(f"{path} is a file, not a folder", field="--run-dir",
                                 fix="give a new folder, or the folder of an earlier run to resume it")
    return run_dir


def _write_config(run_dir: Path, config: SearchConfig) -> None:
    write_text_atomic(run_dir / CONFIG_FILE, yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
