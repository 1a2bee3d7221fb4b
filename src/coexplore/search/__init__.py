"""coexplore.search: the co-exploration of network and accelerator on Optuna.

    from coexplore.search import load_config, run_search
    results = run_search(load_config("demo"), "runs/demo")

Strategies (coexplore, sequential, random, hardware-only) share one machinery: hardware first,
an evaluation cache and a training-budget ledger in the study database, resumable and distributed
studies. `replay_strategy` runs any strategy against a tabular benchmark (`build_table`) in memory.
Names load on first use. Fronts, hypervolume and rankings live in `coexplore.results`.
"""

from __future__ import annotations

from typing import Any

_LAZY = {
    "SearchConfig": "config", "load_config": "config", "parse_config": "config",
    "SearchContext": "context", "build_context": "context",
    "replay_strategy": "replay", "run_search": "runner", "join_study": "runner", "rebuild_results": "runner",
    "BenchTable": "table", "build_table": "table",
}
__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f"coexplore.search.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'coexplore.search' has no attribute {name!r}")
