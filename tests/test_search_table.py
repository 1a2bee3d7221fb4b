"""Replicated tabular benchmarks (issue 9): the schema, replicate draws, means, noise statistics and
resumable builds. Small constructed tables and a fake trainer: nothing trains here."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import pytest
from search_support import REPO, TINY_SPACE, proxy_accuracy

from coexplore.errors import CoexploreError
from coexplore.nets import HourglassSpace
from coexplore.search.config import SearchConfig
from coexplore.search.context import build_context
from coexplore.search.evaluation import TableEvaluator
from coexplore.search.replay import replay_strategy
from coexplore.search.table import BenchTable, build_table, space_config_dict
from coexplore.search.table_stats import network_stats, pooled_sd, table_summary, tied_with_best

SPECS = ("net-a", "net-b", "net-c")
TRAIN = {"epochs": 1, "train_size": 8, "val_size": 8}


def replicate(seed: int, accuracy: float | None, status: str = "complete") -> dict:
    return {"seed": seed, "status": status, "accuracy": accuracy, "metric": "PCKh@0.5", "wall_s": 10.0 + seed,
            "device": "cpu", "curve": [] if accuracy is None else [accuracy / 2, accuracy], "reason": None}


def constructed_table(entries: dict[str, list[dict]]) -> BenchTable:
    return BenchTable(space_config_dict(TINY_SPACE), "synthetic", {"epochs": 3, "seed": 0}, "key", "PCKh@0.5",
                      {spec: {"replicates": found} for spec, found in entries.items()})


@pytest.fixture
def table() -> BenchTable:
    # net-a: 10/12/14 (mean 12, SD 2); net-b: 9/10/11 (mean 10, SD 1); net-c: 3/5 and one failure (mean 4)
    return constructed_table({
        "net-a": [replicate(0, 10.0), replicate(1, 12.0), replicate(2, 14.0)],
        "net-b": [replicate(0, 9.0), replicate(1, 10.0), replicate(2, 11.0)],
        "net-c": [replicate(0, 3.0), replicate(1, None, "failed"), replicate(2, 5.0)],
    })


# -- replicates and means -------------------------------------------------------------------------
def test_means_are_the_means_of_the_complete_replicates(table):
    assert table.mean_accuracy("net-a") == 12.0
    assert table.mean_accuracy("net-c") == 4.0  # the failed training does not count
    assert table.mean_accuracy("not-there") is None
    entry = table.mean_entry("net-c")
    assert entry["status"] == "complete" and entry["accuracy"] == 4.0 and entry["replicates"] == 3
    assert entry["curve"] == [2.0, 4.0] and entry["wall_s"] == 11.0
    assert {spec: e["accuracy"] for spec, e in table.complete_entries().items()} == {"net-a": 12.0, "net-b": 10.0, "net-c": 4.0}


def test_a_network_with_no_complete_training_is_failed_and_not_complete():
    table = constructed_table({"net-a": [replicate(0, None, "failed")], "net-b": [replicate(0, 7.0)]})
    assert table.mean_entry("net-a")["status"] == "failed" and table.mean_accuracy("net-a") is None
    assert list(table.complete_entries()) == ["net-b"]


def test_the_replicate_follows_the_search_seed(table):
    for spec in SPECS:
        drawn = [table.replicate(spec, seed)["seed"] for seed in range(60)]
        assert drawn == [table.replicate(spec, seed)["seed"] for seed in range(60)]  # deterministic
        assert set(drawn) == {0, 1, 2}  # every replicate is some seed's training
    # independent across networks: the seeds do not pick the same replicate index everywhere
    picks = [tuple(table.replicate(spec, seed)["seed"] for spec in SPECS) for seed in range(60)]
    assert any(len(set(p)) > 1 for p in picks)
    assert table.replicate("net-a", 3, draw=0) == table.replicate("net-a", 3)
    assert table.replicate("not-there", 0) is None


def test_the_table_evaluator_gives_the_seeds_replicate(table):
    for seed in range(20):
        evaluator = TableEvaluator(table).reseeded(seed)
        for spec in ("net-a", "net-b"):
            expected = table.replicate(spec, seed)
            got = evaluator.evaluate(spec)
            assert got.accuracy == expected["accuracy"] and got.source == "table"
            assert evaluator.lookup(spec).accuracy == expected["accuracy"]
    seen = {TableEvaluator(table, seed=seed).evaluate("net-a").accuracy for seed in range(20)}
    assert seen == {10.0, 12.0, 14.0}


def test_a_replay_sees_the_replicates_of_its_seed(tmp_path):
    """A replicated proxy table: each trial's accuracy is the replicate its seed draws."""
    path = tmp_path / "replicated.json"
    space = space_config_dict(TINY_SPACE)
    entries = {}
    for spec in HourglassSpace.from_config(space).enumerate():
        base = proxy_accuracy(spec)
        entries[str(spec)] = {"replicates": [replicate(k, base + offset) for k, offset in enumerate((-1.0, 0.0, 1.0))]}
    table = BenchTable(space, "synthetic", {"epochs": 3}, "proxy", "PCKh@0.5", entries)
    table.save(path)
    context = build_context(SearchConfig(table=str(path), budget=6), None)
    differs = False
    for seed in (0, 1, 2):
        records = replay_strategy(context, "random", seed=seed)
        trained = [r for r in records if r.accuracy is not None and r.evaluation == "table"]
        assert trained
        for record in trained:
            assert record.accuracy == pytest.approx(table.replicate(record.spec, seed)["accuracy"])
            differs |= record.accuracy != table.mean_accuracy(record.spec)
    assert differs  # the search saw noise, not the means
    # a search run from the command line draws with its config's seed
    assert build_context(SearchConfig(table=str(path), seed=7), None).evaluator.seed == 7


