"""The parts a search runs on, wired from its config: space, hardware oracle, evaluator, ledger.

A tabular benchmark (`table:`) replaces training by look-ups and brings its own space; otherwise
the evaluator trains through the evaluation cache, which lives in the study database (or in memory
for in-process replays without a storage).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coexplore.search.cache import BudgetLedger, EvalCache, MemoryCache, MemoryLedger
from coexplore.search.config import SearchConfig
from coexplore.search.evaluation import TableEvaluator, TrainingEvaluator
from coexplore.search.hardware import HardwareOracle

# Canonical gene values of the Stacked Hourglass (Newell et al., ECCV 2016: one bottleneck per box,
# 3×3 kernels, nearest upsampling, evenly wide levels) — the baseline picks these when the space has them.
CANONICAL_GENES: dict[str, Any] = {"block": "bottleneck", "kernel": 3, "upsample": "nearest", "modules": 1}


def load_space(config: SearchConfig, table: Any = None) -> Any:
    """The network space: the table's own when replaying, else the configured one."""
    from coexplore.nets import HourglassSpace

    if table is not None:
        return table.make_space()
    return HourglassSpace.default() if config.space is None else HourglassSpace.from_config(config.space)


def default_baseline(space: Any) -> str:
    """The canonical Hourglass at the space's scale: canonical block/kernel/upsampling/modules where
    the space offers them, evenly wide levels, and the largest stacks, order and features (the
    reference network a team would start from and the search tries to beat)."""
    from coexplore.nets import HourglassSpec

    cfg = space.config

    def pick(gene: str) -> Any:
        values = list(getattr(cfg, gene))
        canonical = CANONICAL_GENES.get(gene)
        if canonical in values:
            return canonical
        return max(values) if all(isinstance(v, int) for v in values) else values[0]

    spec = HourglassSpec(
        stacks=max(cfg.stacks), order=max(cfg.order), features=max(cfg.features), modules=pick("modules"),
        block=pick("block"), kernel=pick("kernel"), upsample=pick("upsample"), input_res=cfg.input_res,
        joints=cfg.joints, stem=cfg.stem, supervision=cfg.supervision,
    )
    return str(spec)


def resolve_baseline(config: SearchConfig, space: Any) -> str:
    if config.baseline is None:
        return default_baseline(space)
    from coexplore.nets import PRESETS, get_preset, parse_spec

    if config.baseline.lower() in PRESETS:
        return str(get_preset(config.baseline))
    return str(parse_spec(config.baseline))


@dataclass
class Components:
    """Everything a worker needs besides the study: space, hardware, evaluator, ledger."""

    config: SearchConfig
    space: Any
    hardware: HardwareOracle
    evaluator: Any
    ledger: Any
    baseline: str
    table: Any = None


def build_components(config: SearchConfig, storage_url: str | None, checkpoint_root: str | Path | None = None) -> Components:
    """Wire the parts: a table replay or real training (cache in the study DB, or in memory)."""
    from coexplore.search.table import BenchTable

    table = BenchTable.load(config.table) if config.table else None
    space = load_space(config, table)
    hardware = HardwareOracle.from_config(config)
    if table is not None:
        evaluator: Any = TableEvaluator(table, config.table_delay_s)
    else:
        cache = EvalCache(storage_url) if storage_url else MemoryCache()
        evaluator = TrainingEvaluator(config.data, config.train, cache, checkpoint_root)
    ledger = BudgetLedger(storage_url) if storage_url else MemoryLedger()
    return Components(config, space, hardware, evaluator, ledger, resolve_baseline(config, space), table)
