"""The paper's comparison against the baseline: "% faster" and the accuracy loss of the top-k designs.

Qiu et al. (ICET 2021) report their top-5 co-explored designs as % faster in computation, memory
access and total time than the baseline, and the accuracy loss, per design and on average. Sign
conventions, used everywhere: % faster is positive when the design is faster; the accuracy loss is
positive when the design is less accurate. A missing figure, or a baseline time <= 0, gives None
(no percentage can be taken of it), never 0 or a flipped sign.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel

from coexplore.results.fronts import rank_records
from coexplore.results.records import TrialRecord

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
    """One top-k design: which trial it is, and its figures."""

    number: int
    spec: str
    design_str: str | None = None


class TopK(BaseModel):
    """The paper's table: the best `k` designs of one strategy against the baseline."""

    strategy: str
    k: int
    rows: list[TopKRow]
    average: TopKAverage | None = None


def topk_row(baseline: TrialRecord, record: TrialRecord) -> TopKRow:
    """One record's figures against the baseline (the record must have its costs and accuracy)."""
    times = {key: float(getattr(record, key)) for key in TIME_KEYS}
    return TopKRow(
        number=record.number,
        spec=record.spec,
        design_str=record.design_str,
        accuracy=float(record.accuracy),  # type: ignore[arg-type]
        **times,
        **{key.replace("_ms", "_faster_pct"): percent_faster(getattr(baseline, key), times[key]) for key in TIME_KEYS},
        accuracy_loss=accuracy_loss(baseline.accuracy, record.accuracy),
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


def compare_topk(baseline: TrialRecord, records: Iterable[TrialRecord], k: int, strategy: str) -> TopK:
    """The top-k records by `rank_records`, against the baseline, with their average."""
    rows = [topk_row(baseline, record) for record in rank_records(records)[:k]]
    return TopK(strategy=strategy, k=k, rows=rows, average=topk_average(rows))