# -- file format ----------------------------------------------------------------------------------
def test_schema_1_tables_load_as_one_replicate_each(tmp_path):
    old = {"schema": 1, "kind": "coexplore-bench-table", "created": "", "space": space_config_dict(TINY_SPACE),
           "data": "synthetic", "train": {"epochs": 3, "seed": 5}, "train_key": "k", "metric": "PCKh@0.5",
           "entries": {"net-a": {"status": "complete", "accuracy": 11.5, "wall_s": 3.0, "curve": [5.0, 11.5]}}}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))
    table = BenchTable.load(path)
    assert table.replicates("net-a") == [{"seed": 5, **old["entries"]["net-a"]}]
    assert table.mean_accuracy("net-a") == 11.5 and table.replicate("net-a", 123)["accuracy"] == 11.5
    saved = json.loads(table.save(tmp_path / "new.json").read_text())
    assert saved["schema"] == 2 and BenchTable.load(tmp_path / "new.json").replicates("net-a") == table.replicates("net-a")


def test_the_shipped_single_training_table_still_loads():
    table = BenchTable.load(REPO / "bench" / "tables" / "synthetic-cpu.json")
    assert len(table.entries) == 48 and all(len(table.replicates(spec)) == 1 for spec in table.entries)
    summary = table_summary(table)
    assert summary["noise_sd"] is None and summary["tied_with_best"] is None and summary["spread_sd"] > 0


def test_an_unknown_schema_is_one_clear_error(tmp_path):
    path = tmp_path / "future.json"
    path.write_text(json.dumps({"schema": 9, "kind": "coexplore-bench-table"}))
    with pytest.raises(CoexploreError, match="schema 9"):
        BenchTable.load(path)


# -- noise statistics -----------------------------------------------------------------------------
def test_noise_spread_and_ties_on_a_known_table(table):
    rows = network_stats(table)
    assert [row.spec for row in rows] == ["net-a", "net-b", "net-c"]
    assert rows[0].sd == 2.0 and rows[1].sd == 1.0 and rows[2].complete == 2
    # pooled over 2 + 2 + 1 degrees of freedom: (2*4 + 2*1 + 1*2) / 5
    noise = pooled_sd(rows)
    assert noise == pytest.approx(math.sqrt(12 / 5))
    # net-b is 2 below the best, inside 2 * noise * sqrt(2/3) = 2.53; net-c (8 below) is not
    assert [row.spec for row in tied_with_best(rows, noise)] == ["net-a", "net-b"]
    summary = table_summary(table)
    assert summary["spread_sd"] == pytest.approx(statistics.stdev([12.0, 10.0, 4.0]))
    assert summary["tied_with_best"] == 2 and summary["trainings"] == 9 and summary["trainings_failed"] == 1
    assert summary["replicates_min"] == summary["replicates_max"] == 3


