"""One Optuna study per strategy: created with the config stored in it, checked on resume, opened
by each worker with its own seeded sampler.

The study carries its config and strategy in its user attributes, so a worker on
another machine needs only the storage URL and the study name (`coexplore worker`).
"""

from __future__ import annotations

import warnings
import zlib
from typing import Any

import optuna
from optuna.trial import TrialState

from coexplore.errors import CoexploreError
from coexplore.search.candidates import known_costs, seed_study
from coexplore.search.config import SearchConfig
from coexplore.search.objective import CONSTRAINT_NAMES
from coexplore.search.records import CONSTRAINT_NAMES_ATTR
from coexplore.search.context import SearchContext
from coexplore.search.samplers import SamplerSettings, make_sampler
from coexplore.search.strategies import Plan

STUDY_CONFIG_ATTR = "coexplore_config"
# The objective values in order: accuracy (maximised), then total latency (minimised) when there are two.
OBJECTIVE_NAMES: tuple[str, ...] = ("accuracy_pct", "total_ms")
STUDY_STRATEGY_ATTR = "coexplore_strategy"
# Settings that may change between runs of one study (a longer search extends it).
EXTENDABLE = frozenset({"budget", "max_trials", "patience", "workers", "storage", "heartbeat_s", "grace_s", "strategies",
                        "max_accuracy_loss", "final_seeds"})  # the last two only change the report
# Seeds: each worker and strategy gets its own sampler stream (REFERENCES.md, "Search").
SEED_STRIDE_WORKER = 7919
SEED_STRIDE_BASE = 1_000_003


def ensure_study(storage: Any, context: SearchContext, plan: Plan) -> optuna.Study:
    """Create the strategy's study (or load it to resume), store the config in it and queue the
    warm start of a new co-exploration."""
    config = context.config
    name = config.study_name(plan.strategy)
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the search prints its own trial lines
    study = optuna.create_study(study_name=name, storage=storage, directions=list(plan.directions), load_if_exists=True)
    stored = study.user_attrs.get(STUDY_CONFIG_ATTR)
    if stored is not None:
        _check_same_search(name, stored, config)
    study.set_user_attr(STUDY_CONFIG_ATTR, config.model_dump(mode="json"))
    study.set_user_attr(STUDY_STRATEGY_ATTR, plan.strategy)
    name_objectives(study, plan)
    seed_study(study, context, plan)
    return study


def check_resume(storage: Any, config: SearchConfig) -> None:
    """Before anything is written: every study of this search that exists already was started
    with the same settings (bar the extendable ones)."""
    existing = set(optuna.get_all_study_names(storage))
    for strategy in config.strategies:
        name = config.study_name(strategy)
        if name in existing:
            stored = optuna.load_study(study_name=name, storage=storage).user_attrs.get(STUDY_CONFIG_ATTR)
            if stored is not None:
                _check_same_search(name, stored, config)


def name_objectives(study: optuna.Study, plan: Plan) -> None:
    """Objective and constraint names that Optuna's tools show instead of "Objective 0/1"."""
    with warnings.catch_warnings():  # experimental since Optuna 3.2, unchanged since
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.set_metric_names(list(OBJECTIVE_NAMES[: len(plan.directions)]))
    if plan.multi_objective:
        study.set_user_attr(CONSTRAINT_NAMES_ATTR, list(CONSTRAINT_NAMES))


def _check_same_search(study_name: str, stored: dict, config: SearchConfig) -> None:
    current = config.model_dump(mode="json")
    if not isinstance(stored, dict):
        raise CoexploreError(f"study {study_name!r} holds a damaged config ({type(stored).__name__})",
                             field=STUDY_CONFIG_ATTR, fix="use another `name` / run folder for a new search")
    changed = sorted(k for k in set(stored) | set(current) if k not in EXTENDABLE and stored.get(k) != current.get(k))
    if changed:
        raise CoexploreError(
            f"study {study_name!r} was started with other settings ({', '.join(changed)} differ)",
            field="config",
            fix="use the same config to resume it, or another `name` / run folder for a new search",
        )


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


def sampler_seed(config: SearchConfig, strategy: str, worker: int, finished_before: int) -> int:
    """Distinct per strategy and worker, and fresh on resume (so a resumed random sampler does not
    replay the proposals it made before the interruption)."""
    return (
        config.seed * SEED_STRIDE_BASE + zlib.crc32(strategy.encode()) + worker * SEED_STRIDE_WORKER + finished_before
    ) % 2**31


def open_study(storage: Any, context: SearchContext, plan: Plan, study_name: str, worker: int = 0) -> optuna.Study:
    """Load the strategy's study with this worker's seeded sampler."""
    config = context.config
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name=study_name, storage=storage)
    finished = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)))
    settings = SamplerSettings(
        seed=sampler_seed(config, plan.strategy, worker, finished),
        budget=plan.budget,
        population_size=config.population_size,
        latency_budget_ms=config.latency_budget_ms,
        latency_weight=config.latency_weight,
        known_costs=lambda: known_costs(context),
    )
    return optuna.load_study(study_name=study_name, storage=storage, sampler=make_sampler(plan.sampler, settings))
