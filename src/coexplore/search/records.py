"""Trial records: what one evaluated candidate is, as stored in Optuna and in `results.json`.

The objective stores every field of a `TrialRecord` as an Optuna user attribute (plain JSON), so a
record can be rebuilt from the storage alone (`coexplore results RUN`), from any machine.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

STATUSES: tuple[str, ...] = ("complete", "rejected_hw", "failed", "pruned")

# How a trial got its accuracy (user attribute "evaluation"):
#   trained — trained now, on this machine;   cache — served by the evaluation cache (another
#   strategy or study trained it);   table — looked up in a tabular benchmark (replay);
#   repeat — this study had already evaluated the same network (free, not on the budget);
#   none — never trained (rejected by the hardware check).
EVALUATIONS: tuple[str, ...] = ("trained", "cache", "table", "repeat", "none")
# Evaluations that spend one unit of a strategy's training budget. A cache hit from another
# strategy still counts: it is what the strategy would have had to train, so strategies stay
# comparable whatever order they run in; only its compute is free.
BUDGET_EVALUATIONS: frozenset[str] = frozenset({"trained", "cache", "table"})

HARDWARE_FIELDS: tuple[str, ...] = (
    "design",
    "design_str",
    "compute_ms",
    "memory_ms",
    "total_ms",
    "dsp",
    "bram18",
    "bandwidth_gbps",
    "fits",
)
RECORD_FIELDS: tuple[str, ...] = (
    "spec",
    *HARDWARE_FIELDS,
    "status",
    "reason",
    "accuracy",
    "feasible",
    "train_seconds",
    "train_device",
    "cached",
)
# Extra keys kept in results.json beside the contract's (the report ignores what it does not know).
EXTRA_FIELDS: tuple[str, ...] = ("evaluation", "worker", "cost_seconds", "curve", "hw_problems", "metric")


# All of a trial's record lives in one user attribute (one database write per trial, not thirty).
RECORD_ATTR = "coexplore"


def trial_attrs(trial: Any) -> dict[str, Any]:
    """The record fields a trial stored (empty for a trial that never finished its objective)."""
    return dict(trial.user_attrs.get(RECORD_ATTR) or {})


def record_from_attrs(number: int, strategy: str, attrs: dict[str, Any]) -> dict:
    """A TrialRecord dict from a trial's user attributes (missing fields become None/defaults)."""
    record: dict[str, Any] = {"number": int(number), "strategy": strategy}
    for key in RECORD_FIELDS:
        record[key] = attrs.get(key)
    record["status"] = record["status"] or "failed"
    record["feasible"] = bool(record["feasible"])
    record["cached"] = bool(record["cached"])
    record["train_seconds"] = float(record["train_seconds"] or 0.0)
    for key in EXTRA_FIELDS:
        if key in attrs:
            record[key] = attrs[key]
    record["per_op"] = None
    return record


def spends_budget(record: dict) -> bool:
    """Did this record use one unit of its strategy's training budget?"""
    return record.get("evaluation") in BUDGET_EVALUATIONS and record.get("status") in ("complete", "failed", "pruned")


JSON_FILE_MODE = 0o644


def write_json_atomic(path: str | Path, data: Any) -> Path:
    """Write JSON through a temporary file and a rename: a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, JSON_FILE_MODE)  # mkstemp makes it private; results are meant to be shared
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=1, default=_json_default)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    raise TypeError(f"not JSON serialisable: {type(obj)}")