# -- building -------------------------------------------------------------------------------------
class FakeTrainer:
    """Records every (spec, seed) it trains; fails after `fail_after` trainings (an interrupted build)."""

    def __init__(self, fail_after: int | None = None):
        self.calls: list[tuple[str, int]] = []
        self.fail_after = fail_after

    def __call__(self, spec: str, seed: int, data: str, options: dict) -> dict:
        if self.fail_after is not None and len(self.calls) == self.fail_after:
            raise KeyboardInterrupt
        self.calls.append((spec, seed))
        return replicate(seed, 10.0 + seed + len(spec) / 100)


def test_a_build_trains_every_replicate_and_a_resume_only_the_missing_ones(tmp_path):
    out = tmp_path / "t.json"
    networks = HourglassSpace.from_config(TINY_SPACE).size()
    first = FakeTrainer(fail_after=networks + 3)  # interrupted during the second replicate
    with pytest.raises(KeyboardInterrupt):
        build_table(TINY_SPACE, "synthetic", TRAIN, out, seeds=2, trainer=first)
    partial = BenchTable.load(out)  # rewritten after every training
    assert sum(len(partial.replicates(s)) for s in partial.entries) == networks + 3
    assert all(partial.seeds_of(s) >= {0} for s in partial.entries)  # replicate by replicate

    second = FakeTrainer()
    table = build_table(TINY_SPACE, "synthetic", TRAIN, out, seeds=2, trainer=second)
    assert len(second.calls) == networks - 3 and {seed for _, seed in second.calls} == {1}
    assert not set(first.calls) & set(second.calls)

    third = FakeTrainer()
    table = build_table(TINY_SPACE, "synthetic", TRAIN, out, seeds=3, trainer=third)  # one more seed
    assert sorted(third.calls) == sorted((spec, 2) for spec in table.entries)
    assert all(table.seeds_of(spec) == {0, 1, 2} for spec in table.entries)

    fourth = FakeTrainer()
    build_table(TINY_SPACE, "synthetic", TRAIN, out, seeds=3, trainer=fourth)
    assert fourth.calls == []


def test_replicate_seeds_start_at_the_training_seed(tmp_path):
    trainer = FakeTrainer()
    table = build_table(TINY_SPACE, "synthetic", {**TRAIN, "seed": 7}, tmp_path / "t.json", seeds=2, trainer=trainer)
    assert {seed for _, seed in trainer.calls} == {7, 8} and table.base_seed == 7


def test_a_resume_with_another_training_config_is_refused(tmp_path):
    out = tmp_path / "t.json"
    build_table(TINY_SPACE, "synthetic", TRAIN, out, trainer=FakeTrainer())
    with pytest.raises(CoexploreError, match="another space, data or training config"):
        build_table(TINY_SPACE, "synthetic", {**TRAIN, "val_size": 16}, out, trainer=FakeTrainer())
    renamed = {**TINY_SPACE, "name": "tiny-renamed"}  # a label is not a gene: the resume goes on
    assert build_table(renamed, "synthetic", TRAIN, out, seeds=1, trainer=FakeTrainer()).entries


