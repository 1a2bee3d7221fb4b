"""The tabular benchmark: train every network of a small space N times, then replay any strategy on it.

`build_table` trains each network of the space `seeds` times with one training config, replicate k
with training seed `train.seed + k` (resumable: the table file is rewritten atomically after each
training, and a re-run trains only the missing replicates; parallel: worker processes, each on its
own share of the CPU cores or its own GPU). `BenchTable.load` + `TableEvaluator` (evaluation.py)
then let a search run without training, so strategies can be compared over many seeds in seconds
(the NAS-Bench idea).

A replay sees noise, a verdict does not: `BenchTable.replicate(spec, seed)` is the one training a
search with that seed gets for a network (drawn by a hash of (seed, network, draw), so it is
deterministic and independent across networks), while `BenchTable.mean_accuracy(spec)` is the
network's accuracy for scoring. Noise statistics live in table_stats.py.

File format (JSON, schema 2; schema-1 tables, one training per network, load as one replicate each):
    {"schema": 2, "kind": "coexplore-bench-table", "created": ISO, "space": {space config},
     "data": str, "train": {TrainConfig of replicate 0}, "train_key": str (its key), "metric": str,
     "entries": {spec: {"replicates": [{"seed", "status", "accuracy", "reason", "metric", "wall_s",
                                        "device", "curve": [..], "params",
                                        "quantized": {"int8": .., "int16": ..}}, ...]}}}
`quantized` (the accuracy at the accelerator's integer precisions) is there when the table was built
with `precisions`; a replay of a table without it uses the fp32 accuracy and its records say so
(`TrialRecord.accuracy_precision`).
"""

from __future__ import annotations

import hashlib
import math
import statistics
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any

from coexplore.errors import CoexploreError
from coexplore.files import read_mapping
from coexplore.nets import HourglassSpace
from coexplore.placement import placements
from coexplore.results import write_json_atomic

TABLE_SCHEMA = 2
READABLE_SCHEMAS = (1, 2)
TABLE_KIND = "coexplore-bench-table"
BUILD_FIX = "build one with `coexplore bench-table build`"

Replicate = dict[str, Any]
OnReplicate = Callable[[str, Replicate, int, int], None]


