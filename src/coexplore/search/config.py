"""The search configuration: one YAML/TOML file (or dict) validated by pydantic.

Every CLI flag of `coexplore search` has a twin here. Unknown keys are errors (a typo must not be
silently ignored for a multi-day run). Semantic checks that need the other packages (does the device
exist, is the space empty, can any network meet the latency budget) live in `check_config`, which
the runner calls before spending anything.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from coexplore.errors import CoexploreError, choice_error

STRATEGIES: tuple[str, ...] = ("coexplore", "sequential", "random", "hardware-only")
SAMPLERS: tuple[str, ...] = ("nsga2", "tpe", "random", "reinforce", "ehvi")
HW_MODES: tuple[str, ...] = ("exact", "joint")

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
        precision: data types to choose from; empty = the search's `precision` only.
        ports: memory port options, each `shared` (one port at the board's DDR bandwidth) or
            `I/W/O` words per cycle for the input, weight and output ports (e.g. `8/8/4`);
            empty = shared only.
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
            parse_ports(value)
        return values

    @field_validator("tm", "tn", "tr", "tc")
    @classmethod
    def _positive(cls, values: list[int]) -> list[int]:
        if not values or any(v < 1 for v in values):
            raise ValueError("needs at least one value, all ≥ 1")
        return sorted(set(values))


def parse_ports(value: str) -> tuple[float, float, float] | None:
    """`shared` → None; `8/8/4` → (8.0, 8.0, 4.0) words per cycle (input, weight, output)."""
    if value.strip().lower() == "shared":
        return None
    parts = value.split("/")
    try:
        widths = tuple(float(p) for p in parts)
    except ValueError:
        widths = ()
    if len(widths) != 3 or min(widths) <= 0:
        raise ValueError(f"port option {value!r}: use 'shared' or three widths like 8/8/4")
    return widths  # type: ignore[return-value]


class HvReference(BaseModel):
    """The hypervolume reference point: the worst accuracy and latency still counted."""

    model_config = ConfigDict(extra="forbid")

    accuracy: float
    total_ms: float = Field(gt=0)


class SearchConfig(BaseModel):
    """Everything a search run needs. Each field has a CLI twin where it makes sense.

    Attributes:
        name: study name prefix; each strategy is the Optuna study `<name>-<strategy>` in the storage.
        device: FPGA board preset (`coexplore devices`) or a device TOML/YAML file.
        precision: data type of the accelerator (`int16`, `int8`, `fp32`).
        clock_mhz: accelerator clock; None = the board's typical clock.
        schedule: cost-model schedule, `overlap` (Jiang et al.) or `roofline` (Zhang et al.).
        keep_skips_on_chip: let designs keep the hourglass skip tensors in BRAM (if it fits).
        max_macs: cap on Tm·Tn in the hardware DSE (None = whatever the DSP budget allows).
        space: the network search space: a space config file, an inline dict, or None for the
            default Hourglass space.
        baseline: the reference network (spec string or preset) the top-k table compares against;
            None = the canonical Hourglass of the space (see `strategies.default_baseline`).
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
            the DSE before training; `hw: exact` only). The random strategy always samples at random.
        sequential_sampler: sampler of the sequential strategy's accuracy-only stage 1.
        population_size: NSGA-II population; None = scaled to the budget (see `samplers`).
        warm_start: the co-exploration's first population spans the latency range of the space
            (hardware costs are known before any training; see `strategies.latency_spread`).
        warm_start_pool: networks examined for the warm start when the space is too large to
            enumerate (each costs one DSE).
        latency_weight: weight of the latency penalty in the REINFORCE reward (FNAS style).
        prune: stop unpromising trainings early from their intermediate validation accuracy.
        prune_warmup_epochs: epochs every training runs before it may be pruned.
        seed: base seed; each worker derives its own sampler seed from it.
        workers: local worker processes per strategy; each gets its own GPU when GPUs exist
            (CUDA_VISIBLE_DEVICES), else its share of the CPU cores. 0 = one per GPU (1 without).
        storage: Optuna storage URL; None = SQLite `study.db` in the run folder.
        table: a tabular benchmark file (`bench-table build`): replay accuracies, never train.
        table_delay_s: seconds each replayed training sleeps (to exercise workers and resume).
        topk: rows of the paper-style table (the paper reports its top 5).
        hv_reference: hypervolume reference point; None = (accuracy floor or 0, latency budget or
            1.1 × the slowest feasible design of the run).
        heartbeat_s: trial heartbeat period; a trial silent for `grace_s` is failed and retried.
        grace_s: see heartbeat_s.
        max_retry: retries of a trial whose worker died.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = "coexplore"
    device: str = "zcu102"
    precision: str = "int16"
    clock_mhz: float | None = Field(default=None, gt=0)
    schedule: Literal["overlap", "roofline"] = "overlap"
    keep_skips_on_chip: bool = False
    max_macs: int | None = Field(default=None, ge=1)
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
    hv_reference: HvReference | None = None
    heartbeat_s: int = Field(default=10, ge=1)
    grace_s: int = Field(default=30, ge=2)
    max_retry: int = Field(default=3, ge=0)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value or not all(ch.isalnum() or ch in "-_." for ch in value):
            raise ValueError("use letters, digits, '-', '_' or '.'")
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

    def fingerprint(self) -> str:
        """A short hash of what decides the results (not how many workers run them)."""
        keep = self.model_dump(mode="json", exclude={"workers", "storage", "heartbeat_s", "grace_s"})
        return hashlib.sha256(json.dumps(keep, sort_keys=True).encode()).hexdigest()[:12]


def parse_config(data: dict[str, Any], source: str = "config") -> SearchConfig:
    """Validate a dict; every problem becomes one CoexploreError naming the field."""
    if not isinstance(data, dict):
        raise CoexploreError("must be a mapping of settings", field=source, fix="see configs/search-demo.yaml")
    try:
        return SearchConfig(**data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or source
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            allowed = ", ".join(SearchConfig.model_fields)
            raise CoexploreError(f"unknown setting", field=f"{source}: {where}", fix=f"use one of: {allowed}") from None
        raise CoexploreError(message, field=f"{source}: {where}") from None


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> SearchConfig:
    """Read a YAML or TOML config file; relative paths in it are resolved against its folder."""
    path = Path(path)
    if not path.is_file():
        raise CoexploreError(f"file not found: {path}", field="--config", fix="give a search config (see configs/)")
    data = read_mapping(path)
    data = {**data, **{k: v for k, v in (overrides or {}).items() if v is not None}}
    for key in ("space", "table"):
        if isinstance(data.get(key), str):
            data[key] = resolve_path(data[key], path.parent)
    return parse_config(data, source=str(path))


def read_mapping(path: Path) -> dict[str, Any]:
    """A YAML (.yaml/.yml/.json) or TOML (.toml) file as a dict, with a clear error when malformed."""
    text = path.read_text()
    try:
        if path.suffix == ".toml":
            import tomllib

            data = tomllib.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as exc:  # yaml / toml parse errors carry the line
        raise CoexploreError(f"cannot parse ({exc})", field=str(path), fix="fix the YAML/TOML syntax") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CoexploreError("must be a mapping of settings", field=str(path))
    return data


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
