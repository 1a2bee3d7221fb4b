"""Where a candidate's accuracy comes from: training (through the cache) or a tabular benchmark.

Both evaluators answer `evaluate(spec, on_epoch) -> Evaluation`, so every strategy runs on the same
machinery whether it trains for real or replays a table.
"""

from __future__ import annotations

import hashlib
import math
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from coexplore.errors import CoexploreError
from coexplore.search.cache import Cache
from coexplore.search.table import BenchTable

OnEpoch = Callable[[int, float], bool]


@dataclass
class Evaluation:
    """The accuracy side of a trial.

    `source`: trained (now), cache (trained earlier by any strategy or study), table (replayed).
    `cost_seconds` is what the training took when it ran; `curve` the validation accuracy per epoch.
    `accuracy` is the fp32 network's; `quantized` its accuracy at the accelerator's integer
    precisions ("int8", "int16"), where they were measured (see `accuracy_at`).
    """

    status: str
    accuracy: float | None
    source: str
    reason: str | None = None
    metric: str = ""
    cost_seconds: float = 0.0
    train_device: str | None = None
    curve: list[float] = field(default_factory=list)
    quantized: dict[str, float] = field(default_factory=dict)

    def accuracy_at(self, precision: str) -> tuple[float | None, str]:
        """The accuracy of the network computed at `precision`, and the precision it was measured at:
        fp32 (with that label) when the quantised one was not measured (e.g. a table built without it)."""
        if precision in self.quantized and self.accuracy is not None:
            return float(self.quantized[precision]), precision
        return self.accuracy, "fp32"

    def __post_init__(self) -> None:
        # A NaN or infinite metric (a data source whose metric has no denominator, a broken score)
        # is a failed evaluation, never a complete one: as an objective value Optuna would FAIL
        # the trial, and a FAIL trial counts toward no budget, so the search would never end.
        if self.accuracy is None or self.status == "failed":
            return
        try:
            value = float(self.accuracy)
        except (TypeError, ValueError):
            value = math.nan
        if math.isfinite(value):
            self.accuracy = value
            return
        problem = f"metric is {self.accuracy!r}: {self.metric or 'the validation metric'} has no finite value"
        self.status, self.accuracy = "failed", None
        self.reason = f"{problem} ({self.reason})" if self.reason else f"{problem}; check the data source"

    @property
    def spent_seconds(self) -> float:
        """Training seconds this evaluation cost now (a cache hit costs nothing)."""
        return self.cost_seconds if self.source in ("trained", "table") else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "accuracy": self.accuracy,
            "reason": self.reason,
            "metric": self.metric,
            "wall_s": self.cost_seconds,
            "device": self.train_device,
            "curve": list(self.curve),
            "quantized": dict(self.quantized),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str) -> "Evaluation":
        return cls(
            status=str(data.get("status", "complete")),
            accuracy=data.get("accuracy"),
            source=source,
            reason=data.get("reason") or None,
            metric=str(data.get("metric") or ""),
            cost_seconds=float(data.get("wall_s") or 0.0),
            train_device=data.get("device") or None,
            curve=[float(x) for x in data.get("curve", [])],
            quantized={str(k): float(v) for k, v in (data.get("quantized") or {}).items()},
        )


class Evaluator(Protocol):
    metric: str

    def evaluate(self, spec: str, on_epoch: OnEpoch | None = None) -> Evaluation: ...

    def lookup(self, spec: str) -> Evaluation | None: ...


def _curve_of(result: Any) -> list[float]:
    return [float(point["val_accuracy"]) for point in getattr(result, "curve", []) if "val_accuracy" in point]