@dataclass
class BenchTable:
    """A trained space. `entries[spec]["replicates"]` lists every training of that network; an entry
    given in the schema-1 shape (one training's fields) becomes one replicate with `train["seed"]`."""

    space: dict[str, Any]
    data: str
    train: dict[str, Any]
    train_key: str
    metric: str = ""
    entries: dict[str, dict] = field(default_factory=dict)
    created: str = ""
    path: Path | None = None

    def __post_init__(self) -> None:
        base_seed = int(self.train.get("seed") or 0)
        self.entries = {spec: _as_replicated(entry, base_seed) for spec, entry in self.entries.items()}

    # -- file --
    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": TABLE_SCHEMA,
            "kind": TABLE_KIND,
            "created": self.created,
            "space": self.space,
            "data": self.data,
            "train": self.train,
            "train_key": self.train_key,
            "metric": self.metric,
            "entries": self.entries,
        }

    def save(self, path: str | Path | None = None) -> Path:
        target = Path(path or self.path)
        self.path = write_json_atomic(target, self.to_dict())
        return self.path

    @classmethod
    def load(cls, path: str | Path) -> "BenchTable":
        path = Path(path)
        data = read_mapping(path, what="table", fix=BUILD_FIX)
        if data.get("kind") != TABLE_KIND:
            raise CoexploreError("not a coexplore benchmark table", field=str(path), fix=BUILD_FIX)
        if data.get("schema") not in READABLE_SCHEMAS:
            raise CoexploreError(f"table schema {data.get('schema')} is not one of {READABLE_SCHEMAS}",
                                 field=str(path), fix="rebuild it with this version of `coexplore bench-table build`")
        try:
            return cls(
                space=data["space"],
                data=data["data"],
                train=data["train"],
                train_key=data["train_key"],
                metric=data.get("metric", ""),
                entries=dict(data.get("entries", {})),
                created=data.get("created", ""),
                path=path,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CoexploreError(f"malformed table ({exc})", field=str(path),
                                 fix="rebuild it with `coexplore bench-table build`") from None

    # -- replicates --
    @property
    def base_seed(self) -> int:
        return int(self.train.get("seed") or 0)

    def replicates(self, spec: str) -> list[Replicate]:
        """Every stored training of `spec`, by training seed (empty if the network is not in the table)."""
        entry = self.entries.get(str(spec))
        return sorted(entry["replicates"], key=lambda r: r["seed"]) if entry else []

    def complete_replicates(self, spec: str) -> list[Replicate]:
        return [r for r in self.replicates(spec) if r.get("status") == "complete" and r.get("accuracy") is not None]

    def replicate(self, spec: str, seed: int, draw: int = 0) -> Replicate | None:
        """The training a search with `seed` gets for `spec` (its `draw`-th evaluation of it): one of
        the stored replicates, picked by a hash of (seed, network, draw). None if none is stored."""
        found = self.replicates(spec)
        if not found:
            return None
        digest = hashlib.sha256(f"{int(seed)}\n{spec}\n{int(draw)}".encode()).digest()
        return found[int.from_bytes(digest[:8], "big") % len(found)]

    def mean_accuracy(self, spec: str, precision: str = "fp32") -> float | None:
        """Mean accuracy over the complete replicates (None when none completed): the verdict's value.
        At an integer `precision`, each replicate's quantised accuracy where stored, else its fp32 one."""
        accuracies = [float((r.get("quantized") or {}).get(precision, r["accuracy"])) for r in self.complete_replicates(spec)]
        return statistics.fmean(accuracies) if accuracies else None

    def precisions(self) -> set[str]:
        """The integer precisions every complete replicate has a quantised accuracy for."""
        found = [set(r.get("quantized") or {}) for spec in self.entries for r in self.complete_replicates(spec)]
        return set.intersection(*found) if found else set()

    def mean_entry(self, spec: str) -> dict[str, Any] | None:
        """The network as one schema-1 style entry: mean accuracy, mean curve and mean cost over its
        complete replicates ("failed" with the first reason when none completed)."""
        found = self.replicates(spec)
        if not found:
            return None
        complete = self.complete_replicates(spec)
        first = (complete or found)[0]
        entry = {key: first.get(key) for key in ("metric", "device", "params")}
        entry["wall_s"] = statistics.fmean(float(r.get("wall_s") or 0.0) for r in found)
        entry["replicates"] = len(found)
        if not complete:
            return {**entry, "status": first.get("status", "failed"), "accuracy": None,
                    "reason": first.get("reason"), "curve": []}
        curves = [r.get("curve") or [] for r in complete]
        length = min(len(c) for c in curves)
        entry["curve"] = [statistics.fmean(c[i] for c in curves) for i in range(length)]
        return {**entry, "status": "complete", "accuracy": self.mean_accuracy(spec), "reason": None}

    def complete_entries(self) -> dict[str, dict]:
        """Mean entries of the networks with at least one complete replicate."""
        return {spec: self.mean_entry(spec) for spec in self.entries if self.complete_replicates(spec)}

    def seeds_of(self, spec: str) -> set[int]:
        return {int(r["seed"]) for r in self.replicates(spec)}

    def make_space(self) -> HourglassSpace:
        return HourglassSpace.from_config(self.space)


def _as_replicated(entry: dict[str, Any], base_seed: int) -> dict[str, Any]:
    """A schema-2 entry from either shape (a schema-1 entry is one training with the base seed);
    raises TypeError / ValueError on a malformed one (`load` turns that into one clear error)."""
    if not isinstance(entry, dict):
        raise TypeError(f"an entry is {type(entry).__name__}, not a mapping")
    if "replicates" not in entry:
        return {"replicates": [_checked_replicate({"seed": base_seed, **entry})]}
    if set(entry) != {"replicates"} or not isinstance(entry["replicates"], list):
        raise ValueError(f"an entry has {sorted(entry)}: a replicated entry is {{'replicates': [...]}} only")
    return {"replicates": [_checked_replicate({"seed": base_seed, **r} if isinstance(r, dict) else r)
                           for r in entry["replicates"]]}


def _checked_replicate(replicate: Any) -> Replicate:
    """One training: a mapping with an integer seed and an accuracy that is a number or null."""
    if not isinstance(replicate, dict):
        raise TypeError(f"a replicate is {type(replicate).__name__}, not a mapping")
    accuracy, seed = replicate.get("accuracy"), replicate["seed"]
    if isinstance(accuracy, bool) or not (accuracy is None or isinstance(accuracy, (int, float))):
        raise ValueError(f"accuracy {accuracy!r} is not a number")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed {seed!r} is not an integer")
    return replicate


def space_config_dict(source: str | Path | dict[str, Any] | None) -> dict[str, Any]:
    """A space config as a plain dict (so a table or a study carries its space with it)."""
    space = HourglassSpace.default() if source is None else HourglassSpace.from_config(source)
    return space.config.model_dump(mode="json")


def parse_budget(text: str) -> dict[str, Any]:
    """`3` or `3ep` → 3 epochs; `45s` → 45 seconds of training per network (both must be positive)."""
    value = text.strip().lower()
    try:
        if value.endswith("s") and not value.endswith("ep"):
            seconds = float(value[:-1])
            if math.isfinite(seconds) and seconds > 0:
                return {"seconds": seconds, "epochs": None}
        else:
            epochs = int(value.removesuffix("ep").removesuffix("epochs"))
            if epochs >= 1:
                return {"epochs": epochs}
    except ValueError:
        pass
    raise CoexploreError(f"cannot read budget {text!r}", field="--budget",
                         fix="use a positive budget, e.g. 3 (epochs) or 45s (seconds)")


# -- building -------------------------------------------------------------------------------------
Job = tuple[str, int]  # (spec, training seed)
Trainer = Callable[[str, int, str, dict[str, Any]], Replicate]


def train_replicate(spec: str, seed: int, data: str, train_options: dict[str, Any],
                    precisions: tuple[str, ...] = ()) -> Replicate:
    """One network, one training with `seed`, scored at each of `precisions` too; never raises for
    NaN / OOM (the trainer reports them)."""
    from coexplore.pose.train_config import TrainConfig
    from coexplore.pose.trainer import train
    from coexplore.search.networks import hourglass_network

    config = TrainConfig.from_options(**{**train_options, "seed": seed})
    quantized_options = {"precisions": precisions} if precisions else {}  # fp32 tables: the call as before
    result = train(hourglass_network(spec), data, config, progress=False, **quantized_options)
    quantized = {"quantized": dict(result.quantized_accuracy)} if precisions else {}
    return {
        "seed": seed,
        "status": result.status,
        "accuracy": result.accuracy,
        "reason": result.reason or None,
        "metric": result.metric,
        "wall_s": float(result.wall_s),
        "device": result.device or None,
        "curve": [float(p["val_accuracy"]) for p in result.curve if "val_accuracy" in p],
        "params": int(result.params),
        **quantized,
    }


def build_table(
    space: str | Path | dict[str, Any] | None,
    data: str,
    train_options: dict[str, Any],
    out: str | Path,
    *,
    seeds: int = 1,
    workers: int = 1,
    on_entry: OnReplicate | None = None,
    trainer: Trainer = train_replicate,
    precisions: tuple[str, ...] = (),
) -> BenchTable:
    """Train every network of `space` `seeds` times (seeds train.seed .. train.seed + seeds - 1) and
    store every training in `out`; an existing `out` is resumed: only missing replicates train.
    Jobs run replicate by replicate (all networks once, then all again), so a partial table is
    usable early. `trainer` is the training function (tests pass a fake). `precisions` ("int8",
    "int16"): each training is also scored at them (one cheap quantised evaluation each)."""
    from coexplore.pose.train_config import TrainConfig

    if seeds < 1:
        raise CoexploreError(f"--seeds is {seeds}", field="--seeds", fix="train each network at least once: --seeds 1 or more")
    space_dict = space_config_dict(space)
    config = TrainConfig.from_options(**train_options)
    train_dict = config.model_dump(mode="json")
    out = Path(out)
    if out.exists():
        table = BenchTable.load(out)
        if _genes(table.space) != _genes(space_dict) or table.data != data or table.train_key != config.key():
            raise CoexploreError(
                "was built with another space, data or training config: " + _differences(table, space_dict, data, config),
                field=str(out),
                fix="use another --out, or pass the table's settings (listed first) to resume it",
            )
    else:
        table = BenchTable(space_dict, data, train_dict, config.key(), created=_now(), path=out)
    specs = [str(spec) for spec in HourglassSpace.from_config(space_dict).enumerate()]
    if not specs:
        raise CoexploreError("the space is empty", field="--space", fix="give every gene at least one value")
    wanted = [(spec, config.seed + k) for k in range(seeds) for spec in specs]
    todo = [(spec, seed) for spec, seed in wanted if seed not in table.seeds_of(spec)]
    done = len(wanted) - len(todo)
    if precisions:
        trainer = partial(trainer, precisions=tuple(precisions))
    for replicate_spec, replicate in _run_trainings(todo, data, train_dict, workers, trainer):
        table.entries.setdefault(replicate_spec, {"replicates": []})["replicates"].append(replicate)
        table.metric = table.metric or replicate.get("metric", "")
        table.save(out)
        done += 1
        if on_entry is not None:
            on_entry(replicate_spec, replicate, done, len(wanted))
    return table


def _differences(table: BenchTable, space: dict[str, Any], data: str, config: Any) -> str:
    """What differs between the stored table and this build, e.g. "train.epochs 3 (table) ≠ 4"."""
    from coexplore.pose.train_config import BOOKKEEPING_FIELDS, LATER_FIELDS_DEFAULTS

    stored, wanted = _genes(table.space), _genes(space)
    found = [f"space.{k} {stored.get(k)} (table) ≠ {wanted.get(k)}" for k in sorted(stored.keys() | wanted.keys())
             if stored.get(k) != wanted.get(k)]  # fmt: skip
    if table.data != data:
        found.append(f"data {table.data} (table) ≠ {data}")
    now = config.model_dump(mode="json")
    found += [f"train.{k} {table.train.get(k)} (table) ≠ {now.get(k)}" for k in sorted(now)
              if k not in BOOKKEEPING_FIELDS and table.train.get(k, LATER_FIELDS_DEFAULTS.get(k)) != now.get(k)]  # fmt: skip
    return "; ".join(found) or "the training config's key"


def _genes(space: dict[str, Any]) -> dict[str, Any]:
    """A space without its labels: renaming or re-describing a space does not stop a resume."""
    return {key: value for key, value in space.items() if key not in ("name", "description")}


def _train_job(job: Job, data: str, train_options: dict, trainer: Trainer) -> tuple[str, Replicate]:
    spec, seed = job
    return spec, trainer(spec, seed, data, train_options)


def _run_trainings(todo: list[Job], data: str, train_options: dict, workers: int,
                   trainer: Trainer) -> Iterator[tuple[str, Replicate]]:
    if workers <= 1:
        for job in todo:
            yield _train_job(job, data, train_options, trainer)
        return
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    places = context.Queue()
    for place in placements(workers):
        places.put(place)
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_place_worker, initargs=(places,),
    ) as pool:
        futures = [pool.submit(_train_job, job, data, train_options, trainer) for job in todo]
        try:
            for future in as_completed(futures):
                yield future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _place_worker(places: Any) -> None:
    """Pool-process initializer: take the next free place (a GPU or a share of the cores) before
    torch starts."""
    places.get().apply()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
