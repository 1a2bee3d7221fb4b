"""coexplore.results: the results of a search as plain data (pydantic + numpy; no torch, no optuna).

The search writes through it and the report reads only it:

- `records`: the trial record (`TrialRecord`), its statuses, where its accuracy came from, and
  the flat attribute names the search stores on Optuna trials;
- `feasibility`: the one rule that says whether a candidate counts;
- `fronts`: Pareto front, exact 2-D hypervolume and its reference point, the study's ranking;
- `comparison`: "% faster" and accuracy loss against the baseline, the top-k table;
- `strategies`: what one strategy's records add up to;
- `document`: `RUN/results.json` (`RunResults`), its atomic writer and its reader;
- `atomic`: writing a file so that no reader ever sees half of it (also used for the report and
  the benchmark table).
"""

from __future__ import annotations

from coexplore.results.atomic import write_json_atomic, write_text_atomic
from coexplore.results.comparison import (
    TopK,
    TopKAverage,
    TopKRow,
    accuracy_loss,
    admitted,
    compare_topk,
    mean_and_sd,
    most_accurate,
    percent_faster,
    topk_average,
)
from coexplore.results.document import (
    RESULTS_FILE,
    RESULTS_SCHEMA,
    RunResults,
    load_results,
    results_path,
    write_results,
)
from coexplore.results.feasibility import hardware_feasible, is_feasible, meets_latency_budget
from coexplore.results.fronts import (
    HV_LATENCY_MARGIN,
    HypervolumeReference,
    hypervolume,
    hypervolume_reference,
    non_dominated_ranks,
    pareto_front,
    pareto_mask,
    points_hypervolume,
    rank_records,
)
from coexplore.results.records import (
    BUDGET_EVALUATIONS,
    EVALUATION_SOURCES,
    STORED_FIELDS,
    TRIAL_STATUSES,
    OpCost,
    TrialRecord,
)
from coexplore.results.strategies import StrategyResult, sequential_vs_coexplore, summarize_strategy

__all__ = [
    "BUDGET_EVALUATIONS", "EVALUATION_SOURCES", "HV_LATENCY_MARGIN", "RESULTS_FILE", "RESULTS_SCHEMA",
    "STORED_FIELDS", "TRIAL_STATUSES", "HypervolumeReference", "OpCost", "RunResults", "StrategyResult", "TopK",
    "TopKAverage", "TopKRow", "TrialRecord", "accuracy_loss", "admitted", "compare_topk", "hardware_feasible", "hypervolume",
    "hypervolume_reference", "is_feasible", "load_results", "mean_and_sd", "meets_latency_budget", "most_accurate",
    "non_dominated_ranks",
    "pareto_front", "pareto_mask", "percent_faster", "points_hypervolume", "rank_records", "results_path",
    "sequential_vs_coexplore", "summarize_strategy", "topk_average", "write_json_atomic", "write_results",
    "write_text_atomic",
]  # fmt: skip
