"""The search configuration: one YAML/TOML file (or dict) validated by pydantic.

Every CLI flag of `coexplore search` has a twin here. Unknown keys are errors (a typo must not be
silently ignored for a multi-day run). Semantic checks that need the other packages (does the device
exist, is the space empty, can any network meet the latency budget) live in `check_config`, which
the runner calls before spending anything.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from coexplore.errors import CoexploreError, choice_error, validation_error
from coexplore.files import find_config, read_mapping
from coexplore.fpga import PRECISIONS, DesignSettings
from coexplore.fpga.settings import port_words
from coexplore.results import HypervolumeReference
from coexplore.search.samplers import SAMPLERS as SAMPLER_FACTORIES
from coexplore.search.strategies import STRATEGIES as PLAN_FACTORIES

# The names the registries know (samplers.py, strategies.py).
STRATEGIES: tuple[str, ...] = tuple(PLAN_FACTORIES)
SAMPLERS: tuple[str, ...] = tuple(SAMPLER_FACTORIES)
HW_MODES: tuple[str, ...] = ("exact", "joint")
MAX_NAME_LENGTH = 100
NAME_PATTERN = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_NAME_LENGTH - 1}}}", re.ASCII)

# Default hardware genes for `hw: joint`: the tile sizes a designer would try (powers of two, as
# in the design spaces of Zhang et al. FPGA'15 and the Jiang et al. co-exploration papers).
DEFAULT_TM: tuple[int, ...] = (8, 16, 32, 64, 128)
DEFAULT_TN: tuple[int, ...] = (4, 8, 16, 32, 64)
DEFAULT_TILE: tuple[int, ...] = (4, 8, 16, 32, 64)


class HwGenes(BaseModel):
    """Hardware genes sampled with the network genes when `hw: joint`.

    Attributes:
        tm: output-channel unrolling (MAC array rows) to choose from.
        tn: input-channel unrolling (MAC array columns).
        tr: output tile rows.
        tc: output tile columns.
        precision: data types to choose from; empty = `hardware.precision` only.
        ports: memory port options, each `shared` (one port at the board's DDR bandwidth) or
            `I/W/O` words per cycle for the input, weight and output ports (e.g. `8/8/4`), read as
            `Design.parse` reads them; empty = the split `hardware.ports` names, else shared.
    """

    model_config = ConfigDict(extra="forbid")

    tm: list[int] = Field(default_factory=lambda: list(DEFAULT_TM))
    tn: list[int] = Field(default_factory=lambda: list(DEFAULT_TN))
    tr: list[int] = Field(default_factory=lambda: list(DEFAULT_TILE))
    tc: list[int] = Field(default_factory=lambda: list(DEFAULT_TILE))
    precision: list[str] = Field(default_factory=list)
    ports: list[str] = Field(default_factory=list)

    @field_validator("ports")
    @classmethod
    def _ports(cls, values: list[str]) -> list[str]:
        for value in values:
            port_words(value)
        return values

    @field_validator("precision")
    @classmethod
    def _precisions(cls, values: list[str]) -> list[str]:
        unknown = [v for v in values if v.lower() not in PRECISIONS]
        if unknown:
            raise ValueError(f"unknown precision {unknown[0]!r}; use {', '.join(PRECISIONS)}")
        return [v.lower() for v in values]

    @field_validator("tm", "tn", "tr", "tc")
    @classmethod
    def _positive(cls, values: list[int]) -> list[int]:
        if not values or any(v < 1 for v in values):
            raise ValueError("needs at least one value, all ≥ 1")
        return sorted(set(values))


class SearchConfig(BaseModel):
    """Everything a search run needs. Each field has a CLI twin where it makes sense.

    Attributes:
        name: study name prefix; each strategy is the Optuna study `<name>-<strategy>` in the storage.
        device: FPGA board preset (`coexplore devices`) or a device TOML/YAML file.
        hardware: the accelerator's design settings (`coexplore.fpga.DesignSettings`): precision,
            clock_mhz, schedule, ports, ddr_efficiency, double_buffer, pipeline_overhead_cycles,
            keep_skips_on_chip, input_halo, prologue_epilogue, and the DSE limits max_macs and
            tile_shapes. Every design the search explores (`hw: exact`) or samples (`hw: joint`)
            carries them, and the trial record stores them with the design.
        space: the network search space: a space config file, an inline dict, or None for the
            default Hourglass space. With `table:`, None means the table's own space, and a given
            space must be the table's (else an error names both).
        baseline: the reference network (spec string or preset) the top-k table compares against;
            None = the canonical Hourglass of the space (see `context.default_baseline`).
        data: training data source as the trainer reads it (`synthetic`, `mpii:PATH`, ...).
        train: training settings passed to `TrainConfig` (epochs, images, resolution, ...).
        strategies: which strategies to run, in order: coexplore, sequential, random, hardware-only.
        hw: `exact` — each network gets its best fitting design from the exhaustive DSE; `joint` —
            the hardware genes (`hw_genes`) are sampled together with the network genes.
        hw_genes: the hardware genes for `hw: joint`.
        budget: trainings per strategy (the same for every strategy). Hardware-rejected candidates
            and repeats of a network the study already evaluated are free.
        max_trials: cap on trials per strategy, free ones included (None = 10 × budget + 50).
        patience: stop a strategy after this many trials in a row that spent no training (the
            space is exhausted, or everything left misses the latency budget).
        latency_budget_ms: latency constraint; candidates whose best design is slower are rejected
            before training (hardware first). None = no constraint.
        accuracy_floor: accuracy constraint (%); trained candidates below it are infeasible.
        sampler: sampler of the co-exploration: nsga2 (default), tpe, random, reinforce (FNAS-style
            policy gradient), ehvi (expected hypervolume improvement with the latency known from
            the DSE before training; `hw: exact` only), thompson (the same gain for a posterior draw
            of the accuracy model: the setting bench/search_quality.py reports), largest-first (no
            search: feasible networks by decreasing MACs). The random strategy always samples at random.
        sequential_sampler: sampler of the sequential strategy's accuracy-only stage 1.
        population_size: NSGA-II population, and the size of the warm start; None = scaled to the
            budget for NSGA-II (see `samplers`), 4 for ehvi / thompson (`candidates.warm_start_size`).
        warm_start: the co-exploration's first population spans the latency range of the space
            (hardware costs are known before any training; see `candidates.latency_spread`).
        warm_start_pool: networks examined for the warm start when the space is too large to
            enumerate (each costs one DSE).
        latency_weight: weight of the latency penalty in the REINFORCE reward (FNAS style).
        prune: stop unpromising trainings early from their intermediate validation accuracy.
        prune_warmup_epochs: epochs every training runs before it may be pruned.
        seed: base seed; each worker derives its own sampler seed from it.
        workers: local worker processes per strategy; each gets its own GPU when GPUs exist
            (CUDA_VISIBLE_DEVICES), else its share of the CPU cores. 0 = one per GPU (1 without).
        storage: Optuna storage URL; None = SQLite `study.db` in the run folder.
        table: a tabular benchmark file (`bench-table build`): replay accuracies, never train; the
            search runs on the table's space.
        table_delay_s: seconds each replayed training sleeps (to exercise workers and resume).
        topk: rows of the paper-style table (the paper reports its top 5): the fastest trained
            designs that lose at most `max_accuracy_loss` points against the reference.
        max_accuracy_loss: accuracy points a top-k design may lose against the reference.
        final_seeds: extra training seeds for the top-k designs and their references before the
            table is printed (mean ± SD over every training); 0 = report the single training.
        hv_reference: hypervolume reference point; None = (accuracy floor or 0, latency budget or
            1.1 × the slowest feasible design of the run).
        heartbeat_s: trial heartbeat period; a trial silent for `grace_s` is failed and retried.
        grace_s: see heartbeat_s.
        max_retry: retries of a trial whose worker died.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = "coexplore"
    device: str = "zcu102"
    hardware: DesignSettings = Field(default_factory=DesignSettings)
    space: str | dict[str, Any] | None = None
    baseline: str | None = None
    data: str = "synthetic"
    train: dict[str, Any] = Field(default_factory=dict)
    strategies: list[str] = Field(default_factory=lambda: ["coexplore", "sequential"])
    hw: str = "exact"
    hw_genes: HwGenes = Field(default_factory=HwGenes)
    budget: int = Field(default=16, ge=1)
    max_trials: int | None = Field(default=None, ge=1)
    patience: int = Field(default=60, ge=1)
    latency_budget_ms: float | None = Field(default=None, gt=0)
    accuracy_floor: float | None = None
    sampler: str = "nsga2"
    sequential_sampler: str = "tpe"
    population_size: int | None = Field(default=None, ge=2)
    warm_start: bool = True
    warm_start_pool: int = Field(default=256, ge=1)
    latency_weight: float = Field(default=0.5, ge=0)
    prune: bool = False
    prune_warmup_epochs: int = Field(default=1, ge=0)
    seed: int = 0
    workers: int = Field(default=1, ge=0)
    storage: str | None = None
    table: str | None = None
    table_delay_s: float = Field(default=0.0, ge=0)
    topk: int = Field(default=5, ge=1)
    max_accuracy_loss: float = Field(default=1.0, ge=0)
    final_seeds: int = Field(default=3, ge=0)
    hv_reference: HypervolumeReference | None = None
    heartbeat_s: int = Field(default=10, ge=1)
    grace_s: int = Field(default=30, ge=2)
    max_retry: int = Field(default=3, ge=0)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        # the name is the default run folder (runs/<name>) and the study name prefix: a plain
        # folder name, never ".", ".." or a hidden / option-like one
        if not NAME_PATTERN.fullmatch(value):
            raise ValueError(f"{value!r} is not a plain folder name: use up to {MAX_NAME_LENGTH} letters, digits, "
                             "'-', '_' or '.', starting with a letter or digit")
        return value

    @field_validator("strategies")
    @classmethod
    def _strategies(cls, values: list[str]) -> list[str]:
        if not values:
            raise ValueError(f"needs at least one of {', '.join(STRATEGIES)}")
        for value in values:
            if value not in STRATEGIES:
                raise ValueError(f"unknown strategy {value!r}; use {', '.join(STRATEGIES)}")
        return list(dict.fromkeys(values))

    @field_validator("sampler", "sequential_sampler")
    @classmethod
    def _sampler(cls, value: str) -> str:
        if value not in SAMPLERS:
            raise ValueError(f"unknown sampler {value!r}; use {', '.join(SAMPLERS)}")
        return value

    @field_validator("hw")
    @classmethod
    def _hw(cls, value: str) -> str:
        if value not in HW_MODES:
            raise ValueError(f"unknown hardware mode {value!r}; use {', '.join(HW_MODES)}")
        return value

    @model_validator(mode="before")
    @classmethod
    def _flat_hardware_settings(cls, data: Any) -> Any:
        """Configs (and stored studies) written before the `hardware:` section kept the design
        settings at the top level: they still load, moved under `hardware:`. A key given in both
        places is an error, so neither silently wins."""
        if not isinstance(data, dict):
            return data
        flat = {key: data[key] for key in data if key in DesignSettings.model_fields}
        if not flat:
            return data
        nested = data.get("hardware") or {}
        if not isinstance(nested, dict):
            return data  # the field's own validation names the problem
        both = sorted(set(flat) & set(nested))
        if both:
            raise ValueError(f"{', '.join(both)}: given both at the top level and under `hardware:`; "
                             f"keep the one under `hardware:`")
        rest = {key: value for key, value in data.items() if key not in flat}
        return {**rest, "hardware": {**nested, **flat}}

    @model_validator(mode="after")
    def _grace_after_heartbeat(self) -> "SearchConfig":
        if self.grace_s <= self.heartbeat_s:
            raise ValueError(f"grace_s ({self.grace_s}) must be longer than heartbeat_s ({self.heartbeat_s})")
        return self

    # --- derived ---------------------------------------------------------------------------------
    @property
    def trial_cap(self) -> int:
        return self.max_trials if self.max_trials is not None else 10 * self.budget + 50

    def study_name(self, strategy: str) -> str:
        return f"{self.name}-{strategy}"


def parse_config(data: dict[str, Any], source: str = "config") -> SearchConfig:
    """Validate a dict; every problem becomes one CoexploreError naming the field."""
    if not isinstance(data, dict):
        raise CoexploreError("must be a mapping of settings", field=source, fix="see the shipped demo config (`coexplore search --config demo`)")
    try:
        return SearchConfig(**data)
    except ValidationError as exc:
        raise validation_error(exc, source, model=SearchConfig) from None


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> SearchConfig:
    """Read a YAML or TOML config file; relative paths in it are resolved against its folder."""
    path = find_config(path, "search")
    data = read_mapping(path, what="--config", fix="give a search config file, or a shipped one by name (demo)")
    data = {**data, **{k: v for k, v in (overrides or {}).items() if v is not None}}
    for key in ("space", "table"):
        if isinstance(data.get(key), str):
            if "\x00" in data[key]:  # no path holds a NUL; pathlib would raise a bare ValueError
                raise CoexploreError("contains a NUL character", field=f"{path}: {key}",
                                     fix="give a file path (or a database URL for table)")
            data[key] = resolve_path(data[key], path.parent)
    return parse_config(data, source=str(path))


def resolve_path(value: str, base: Path) -> str:
    """A relative path from a config file: next to the file if it exists there, else as given."""
    candidate = Path(value)
    if candidate.is_absolute() or value.startswith(("sqlite:", "postgresql:", "mysql:")):
        return value
    beside = (base / candidate).resolve()
    if beside.exists():
        return str(beside)
    return str(candidate.resolve()) if candidate.exists() else value


def check_strategy(name: str) -> str:
    if name not in STRATEGIES:
        raise choice_error("--strategies", name, STRATEGIES)
    return name
