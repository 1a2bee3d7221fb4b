"""What a search runs on, wired from its config: the space, the hardware oracle, the evaluator, the
budget ledger and the baseline network.

A tabular benchmark (`table:`) replaces training by look-ups and brings its own space; otherwise
the evaluator trains through the evaluation cache, which lives in the study database (or in memory
for in-process replays without a storage).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coexplore.errors import CoexploreError
from coexplore.nets import PRESETS, HourglassSpace, HourglassSpec, get_preset, parse_spec
from coexplore.search.cache import BudgetLedger, EvalCache, Ledger, MemoryCache, MemoryLedger
from coexplore.search.config import SearchConfig
from coexplore.search.evaluation import Evaluator, TableEvaluator, TrainingEvaluator
from coexplore.search.hardware import HardwareOracle
from coexplore.search.table import BenchTable

# Canonical gene values of the Stacked Hourglass (Newell et al., ECCV 2016: one bottleneck per box,
# 3×3 kernels, nearest upsampling, evenly wide levels) — the baseline picks these when the space has them.
CANONICAL_GENES: dict[str, Any] = {"block": "bottleneck", "kernel": 3, "upsample": "nearest", "modules": 1}


@dataclass(frozen=True)
class SearchContext:
    """Everything a worker needs besides the study. `baseline` is the reference network's spec;
    `table` the tabular benchmark being replayed (None when training for real)."""

    config: SearchConfig
    space: HourglassSpace
    hardware: HardwareOracle
    evaluator: Evaluator
    ledger: Ledger
    baseline: str
    table: BenchTable | None = None


def build_context(config: SearchConfig, storage_url: str | None,
                  checkpoint_root: str | Path | None = None) -> SearchContext:
    """Wire the parts: a table replay or real training (cache in the study DB, or in memory)."""
    table = BenchTable.load(config.table) if config.table else None
    space = load_space(config, table)
    evaluator: Evaluator
    if table is not None:
        evaluator = TableEvaluator(table, config.table_delay_s, config.seed)
    else:
        cache = EvalCache(storage_url) if storage_url else MemoryCache()
        evaluator = TrainingEvaluator(config.data, config.train, cache, checkpoint_root, search_precisions(config))
    ledger: Ledger = BudgetLedger(storage_url) if storage_url else MemoryLedger()
    return SearchContext(config, space, HardwareOracle.from_config(config), evaluator, ledger,
                         resolve_baseline(config, space), table)


def search_precisions(config: SearchConfig) -> tuple[str, ...]:
    """Every precision a design of this search can have: each is scored with its own accuracy."""
    return tuple(dict.fromkeys([config.hardware.precision, *config.hw_genes.precision]))


# Labels of a space, not genes: two spaces that differ only in these are the same space.
SPACE_LABELS = ("name", "description")


def load_space(config: SearchConfig, table: BenchTable | None = None) -> HourglassSpace:
    """The network space: the table's own when replaying, else the configured one (the default
    space without `space:`). With a table, no `space:` means the table's space; a configured
    space must be the table's, or the error names both."""
    if table is None:
        return HourglassSpace.default() if config.space is None else HourglassSpace.from_config(config.space)
    space = table.make_space()
    if config.space is not None:
        configured = HourglassSpace.from_config(config.space)
        mine, theirs = (s.config.model_dump(mode="json", exclude=set(SPACE_LABELS)) for s in (configured, space))
        differ = sorted(key for key in mine.keys() | theirs.keys() if mine.get(key) != theirs.get(key))
        if differ:
            source = config.space if isinstance(config.space, str) else "(inline)"
            raise CoexploreError(
                f"the configured space {configured.config.name!r} {source} differs from the space "
                f"{space.config.name!r} of the table {table.path} ({', '.join(differ)} differ)",
                field="space",
                fix="remove `space:` to replay the table's own space, or build a table on this space "
                    "with `coexplore bench-table build`",
            )
    return space


def default_baseline(space: HourglassSpace) -> str:
    """The canonical Hourglass at the space's scale: canonical block/kernel/upsampling/modules where
    the space offers them, evenly wide levels, and the largest stacks, order and features (the
    reference network a team would start from and the search tries to beat)."""
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


def resolve_baseline(config: SearchConfig, space: HourglassSpace) -> str:
    """The configured baseline (a preset name or a spec), else the space's canonical Hourglass."""
    if config.baseline is None:
        return default_baseline(space)
    if config.baseline.lower() in PRESETS:
        return str(get_preset(config.baseline))
    return str(parse_spec(config.baseline))
