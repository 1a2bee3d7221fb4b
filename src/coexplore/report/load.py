"""Read a run folder's `results.json` and check it before anything is drawn.

Every problem a user can cause (wrong folder, truncated file, hand-edited field) becomes one
`CoexploreError` naming the file and the field, with the fix.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from pydantic import ValidationError

from coexplore.errors import CoexploreError
from coexplore.report.fronts import hypervolume_mismatches
from coexplore.report.schema import RESULTS_SCHEMA_VERSION, Results, TopKRow, TrialRecord

RESULTS_FILE = "results.json"
_MAX_LISTED_ERRORS = 3
# Stored percentages are compared with a recomputation; search may round them to 2 decimals.
CONSISTENCY_TOLERANCE_PCT = 0.05
_RERUN_FIX = "re-run `coexplore search` with the same config (it resumes and rewrites the file)"


def results_path(run: str | Path) -> Path:
    """`RUN/results.json` for a run folder; a path to the file itself is accepted too."""
    path = Path(run)
    if path.is_file():
        return path
    if not path.exists():
        raise CoexploreError(
            "run folder not found",
            field=str(path),
            fix="pass the folder that `coexplore search` wrote (it holds results.json)",
        )
    file = path / RESULTS_FILE
    if not file.is_file():
        raise CoexploreError(
            f"no {RESULTS_FILE} in the run folder",
            field=str(file),
            fix="pass a finished search run folder; a search writes results.json when it ends",
        )
    return file


def load_results(run: str | Path) -> Results:
    """Load and validate `RUN/results.json` (or the file given directly)."""
    file = results_path(run)
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise CoexploreError(f"not UTF-8 text ({exc.reason})", field=str(file), fix=_RERUN_FIX) from None
    except json.JSONDecodeError as exc:
        raise CoexploreError(
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}", field=str(file), fix=_RERUN_FIX
        ) from None
    if not isinstance(raw, dict):
        raise CoexploreError("must hold a JSON object", field=str(file), fix=_RERUN_FIX)
    version = raw.get("schema")
    if version != RESULTS_SCHEMA_VERSION:
        raise CoexploreError(
            f"schema version {version!r} is not supported (this coexplore reads version {RESULTS_SCHEMA_VERSION})",
            field=f"{file}: schema",
            fix="use the coexplore version that wrote the run, or re-run the search",
        )
    try:
        return Results.model_validate(raw)
    except ValidationError as exc:
        raise CoexploreError(_describe(exc), field=str(file), fix=_RERUN_FIX) from None


def _describe(exc: ValidationError) -> str:
    errors = exc.errors()
    parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:_MAX_LISTED_ERRORS]]
    more = len(errors) - _MAX_LISTED_ERRORS
    if more > 0:
        parts.append(f"and {more} more")
    return "malformed results: " + "; ".join(parts)


def faster_pct(baseline_value: float, design_value: float) -> float:
    """The paper's "% faster": 100·(baseline − design)/baseline (Qiu et al., ICET 2021)."""
    if baseline_value == 0:
        return 0.0
    return 100.0 * (baseline_value - design_value) / baseline_value


def check_consistency(results: Results) -> list[str]:
    """Warnings about a results file that parses but disagrees with itself.

    The top-k block is checked against the trial records it names and against the paper's
    formula; Pareto numbers must name trials; stored hypervolumes must match the trials. The report
    still renders; the warnings are shown.
    """
    warnings: list[str] = []
    base = results.baseline
    if not base.has_costs or base.accuracy is None:
        warnings.append("the baseline has no accuracy or latency; % faster cannot be checked")
    topk = results.topk
    if topk.rows and topk.strategy not in results.strategies:
        warnings.append(f"topk.strategy {topk.strategy!r} is not among the strategies")
    for rank, row in enumerate(topk.rows, start=1):
        record = results.trial(topk.strategy, row.number)
        if record is None:
            warnings.append(f"top-k #{rank}: trial {row.number} not found in strategy {topk.strategy!r}")
        else:
            warnings += _row_vs_record(rank, row, record)
        if base.has_costs and base.accuracy is not None:
            warnings += _row_vs_formula(rank, row, base)
    warnings += hypervolume_mismatches(results.strategies, results.hypervolume_reference)
    for name, strategy in results.strategies.items():
        numbers = {t.number for t in strategy.trials}
        missing = [n for n in strategy.pareto if n not in numbers]
        if missing:
            warnings.append(f"strategy {name!r}: Pareto trials {missing} are not among its trials")
    return warnings


def _row_vs_record(rank: int, row: TopKRow, record: TrialRecord) -> list[str]:
    out = []
    for key in ("accuracy", "compute_ms", "memory_ms", "total_ms"):
        stored, actual = getattr(row, key), getattr(record, key)
        if actual is None or not math.isclose(stored, actual, rel_tol=1e-6, abs_tol=1e-9):
            out.append(f"top-k #{rank} (trial {row.number}): {key} {stored} differs from the trial record ({actual})")
    return out


def _row_vs_formula(rank: int, row: TopKRow, base: TrialRecord) -> list[str]:
    expected = {
        "compute_faster_pct": faster_pct(base.compute_ms, row.compute_ms),
        "memory_faster_pct": faster_pct(base.memory_ms, row.memory_ms),
        "total_faster_pct": faster_pct(base.total_ms, row.total_ms),
        "accuracy_loss": base.accuracy - row.accuracy,
    }
    return [
        f"top-k #{rank} (trial {row.number}): {key} {getattr(row, key):.2f} but the baseline and row give {value:.2f}"
        for key, value in expected.items()
        if abs(getattr(row, key) - value) > CONSISTENCY_TOLERANCE_PCT
    ]
