"""The report's data files: CSV and Markdown tables (per-op and per-branch times of the best design
included), summary.json and the static PNGs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from coexplore.report import static, tables
from coexplore.report.branches import BRANCH_COLUMNS, time_by_branch
from coexplore.report.plotly_asset import PLOTLY_FILE, copy_plotly
from coexplore.results import RunResults

REPORT_FILE = "report.html"


def summary(results: RunResults, warnings: list[str], files: dict[str, Path] | None = None) -> dict[str, Any]:
    """The report's numbers as one JSON-ready dict (summary.json and `coexplore report --json`)."""
    return {
        "name": results.name, "created": results.created, "device": results.device, "precision": results.precision,
        "latency_budget_ms": results.latency_budget_ms, "accuracy_floor": results.accuracy_floor,
        "metric": results.metric, "hypervolume_reference": results.hypervolume_reference.model_dump(),
        "baseline": results.baseline.model_dump(exclude={"per_op"}),
        "topk": {"strategy": results.topk.strategy, "k": results.topk.k, "rows": tables.topk_rows(results)},
        "strategies": tables.strategy_rows(results),
        "sequential_vs_coexplore": results.sequential_vs_coexplore,
        "paper_reference": tables.PAPER_TOP5_AVERAGE, "warnings": warnings,
        "files": {name: path.name for name, path in (files or {}).items()},
    }  # fmt: skip


def write_data_files(results: RunResults, out_dir: Path, warnings: list[str]) -> dict[str, Path]:
    best = tables.best_design(results)
    files = {
        "topk.csv": tables.write_csv(out_dir / "topk.csv", tables.topk_rows(results), tables.TOPK_COLUMNS),
        "trials.csv": tables.write_csv(out_dir / "trials.csv", tables.trial_rows(results), tables.TRIAL_COLUMNS),
        "strategies.csv": tables.write_csv(out_dir / "strategies.csv", tables.strategy_rows(results),
                                           tables.STRATEGY_COLUMNS),  # fmt: skip
        "per_op_best.csv": tables.write_csv(out_dir / "per_op_best.csv", tables.per_op_rows(best),
                                            tables.PER_OP_COLUMNS),  # fmt: skip
        "per_op_baseline.csv": tables.write_csv(out_dir / "per_op_baseline.csv",
                                                tables.per_op_rows(results.baseline), tables.PER_OP_COLUMNS),  # fmt: skip
        "branches_best.csv": tables.write_csv(out_dir / "branches_best.csv", time_by_branch(best), BRANCH_COLUMNS),
        "pareto.png": static.write_pareto_png(results, out_dir / "pareto.png"),
        "breakdown.png": static.write_breakdown_png(results, out_dir / "breakdown.png"),
    }
    files[PLOTLY_FILE] = copy_plotly(out_dir)  # the page's plotting library, loaded from beside it
    files["topk.md"] = out_dir / "topk.md"
    files["topk.md"].write_text(tables.topk_markdown(results), encoding="utf-8")
    files["summary.json"] = out_dir / "summary.json"
    all_files = {REPORT_FILE: out_dir / REPORT_FILE, **files}
    files["summary.json"].write_text(json.dumps(summary(results, warnings, all_files), indent=1), encoding="utf-8")
    return files
