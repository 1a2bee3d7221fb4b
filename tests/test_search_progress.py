"""Progress where a person waits: a bar per search strategy (trainings / budget, trials, best so far,
ETA, the running training's epoch) and one for `bench-table build`; nothing of it in a pipe."""

from __future__ import annotations

import io
import json
import re

import pytest
from rich.console import Console
from search_support import coexplore_cli, write_config, write_proxy_table

import coexplore.cli.progress as progress_module
from coexplore.cli.progress import search_bar, table_bar
from coexplore.cli.search import trial_line
from coexplore.search.config import SearchConfig
from coexplore.search.runner import run_search

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def terminal(monkeypatch):
    """A stderr console that is a terminal, recording what it draws."""
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=200)
    monkeypatch.setattr(progress_module, "err_console", console)
    return out


def test_search_bar_shows_budget_trials_best_and_the_running_epoch(terminal, tmp_path):
    table = write_proxy_table(tmp_path / "table.json")
    config = SearchConfig(name="p", table=str(table), budget=3, strategies=["coexplore"], topk=2)
    epochs_seen: list[tuple[str, int]] = []
    with search_bar(enabled=True, epochs=3, line_of=trial_line) as bar:
        original = bar.training_epoch
        bar.training_epoch = lambda spec, epoch: (epochs_seen.append((spec, epoch)), original(spec, epoch))[1]
        results = run_search(config, tmp_path / "run", printer=bar.print_trial, watcher=bar)
    drawn = ANSI.sub("", terminal.getvalue())
    assert "3/3" in drawn and "trainings" in drawn and "ETA" in drawn  # the budget, used up
    trials = len(results["strategies"]["coexplore"]["trials"])
    assert f"{trials} trials" in drawn
    best = max(t["accuracy"] for t in results["strategies"]["coexplore"]["trials"] if t["feasible"])
    assert f"best {best:.1f}%" in drawn
    assert "epochs done" in drawn  # the replayed curve drives the epoch display like a training
    assert [e for _, e in epochs_seen[:3]] == [0, 1, 2]  # started, then after epochs 1 and 2 of 3
    assert "#0" in drawn  # the per-trial lines still print, above the bar


def test_table_bar_counts_networks(terminal):
    with table_bar(enabled=True) as bar:
        bar.entry("hg-a", "[1/4] hg-a complete", 1, 4)
        bar.entry("hg-b", "[2/4] hg-b complete", 2, 4)
    drawn = ANSI.sub("", terminal.getvalue())
    assert "2/4" in drawn and "[1/4] hg-a complete" in drawn and "ETA" in drawn


def test_no_bar_under_json_or_in_a_pipe(tmp_path):
    table = write_proxy_table(tmp_path / "table.json")
    config = write_config(tmp_path / "c.yaml", name="q", table=str(table), budget=2, strategies=["coexplore"])
    piped = coexplore_cli("search", "--config", str(config), "--run-dir", str(tmp_path / "run"), "--no-report")
    assert piped.returncode == 0, piped.stderr
    assert "ETA" not in piped.stderr and "\x1b[" not in piped.stderr  # lines only, as in a CI log
    as_json = coexplore_cli("search", "--config", str(config), "--run-dir", str(tmp_path / "run2"), "--no-report",
                            "--json")
    assert as_json.returncode == 0 and as_json.stderr == ""
    json.loads(as_json.stdout)