def test_the_default_trainer_trains_with_the_replicate_seed(tmp_path, monkeypatch):
    from coexplore.pose import trainer
    from coexplore.pose.outcome import TrainResult

    seeds = []

    def fake_train(network, data, cfg=None, *, progress=True, on_epoch=None):
        seeds.append(cfg.seed)
        return TrainResult(status="complete", accuracy=10.0 + cfg.seed, metric="PCKh@0.5", wall_s=1.0,
                           device="cpu", curve=[{"epoch": 1, "val_accuracy": 10.0 + cfg.seed}])

    monkeypatch.setattr(trainer, "train", fake_train)
    space = {**TINY_SPACE, "stacks": [1], "features": [16], "block": ["dsc"]}
    table = build_table(space, "synthetic", TRAIN, tmp_path / "t.json", seeds=3)
    (spec,) = table.entries
    assert seeds == [0, 1, 2] and [r["accuracy"] for r in table.replicates(spec)] == [10.0, 11.0, 12.0]


def search_cli():
    import typer

    from coexplore.cli import search

    app = typer.Typer()
    search.register(app)
    return app


def test_bench_table_build_seeds_from_the_command_line(tmp_path, monkeypatch):
    import yaml
    from typer.testing import CliRunner

    from coexplore.pose import trainer
    from coexplore.pose.outcome import TrainResult

    seeds = []

    def fake_train(network, data, cfg=None, *, progress=True, on_epoch=None):
        seeds.append(cfg.seed)
        return TrainResult(status="complete", accuracy=10.0 + cfg.seed, metric="PCKh@0.5", wall_s=1.0, device="cpu")

    monkeypatch.setattr(trainer, "train", fake_train)
    space = tmp_path / "space.yaml"
    space.write_text(yaml.safe_dump({**TINY_SPACE, "stacks": [1], "block": ["dsc"]}))
    args = ["bench-table", "build", "--space", str(space), "--out", str(tmp_path / "t.json"), "--budget", "1",
            "--train-size", "8", "--val-size", "8", "--json"]
    result = CliRunner().invoke(search_cli(), [*args, "--seeds", "2"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["trainings"] == 4 and sorted(seeds) == [0, 0, 1, 1]
    refused = CliRunner().invoke(search_cli(), [*args, "--seeds", "0"])
    assert refused.exit_code == 2 and "--seeds" in refused.output


def test_bench_table_show_prints_noise_and_the_ranking(tmp_path, table):
    from typer.testing import CliRunner

    app = search_cli()
    path = table.save(tmp_path / "t.json")
    result = CliRunner().invoke(app, ["bench-table", "show", str(path), "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["tied_with_best"] == 2 and [row["spec"] for row in shown["per_network"]] == list(SPECS)
    result = CliRunner().invoke(app, ["bench-table", "show", str(path)])
    assert result.exit_code == 0 and "noise_sd" in result.output and "net-a" in result.output
    assert Path(path).exists()


@pytest.mark.parametrize("budget", ["0", "-2", "-5s", "0s", "nans", "infs", "abc"])
def test_a_budget_that_trains_nothing_is_refused(budget):
    from coexplore.search.table import parse_budget

    with pytest.raises(CoexploreError, match="budget"):
        parse_budget(budget)
    assert parse_budget("3") == {"epochs": 3} and parse_budget("45s") == {"seconds": 45.0, "epochs": None}


@pytest.mark.parametrize("entry", [
    {"replicates": [replicate(0, 10.0)], "accuracy": "high"},  # schema-1 fields beside the replicates
    {"replicates": [{**replicate(0, 10.0), "accuracy": "high"}]},
    {"replicates": [{**replicate(0, 10.0), "seed": "one"}]},
    {"replicates": 5},
    {"status": "complete", "accuracy": [1]},
    5,
])
def test_a_malformed_entry_is_one_clear_error(tmp_path, table, entry):
    data = table.to_dict()
    data["entries"]["net-a"] = entry
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(CoexploreError, match="malformed table"):
        BenchTable.load(path)


def test_a_build_whose_first_training_fails_writes_no_table(tmp_path):
    def bad_data(spec, seed, data, options):
        raise CoexploreError("unknown value 'imagenet'", field="data source")

    with pytest.raises(CoexploreError):
        build_table(TINY_SPACE, "imagenet", TRAIN, tmp_path / "t.json", trainer=bad_data)
    assert not (tmp_path / "t.json").exists()
