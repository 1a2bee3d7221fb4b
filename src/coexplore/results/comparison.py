"""The paper's comparison against the baseline: "% faster" and the accuracy loss of the top-k designs.

Qiu et al. (ICET 2021) report their top-5 co-explored designs as % faster in computation, memory
access and total time than the baseline, and the accuracy loss, per design and on average. Sign
conventions, used everywhere: % faster is positive when the design is faster; the accuracy loss is
positive when the design is less accurate. A missing figure, or a baseline time <= 0, gives None
(no percentage can be taken of it), never 0 or a flipped sign.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence

from pydantic import BaseModel

from coexplore.results.records import TrialRecord

DEFAULT_MAX_ACCURACY_LOSS = 1.0  # points: the paper's designs lost 0.75 on average

TIME_KEYS: tuple[str, ...] = ("compute_ms", "memory_ms", "total_ms")


def percent_faster(baseline_ms: float | None, design_ms: float | None) -> float | None:
    """100 · (baseline − design) / baseline: positive = the design is faster, negative = slower."""
    if baseline_ms is None or design_ms is None or baseline_ms <= 0:
        return None
    return 100.0 * (baseline_ms - design_ms) / baseline_ms


def accuracy_loss(baseline_accuracy: float | None, design_accuracy: float | None) -> float | None:
    """Baseline − design, in accuracy points: positive = the design is worse."""
    if baseline_accuracy is None or design_accuracy is None:
        return None
    return baseline_accuracy - design_accuracy


class TopKAverage(BaseModel):
    """The paper's figures of one design against the baseline, or their mean over the top k."""

    accuracy: float
    compute_ms: float
    memory_ms: float
    total_ms: float
    compute_faster_pct: float | None
    memory_faster_pct: float | None
    total_faster_pct: float | None
    accuracy_loss: float | None


AVERAGED_KEYS: tuple[str, ...] = tuple(TopKAverage.model_fields)


class TopKRow(TopKAverage):
    """One top-k design: which trial it is, and its figures (`accuracy` is the mean over its
    `trainings`, `accuracy_sd` their SD when there are several)."""

    number: int
    spec: str
    design_str: str | None = None
    accuracy_sd: float | None = None
    trainings: int = 1


class TopK(BaseModel):
    """The paper's table: the fastest `k` designs of one strategy that lose at most
    `max_accuracy_loss` points against the reference (`reference`: "baseline" or "most accurate")."""

    strategy: str
    k: int
    rows: list[TopKRow]
    average: TopKAverage | None = None
    max_accuracy_loss: float | None = None
    reference: str = "baseline"
    reference_spec: str | None = None
    reference_accuracy: float | None = None
    reference_accuracy_sd: float | None = None
    reference_trainings: int = 1


def mean_and_sd(values: Sequence[float]) -> tuple[float, float | None]:
    """Mean, and the sample SD when there are at least two values."""
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else None


def _accuracies(record: TrialRecord, seed_accuracies: Mapping[str, Sequence[float]] | None) -> list[float]:
    found = list((seed_accuracies or {}).get(record.spec, ()))
    return found or ([] if record.accuracy is None else [float(record.accuracy)])


def topk_row(baseline: TrialRecord, record: TrialRecord,
             seed_accuracies: Mapping[str, Sequence[float]] | None = None) -> TopKRow:
    """One record's figures against the baseline (the record must have its costs and accuracy);
    accuracies are means over `seed_accuracies[spec]` when given (every training of the network)."""
    times = {key: float(getattr(record, key)) for key in TIME_KEYS}
    values = _accuracies(record, seed_accuracies)
    mean, sd = mean_and_sd(values)
    reference = _accuracies(baseline, seed_accuracies)
    return TopKRow(
        number=record.number,
        spec=record.spec,
        design_str=record.design_str,
        accuracy=mean,
        accuracy_sd=sd,
        trainings=len(values),
        **times,
        **{key.replace("_ms", "_faster_pct"): percent_faster(getattr(baseline, key), times[key]) for key in TIME_KEYS},
        accuracy_loss=accuracy_loss(mean_and_sd(reference)[0] if reference else None, mean),
    )


def topk_average(rows: Iterable[TopKAverage]) -> TopKAverage | None:
    """The mean of every column over the rows; None without rows, and a column is None when a row
    lacks it (no baseline to compare with)."""
    rows = list(rows)
    if not rows:
        return None
    columns = {key: [getattr(row, key) for row in rows] for key in AVERAGED_KEYS}
    return TopKAverage(**{
        key: None if None in values else sum(values) / len(values) for key, values in columns.items()
    })


def admitted(reference: TrialRecord, records: Iterable[TrialRecord], max_accuracy_loss: float) -> list[TrialRecord]:
    """The feasible records that lose at most `max_accuracy_loss` points against the reference
    (on the accuracies the search measured), fastest first; each network-and-design once, and never
    the reference itself. With an unevaluated reference no loss can be measured: every feasible
    record, fastest first."""
    unique: dict[tuple[str, str | None], TrialRecord] = {}
    for record in records:
        if not record.feasible or (record.spec, record.design_str) == (reference.spec, reference.design_str):
            continue
        loss = accuracy_loss(reference.accuracy, record.accuracy)
        if loss is None or loss <= max_accuracy_loss + 1e-9:
            unique.setdefault((record.spec, record.design_str), record)
    return sorted(unique.values(), key=lambda r: (float(r.total_ms), -float(r.accuracy), r.number))  # type: ignore[arg-type]


def most_accurate(records: Iterable[TrialRecord]) -> TrialRecord | None:
    """The most accurate feasible record (the faster one, then the earlier one, of equals)."""
    feasible = [r for r in records if r.feasible]
    return min(feasible, key=lambda r: (-float(r.accuracy), float(r.total_ms), r.number), default=None)  # type: ignore[arg-type]


def compare_topk(reference: TrialRecord, records: Iterable[TrialRecord], k: int, strategy: str, *,
                 max_accuracy_loss: float = DEFAULT_MAX_ACCURACY_LOSS, reference_label: str = "baseline",
                 seed_accuracies: Mapping[str, Sequence[float]] | None = None) -> TopK:
    """The paper's table: the `k` fastest records within `max_accuracy_loss` of the reference,
    against it, with their average (see the module docstring)."""
    rows = [topk_row(reference, record, seed_accuracies) for record in admitted(reference, records, max_accuracy_loss)[:k]]
    values = _accuracies(reference, seed_accuracies)
    mean, sd = mean_and_sd(values) if values else (None, None)
    return TopK(strategy=strategy, k=k, rows=rows, average=topk_average(rows), max_accuracy_loss=max_accuracy_loss,
                reference=reference_label, reference_spec=reference.spec, reference_accuracy=mean,
                reference_accuracy_sd=sd, reference_trainings=len(values))