class TrainingEvaluator:
    """Trains candidates with `coexplore.pose.trainer.train`, through the evaluation cache.

    Complete and failed trainings are cached: a failure (NaN metric, diverged loss, out of memory)
    costs its training once and is reported with its reason, rather than trained again by every
    strategy and every resume. A pruned run is partial and is not cached.
    """

    def __init__(
        self,
        data: str,
        train_options: dict[str, Any],
        cache: Cache | None = None,
        checkpoint_root: str | Path | None = None,
        precisions: tuple[str, ...] = (),
    ):
        from coexplore.pose.train_config import TrainConfig

        # integer precisions every training is also scored at (one training, one cheap evaluation each)
        self.precisions = tuple(p for p in precisions if p != "fp32")
        self.data = data
        self.config = TrainConfig.from_options(**train_options)
        self.train_key = self.config.key()
        self.cache = cache
        self.checkpoint_root = Path(checkpoint_root) if checkpoint_root else None
        self.metric = ""

    def lookup(self, spec: str) -> Evaluation | None:
        if self.cache is None:
            return None
        stored = self.cache.get(spec, self.train_key, self.data)
        if stored is None:  # one cached before quantised accuracy existed replays fp32, and its record says so
            return None
        self.metric = self.metric or str(stored.get("metric") or "")
        return Evaluation.from_dict(stored, source="cache")

    def evaluate(self, spec: str, on_epoch: OnEpoch | None = None) -> Evaluation:
        cached = self.lookup(spec)
        if cached is not None:
            return cached
        from coexplore.pose.trainer import train
        from coexplore.search.networks import hourglass_network

        config = self.config
        checkpoint_dir = self.checkpoint_dir(spec)
        if checkpoint_dir is not None:  # a retried trial resumes the killed worker's training
            config = config.model_copy(update={"checkpoint_dir": str(checkpoint_dir)})
        quantized_options = {"precisions": self.precisions} if self.precisions else {}
        result = train(hourglass_network(spec), self.data, config, progress=False, on_epoch=on_epoch,
                       **quantized_options)
        evaluation = Evaluation(
            status=result.status,
            accuracy=result.accuracy,
            source="trained",
            reason=result.reason or None,
            metric=result.metric,
            cost_seconds=float(result.wall_s),
            train_device=result.device or None,
            curve=_curve_of(result),
            quantized=dict(result.quantized_accuracy),
        )
        self.metric = self.metric or result.metric
        if evaluation.status in ("complete", "failed") and self.cache is not None:
            self.cache.put(spec, self.train_key, self.data, evaluation.to_dict())
        if checkpoint_dir is not None and evaluation.status != "complete":
            # a pruned or failed run is not worth keeping, and its stored result must not stand in
            # for a full training of the same network later
            shutil.rmtree(checkpoint_dir, ignore_errors=True)
        return evaluation  # a complete run keeps its checkpoint: `coexplore export` takes its weights

    def checkpoint_dir(self, spec: str) -> Path | None:
        """Where the training of `spec` keeps its checkpoint (`last.pt`, with the trained weights)."""
        return None if self.checkpoint_root is None else self.checkpoint_root / checkpoint_key(spec, self.train_key, self.data)

    def prune_checkpoints(self, keep: set[str]) -> list[Path]:
        """Delete the kept checkpoints of every network but those in `keep` (specs); returns them."""
        if self.checkpoint_root is None or not self.checkpoint_root.is_dir():
            return []
        wanted = {checkpoint_key(spec, self.train_key, self.data) for spec in keep}
        removed = [path for path in self.checkpoint_root.iterdir() if path.is_dir() and path.name not in wanted]
        for path in removed:
            shutil.rmtree(path, ignore_errors=True)
        return removed


def checkpoint_key(spec: str, train_key: str, data: str) -> str:
    """The folder name of a network's training checkpoint: one per (network, training, data)."""
    return hashlib.sha256(f"{spec}\n{train_key}\n{data}".encode()).hexdigest()[:16]


class TableEvaluator:
    """Replays a tabular benchmark as a real run would: a network's accuracy is ONE of its stored
    trainings, the replicate `BenchTable.replicate(spec, seed)` draws for the search seed (the same
    for every look-up of that network in this search, different across seeds). Scoring a search
    uses the networks' mean accuracies instead (`BenchTable.mean_accuracy`): the search sees noise,
    the verdict does not.

    `on_epoch` sees the replicate's validation curve, so pruning replays too. `delay_s` makes each
    replayed training sleep (to exercise workers, heartbeats and resume without training).
    """

    def __init__(self, table: BenchTable, delay_s: float = 0.0, seed: int = 0):
        self.table = table
        self.delay_s = delay_s
        self.seed = seed
        self.metric = table.metric

    def reseeded(self, seed: int) -> "TableEvaluator":
        """The same table replayed by a search with another seed."""
        return TableEvaluator(self.table, self.delay_s, seed)

    def lookup(self, spec: str) -> Evaluation | None:
        replicate = self.table.replicate(spec, self.seed)
        return None if replicate is None else Evaluation.from_dict(replicate, source="table")

    def evaluate(self, spec: str, on_epoch: OnEpoch | None = None) -> Evaluation:
        evaluation = self.lookup(spec)
        if evaluation is None:
            raise CoexploreError(
                f"network {spec} is not in the table {self.table.path}",
                field="table",
                fix="replay with the space the table was built on, or build it with `coexplore bench-table build`",
            )
        if self.delay_s:
            time.sleep(self.delay_s)
        if on_epoch is not None and evaluation.status == "complete":
            for epoch, accuracy in enumerate(evaluation.curve[:-1], start=1):
                if on_epoch(epoch, accuracy):
                    fraction = epoch / len(evaluation.curve)
                    return Evaluation(
                        status="pruned",
                        accuracy=accuracy,
                        source="table",
                        reason=f"pruned after epoch {epoch}",
                        metric=evaluation.metric,
                        cost_seconds=evaluation.cost_seconds * fraction,
                        train_device=evaluation.train_device,
                        curve=evaluation.curve[:epoch],
                    )
        return evaluation
