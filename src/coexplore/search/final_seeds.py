"""Retraining the reported designs on extra seeds before the paper-style table is printed.

One training per network cannot rank networks that differ by less than the training noise, so the
top-k designs and their references (the baseline, the most accurate feasible network) are trained
again with `final_seeds` other training seeds (`train.seed + 1`, `+ 2`, ...) and the table reports
mean ± SD over every training of each. The extra trainings go through the evaluation cache (they are
trained once, and `coexplore results RUN` finds them again without training); they are not part of
any strategy's search budget.

On a tabular benchmark the table's replicates play the extra seeds: a network's accuracies are its
first `1 + final_seeds` complete replicates (one, on a table of one training per network).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from coexplore.search.context import SearchContext
from coexplore.search.evaluation import TrainingEvaluator


def _seed_evaluators(context: SearchContext) -> list[TrainingEvaluator]:
    config = context.config
    evaluator = context.evaluator
    if not isinstance(evaluator, TrainingEvaluator) or config.final_seeds == 0:
        return []
    base = int(config.train.get("seed") or 0)
    return [TrainingEvaluator(config.data, {**config.train, "seed": base + extra}, evaluator.cache,
                              evaluator.checkpoint_root, evaluator.precisions) for extra in range(1, config.final_seeds + 1)]


def retrain(context: SearchContext, specs: Iterable[str], on_training: Callable[[str, int], None] | None = None) -> None:
    """Train every network of `specs` on each extra seed that the cache does not hold yet."""
    evaluators = _seed_evaluators(context)
    for spec in dict.fromkeys(specs):
        for number, evaluator in enumerate(evaluators, start=1):
            if evaluator.lookup(spec) is None:
                if on_training is not None:
                    on_training(spec, number)
                evaluator.evaluate(spec)


def seed_accuracies(context: SearchContext, specs: Iterable[str],
                    first: dict[str, float | None]) -> dict[str, list[float]]:
    """Every known training accuracy of each network: the search's own (`first[spec]`), then the
    extra seeds found in the cache (training never happens here), or the table's replicates; each at
    the search's precision where it was measured (`Evaluation.accuracy_at`)."""
    found: dict[str, list[float]] = {}
    table = context.table
    precision = context.config.hardware.precision
    for spec in dict.fromkeys(specs):
        if table is not None:
            replicates = table.complete_replicates(spec)[: 1 + context.config.final_seeds]
            found[spec] = [float(r.get("quantized", {}).get(precision, r["accuracy"])) for r in replicates]
            continue
        values = [] if first.get(spec) is None else [float(first[spec])]  # type: ignore[arg-type]
        for evaluator in _seed_evaluators(context):
            evaluation = evaluator.lookup(spec)
            accuracy = evaluation.accuracy_at(precision)[0] if evaluation is not None else None
            if evaluation is not None and evaluation.status == "complete" and accuracy is not None:
                values.append(float(accuracy))
        found[spec] = values
    return found
