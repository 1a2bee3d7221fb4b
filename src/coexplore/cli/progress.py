"""Progress bars where a person waits: the search (trainings used of the budget, trials, best so far,
ETA, and the running training's epoch) and `bench-table build` (networks trained, ETA).

Both draw on stderr with rich and only on a terminal: under `--json`, in a pipe or a CI log they are
off (rich's `disable`), and the one-line-per-trial log stays as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from coexplore.cli.common import err_console

if TYPE_CHECKING:
    from optuna.trial import FrozenTrial


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(bar_width=24), MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
        console=err_console, transient=False, disable=not (enabled and err_console.is_terminal),
    )


class SearchBar:
    """One bar per strategy: trainings used / budget, then trials, best feasible accuracy so far and
    the epoch of the training that is running (the `SearchWatcher` of `run_search`)."""

    def __init__(self, progress: Progress, epochs: int | None, line_of: Callable[[str, FrozenTrial], str]):
        self.progress = progress
        self.epochs = epochs
        self.line_of = line_of
        self.tasks: dict[str, TaskID] = {}
        self.state: dict[str, dict[str, Any]] = {}
        self.current: str | None = None

    # --- the SearchWatcher protocol (coexplore.search.progress) ---------------------------------
    def strategy_started(self, strategy: str, budget: int, trainings: int, trials: int) -> None:
        self.current = strategy
        self.state[strategy] = {"trials": trials, "best": None, "training": ""}
        self.tasks[strategy] = self.progress.add_task(f"{strategy:>13}", total=budget, completed=trainings,
                                                      status=self._status(strategy))

    def trial_finished(self, strategy: str, trial: FrozenTrial) -> None:
        from coexplore.results import BUDGET_EVALUATIONS
        from coexplore.search.records import trial_attrs

        attrs = trial_attrs(trial)
        state = self.state.setdefault(strategy, {"trials": 0, "best": None, "training": ""})
        state["trials"] += 1
        state["training"] = ""
        if attrs.get("feasible") and attrs.get("accuracy") is not None:
            best = state["best"]
            if best is None or attrs["accuracy"] > best[0]:
                state["best"] = (attrs["accuracy"], attrs.get("total_ms"))
        if strategy in self.tasks:
            advance = 1 if attrs.get("evaluation") in BUDGET_EVALUATIONS else 0
            self.progress.update(self.tasks[strategy], advance=advance, status=self._status(strategy))

    def training_epoch(self, spec: str, epoch: int) -> None:
        strategy = self.current
        if strategy is None or strategy not in self.tasks:
            return
        of = f"/{self.epochs}" if self.epochs else ""
        self.state[strategy]["training"] = f" · training {spec}: {epoch}{of} epochs done"
        self.progress.update(self.tasks[strategy], status=self._status(strategy))
        self.progress.refresh()  # epochs are seconds apart: draw each one, not only at the next tick

    # --- the trial lines, printed above the bars ------------------------------------------------
    def print_trial(self, strategy: str, trial: FrozenTrial) -> None:
        self.progress.console.print(self.line_of(strategy, trial), highlight=False, soft_wrap=True)
        self.trial_finished(strategy, trial)

    def _status(self, strategy: str) -> str:
        state = self.state[strategy]
        best = state["best"]
        best_text = "—" if best is None else f"{best[0]:.1f}%" + (f" @ {best[1]:.3g} ms" if best[1] is not None else "")
        return f"trainings · {state['trials']} trials · best {best_text}{state['training']}"


@contextmanager
def search_bar(enabled: bool, epochs: int | None, line_of: Callable[[str, FrozenTrial], str]) -> Iterator[SearchBar]:
    """The bars of a search; `line_of` formats the one line printed (above them) per finished trial."""
    with _progress(enabled) as progress:
        yield SearchBar(progress, epochs, line_of)


class TableBar:
    """`bench-table build`: networks trained of the table's total, the last one's accuracy, ETA."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.task = progress.add_task("bench-table", total=None, status="training the first network…")

    def entry(self, spec: str, line: str, done: int, total: int) -> None:
        self.progress.console.print(line, highlight=False, soft_wrap=True)
        self.progress.update(self.task, total=total, completed=done, status=f"networks · last {spec}")


@contextmanager
def table_bar(enabled: bool) -> Iterator[TableBar]:
    with _progress(enabled) as progress:
        yield TableBar(progress)
