"""What a person waiting on a search can be told while it runs (the CLI draws it as progress bars).

`run_search(watcher=...)` calls `strategy_started` when a strategy's study opens (with what a
resumed study has already done) and `training_epoch` when a training starts (epoch 0) and after
each of its epochs. Finished trials reach the CLI through the search's trial printer, as before.
With several worker processes, epochs happen in the workers and only the trial updates show.
"""

from __future__ import annotations

from typing import Protocol


class SearchWatcher(Protocol):
    def strategy_started(self, strategy: str, budget: int, trainings: int, trials: int) -> None: ...

    def training_epoch(self, spec: str, epoch: int) -> None: ...
