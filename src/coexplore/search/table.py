"""The tabular benchmark: train every network of a small space once, then replay any strategy on it.

`build_table` trains each network of the space with one training config (resumable: the table file
is rewritten atomically after each network, and a re-run trains only what is missing; parallel:
worker processes, each on its own share of the CPU cores or its own GPU). `BenchTable.load` +
`TableEvaluator` (evaluation.py) then let a search run without training, so strategies can be
compared over many seeds in seconds (the NAS-Bench idea).

File format (JSON, schema 1):
    {"schema": 1, "kind": "coexplore-bench-table", "created": ISO, "space": {space config},
     "data": str, "train": {TrainConfig}, "train_key": str, "metric": str,
     "entries": {spec: {"status", "accuracy", "reason", "metric", "wall_s", "device", "curve": [..],
                        "params"}}}
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from coexplore.errors import CoexploreError
from coexplore.files import read_mapping
from coexplore.nets import HourglassSpace
from coexplore.placement import placements
from coexplore.results import write_json_atomic

TABLE_SCHEMA = 1
TABLE_KIND = "coexplore-bench-table"


@dataclass
class BenchTable:
    space: dict[str, Any]
    data: str
    train: dict[str, Any]
    train_key: str
    metric: str = ""
    entries: dict[str, dict] = field(default_factory=dict)
    created: str = ""
    path: Path | None = None

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
        data = read_mapping(path, what="table", fix="build one with `coexplore bench-table build`")
        if data.get("kind") != TABLE_KIND:
            raise CoexploreError("not a coexplore benchmark table", field=str(path), fix="build one with `coexplore bench-table build`")
        if data.get("schema") != TABLE_SCHEMA:
            raise CoexploreError(f"table schema {data.get('schema')} is not {TABLE_SCHEMA}", field=str(path))
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
        except KeyError as exc:
            raise CoexploreError(f"missing key {exc}", field=str(path)) from None

    def complete_entries(self) -> dict[str, dict]:
        return {spec: e for spec, e in self.entries.items() if e.get("status") == "complete"}

    def make_space(self) -> HourglassSpace:
        return HourglassSpace.from_config(self.space)


def space_config_dict(source: str | Path | dict[str, Any] | None) -> dict[str, Any]:
    """A space config as a plain dict (so a table or a study carries its space with it)."""
    space = HourglassSpace.default() if source is None else HourglassSpace.from_config(source)
    return space.config.model_dump(mode="json")


def parse_budget(text: str) -> dict[str, Any]:
    """`3` or `3ep` → 3 epochs; `45s` → 45 seconds of training per network."""
    value = text.strip().lower()
    try:
        if value.endswith("s") and not value.endswith("ep"):
            return {"seconds": float(value[:-1]), "epochs": None}
        return {"epochs": int(value.removesuffix("ep").removesuffix("epochs"))}
    except ValueError:
        raise CoexploreError(f"cannot read budget {text!r}", field="--budget", fix="use e.g. 3 (epochs) or 45s (seconds)") from None


def _train_one(spec: str, data: str, train_options: dict[str, Any]) -> tuple[str, dict]:
    """Worker-process body: one network, one training; never raises for NaN / OOM."""
    from coexplore.pose.train_config import TrainConfig
    from coexplore.pose.trainer import train
    from coexplore.search.networks import hourglass_network

    result = train(hourglass_network(spec), data, TrainConfig.from_options(**train_options), progress=False)
    entry = {
        "status": result.status,
        "accuracy": result.accuracy,
        "reason": result.reason or None,
        "metric": result.metric,
        "wall_s": float(result.wall_s),
        "device": result.device or None,
        "curve": [float(p["val_accuracy"]) for p in result.curve if "val_accuracy" in p],
        "params": int(result.params),
    }
    return spec, entry


def _place_worker(places: Any) -> None:
    """Pool-process initializer: take the next free place (a GPU or a share of the cores) before
    torch starts."""
    places.get().apply()


def build_table(
    space: str | Path | dict[str, Any] | None,
    data: str,
    train_options: dict[str, Any],
    out: str | Path,
    *,
    workers: int = 1,
    on_entry: Callable[[str, dict, int, int], None] | None = None,
) -> BenchTable:
    """Train every network of `space` once and store the results in `out` (resumes a partial file)."""
    from coexplore.pose.train_config import TrainConfig

    space_dict = space_config_dict(space)
    config = TrainConfig.from_options(**train_options)
    train_dict = config.model_dump(mode="json")
    out = Path(out)
    if out.exists():
        table = BenchTable.load(out)
        if table.space != space_dict or table.data != data or table.train_key != config.key():
            raise CoexploreError(
                "was built with another space, data or training budget",
                field=str(out),
                fix="use another --out, or the same --space / --data / --budget to resume it",
            )
    else:
        table = BenchTable(space_dict, data, train_dict, config.key(), created=_now(), path=out)
    specs = [str(spec) for spec in HourglassSpace.from_config(space_dict).enumerate()]
    if not specs:
        raise CoexploreError("the space is empty", field="--space", fix="give every gene at least one value")
    todo = [spec for spec in specs if spec not in table.entries]
    table.save(out)
    done = len(specs) - len(todo)
    if not todo:
        return table
    for spec, entry in _run_trainings(todo, data, train_dict, workers):
        table.entries[spec] = entry
        table.metric = table.metric or entry.get("metric", "")
        table.save(out)
        done += 1
        if on_entry is not None:
            on_entry(spec, entry, done, len(specs))
    return table


def _run_trainings(todo: list[str], data: str, train_options: dict, workers: int):
    if workers <= 1:
        for spec in todo:
            yield _train_one(spec, data, train_options)
        return
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    places = context.Queue()
    for place in placements(workers):
        places.put(place)
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_place_worker, initargs=(places,),
    ) as pool:
        futures = [pool.submit(_train_one, spec, data, train_options) for spec in todo]
        try:
            for future in as_completed(futures):
                yield future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def table_summary(table: BenchTable) -> dict[str, Any]:
    """Counts and the accuracy spread of a table (for the CLI)."""
    complete = [e["accuracy"] for e in table.complete_entries().values() if e.get("accuracy") is not None]
    seconds = [float(e.get("wall_s") or 0) for e in table.entries.values()]
    return {
        "networks": len(table.entries),
        "complete": len(complete),
        "failed": len(table.entries) - len(complete),
        "accuracy_min": min(complete) if complete else None,
        "accuracy_max": max(complete) if complete else None,
        "train_seconds": sum(seconds),
        "metric": table.metric,
        "data": table.data,
    }
