"""`RUN/results.json`: the run-results document, its atomic writer and its reader.

The search writes it, the report reads it; both go through `RunResults`. The writer checks the
text it is about to write with the reader's own checks, so no file on disk is one the reader
would reject. The reader turns every problem (wrong folder, truncated file, hand-edited field,
other schema version) into one `CoexploreError` naming the file and the field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coexplore.errors import CoexploreError, validation_error
from coexplore.results.atomic import json_text, write_text_atomic
from coexplore.results.comparison import TopK
from coexplore.results.fronts import HypervolumeReference
from coexplore.results.records import TrialRecord
from coexplore.results.strategies import StrategyResult

RESULTS_SCHEMA = 1
RESULTS_FILE = "results.json"
_RERUN_FIX = "re-run `coexplore search` with the same config (it resumes and rewrites the file)"
_WRITER_FIX = "the results were built wrong (a bug): the previous file, if any, is kept; please report it"


class RunResults(BaseModel):
    """The whole `results.json` of one search run."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    schema_version: int = Field(RESULTS_SCHEMA, alias="schema")
    name: str
    created: str  # ISO 8601, UTC
    config: dict[str, Any] = Field(default_factory=dict)  # the search config, as run
    device: dict[str, Any]
    precision: str
    latency_budget_ms: float | None = None
    accuracy_floor: float | None = None
    metric: str
    hypervolume_reference: HypervolumeReference
    baseline: TrialRecord
    strategies: dict[str, StrategyResult]
    topk: TopK  # against the baseline network
    topk_vs_best: TopK | None = None  # the same table against the most accurate feasible network
    sequential_vs_coexplore: dict[str, Any] = Field(default_factory=dict)

    @property
    def device_name(self) -> str:
        return str(self.device.get("name", "unknown device"))

    def trial(self, strategy: str, number: int) -> TrialRecord | None:
        """The record of trial `number` of `strategy`, or None."""
        result = self.strategies.get(strategy)
        if result is None:
            return None
        return next((t for t in result.trials if t.number == number), None)

    def as_json(self) -> dict[str, Any]:
        """The document as plain JSON data, as written to disk."""
        return self.model_dump(mode="json", by_alias=True)


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


def parse_results(text: str, source: str, fix: str = _RERUN_FIX) -> RunResults:
    """The document in `text` (read from `source`, named in every error with `fix`)."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CoexploreError(
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}", field=source, fix=fix
        ) from None
    if not isinstance(raw, dict):
        raise CoexploreError("must hold a JSON object", field=source, fix=fix)
    version = raw.get("schema")
    if version != RESULTS_SCHEMA:
        raise CoexploreError(
            f"schema version {version!r} is not supported (this coexplore reads version {RESULTS_SCHEMA})",
            field=f"{source}: schema",
            fix="use the coexplore version that wrote the run, or re-run the search",
        )
    try:
        return RunResults.model_validate(raw)
    except ValidationError as exc:
        raise validation_error(exc, source, fix=fix) from None


def load_results(run: str | Path) -> RunResults:
    """Read and validate `RUN/results.json` (or the file given directly)."""
    file = results_path(run)
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CoexploreError(f"not UTF-8 text ({exc.reason})", field=str(file), fix=_RERUN_FIX) from None
    return parse_results(text, str(file))


def write_results(run_dir: str | Path, results: RunResults) -> Path:
    """Write `RUN/results.json` atomically, after checking that `load_results` would accept it."""
    path = Path(run_dir) / RESULTS_FILE
    text = json_text(results.as_json())
    parse_results(text, f"{path} (not written)", fix=_WRITER_FIX)
    return write_text_atomic(path, text)
