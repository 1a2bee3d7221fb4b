"""Every strategy on a tiny space, replayed against a proxy table: budgets, hardware-first
rejection, the sequential baseline's blindness to hardware, samplers, and results.json."""

from __future__ import annotations

import json

import pytest
from search_support import TINY_SPACE, write_proxy_table

from coexplore.search.config import SearchConfig
from coexplore.search.replay import replay_strategy, within_budget
from coexplore.search.runner import run_search
from coexplore.search.candidates import latency_spread
from coexplore.search.context import build_context

BUDGET = 6


@pytest.fixture(scope="module")
def table_path(tmp_path_factory):
    return write_proxy_table(tmp_path_factory.mktemp("table") / "tiny.json")


@pytest.fixture(scope="module")
def context(table_path):
    return build_context(SearchConfig(table=str(table_path), budget=BUDGET), None)


@pytest.fixture(scope="module")
def latencies(context):
    return sorted(context.hardware.best(str(s)).total_ms for s in context.space.enumerate())


def _spent(records):
    return [r for r in records if r.spends_budget]


@pytest.mark.parametrize("strategy", ["coexplore", "sequential", "random"])
def test_each_strategy_spends_exactly_its_budget_on_distinct_networks(context, strategy):
    records = replay_strategy(context, strategy, seed=3)
    spent = _spent(records)
    assert len(spent) == BUDGET
    assert len({r.spec for r in spent}) == BUDGET  # a repeat proposal is free, never a second training
    for record in records:
        assert record.strategy == strategy
        if record.evaluation == "repeat":
            assert record.cached and record.train_seconds == 0.0
    complete = [r for r in records if r.status == "complete"]
    assert all(r.total_ms > 0 and r.design and r.fits for r in complete)


def test_hardware_only_is_the_baseline_on_its_best_design(context):
    records = replay_strategy(context, "hardware-only")
    assert len(records) == 1 and records[0].spec == context.baseline
    assert context.baseline == "hg-s2-o2-f32-m1-bottleneck-k3-nearest-r64-scaled"  # largest, canonical genes
    assert records[0].total_ms == pytest.approx(context.hardware.best(context.baseline).total_ms)


def test_same_seed_same_search_other_seed_other_search(context):
    first = [r.spec for r in replay_strategy(context, "random", seed=5)]
    again = [r.spec for r in replay_strategy(context, "random", seed=5)]
    other = [r.spec for r in replay_strategy(context, "random", seed=6)]
    assert first == again and first != other


def test_hardware_first_rejects_without_training(context, latencies):
    budget_ms = latencies[len(latencies) // 2]  # half of the space misses it
    records = replay_strategy(context, "coexplore", seed=1, budget=BUDGET, latency_budget_ms=budget_ms, patience=40)
    rejected = [r for r in records if r.status == "rejected_hw"]
    trained = _spent(records)
    assert trained and rejected
    for record in rejected:
        assert record.evaluation == "none" and record.accuracy is None and record.train_seconds == 0
        assert record.total_ms > budget_ms and not record.feasible
        assert "latency budget" in record.reason
    assert all(r.total_ms <= budget_ms and r.feasible for r in trained)
    # the sequential baseline designs the network first: it trains networks that miss the budget
    sequential = replay_strategy(context, "sequential", seed=1, budget=BUDGET + 4, latency_budget_ms=budget_ms)
    assert not any(r.status == "rejected_hw" for r in sequential)
    assert any(not r.feasible for r in _spent(sequential))


def test_a_design_that_does_not_fit_is_rejected(context):
    # hw: joint samples the MAC array: 128×64 int16 MACs need 8192 DSPs, far more than ZCU102's 2520
    records = replay_strategy(context, "coexplore", seed=2, hw="joint",
                              hw_genes={"tm": [128], "tn": [64], "tr": [8, 16], "tc": [8, 16]}, patience=5)
    assert records and all(r.status == "rejected_hw" for r in records)
    assert all(r.fits is False and "does not fit" in r.reason for r in records)
    assert not _spent(records)


def test_joint_hardware_genes_are_sampled_and_recorded(context):
    genes = {"tm": [8, 16], "tn": [4, 8], "tr": [8, 16], "tc": [8, 16], "ports": ["shared", "8/8/4"]}
    records = replay_strategy(context, "random", seed=4, hw="joint", hw_genes=genes)
    complete = [r for r in records if r.status == "complete"]
    assert complete
    for record in complete:
        design = record.design
        assert design["tm"] in genes["tm"] and design["tn"] in genes["tn"] and design["tr"] in genes["tr"]
        assert design["ports_words_per_cycle"] in (None, [8.0, 8.0, 4.0])
        # a sampled design is never faster than the exhaustive DSE's best for the same network
        assert record.total_ms >= context.hardware.best(record.spec).total_ms * (1 - 1e-9)


@pytest.mark.parametrize("sampler", ["tpe", "reinforce", "random"])
def test_other_samplers_drive_the_coexploration(context, sampler):
    records = replay_strategy(context, "coexplore", seed=0, sampler=sampler)
    assert len(_spent(records)) == BUDGET


def test_warm_start_spans_the_latency_range(context, latencies):
    picks = latency_spread(context, 4)
    assert len(picks) == 4 == len(set(picks))
    picked = sorted(context.hardware.best(s).total_ms for s in picks)
    assert picked[0] <= latencies[2] and picked[-1] >= latencies[-3]  # one from each end of the range
    first = replay_strategy(context, "coexplore", seed=0, population_size=4)[:4]
    assert sorted(r.spec for r in first) == sorted(picks)


def test_within_budget_cuts_at_the_nth_training(context):
    records = replay_strategy(context, "random", seed=8)
    cut = within_budget(records, 3)
    assert len(_spent(cut)) == 3
    assert cut == records[: len(cut)]


def test_pruning_stops_trainings_below_the_median_curve(table_path, tmp_path):
    # proxy curves are 50 % / 80 % / 100 % of the final accuracy: with pruning on, a network whose
    # epoch-2 accuracy is below the median of the earlier ones stops there
    context = build_context(SearchConfig(table=str(table_path), budget=10, prune=True), None)
    records = replay_strategy(context, "random", seed=0, budget=10, prune=True)
    pruned = [r for r in records if r.status == "pruned"]
    assert pruned
    for record in pruned:
        assert len(record.curve) == 2 and record.evaluation == "table" and not record.feasible


def test_run_search_writes_results_the_report_can_read(table_path, tmp_path):
    from coexplore.results import RunResults

    config = SearchConfig(name="t", table=str(table_path), budget=4,
                          strategies=["coexplore", "sequential", "random", "hardware-only"], topk=3)
    results = run_search(config, tmp_path / "run")
    on_disk = json.loads((tmp_path / "run" / "results.json").read_text())
    parsed = RunResults.model_validate(on_disk)
    assert set(parsed.strategies) == {"coexplore", "sequential", "random", "hardware-only"}
    for name, block in results["strategies"].items():
        assert block["trainings"] == (1 if name == "hardware-only" else 4)
        assert set(block["pareto"]) <= {t["number"] for t in block["trials"] if t["feasible"]}
    assert results["baseline"]["spec"] == "hg-s2-o2-f32-m1-bottleneck-k3-nearest-r64-scaled"
    assert results["baseline"]["per_op"] and results["baseline"]["accuracy"] is not None
    rows = results["topk"]["rows"]
    assert 1 <= len(rows) <= 3
    trials = {t["number"]: t for t in results["strategies"]["coexplore"]["trials"]}
    base = results["baseline"]
    for row in rows:
        assert trials[row["number"]]["per_op"]  # per-op costs kept for the top-k designs
        assert row["total_faster_pct"] == pytest.approx(100 * (base["total_ms"] - row["total_ms"]) / base["total_ms"])
        assert row["accuracy_loss"] == pytest.approx(base["accuracy"] - row["accuracy"])
    assert (tmp_path / "run" / "config.yaml").is_file() and (tmp_path / "run" / "study.db").is_file()
    # resume: the same command again continues (here: finds every budget spent) and changes nothing
    again = run_search(config, tmp_path / "run")
    for name in results["strategies"]:
        assert [t["number"] for t in again["strategies"][name]["trials"]] == [
            t["number"] for t in results["strategies"][name]["trials"]]


def test_tiny_space_is_the_one_in_the_table(context):
    assert context.space.size() == 12
    assert context.space.config.features == TINY_SPACE["features"]


def test_ehvi_closed_form_matches_monte_carlo():
    import numpy as np

    from coexplore.search.ehvi import expected_improvement_area, front_levels

    front = [(10.0, 1.0), (20.0, 2.0), (30.0, 4.0)]  # (accuracy %, ms)
    levels, widths = front_levels(front, 1.5, (0.0, 5.0))
    # from 1.5 ms the front reaches 10 % until 2 ms, 20 % until 4 ms, 30 % until the reference 5 ms
    assert levels == [10.0, 20.0, 30.0] and widths == pytest.approx([0.5, 2.0, 1.0])
    rng = np.random.default_rng(0)
    draws = rng.normal(22.0, 6.0, 200_000)
    monte_carlo = np.mean([sum(w * max(0.0, a - l) for l, w in zip(levels, widths)) for a in draws[:20_000]])
    exact = expected_improvement_area(22.0, 6.0, levels, widths)
    assert exact == pytest.approx(monte_carlo, rel=0.03)
    assert expected_improvement_area(22.0, 0.0, levels, widths) == pytest.approx(0.5 * 12 + 2.0 * 2)
    assert front_levels(front, 6.0, (0.0, 5.0)) == ([], [])  # slower than the reference: no gain


def test_ehvi_sampler_never_proposes_a_network_twice(context):
    records = replay_strategy(context, "coexplore", seed=0, sampler="ehvi", budget=10)
    specs = [r.spec for r in records]
    assert len(specs) == len(set(specs)) == 10  # every proposal is a new network: no free repeats


def test_reinforce_policy_moves_toward_the_rewarded_gene_value():
    import numpy as np
    import optuna

    from coexplore.search.records import RECORD_ATTR
    from coexplore.search.reinforce import ReinforceSampler, fnas_reward

    # FNAS reward: within the latency budget only accuracy counts; beyond it, a proportional penalty
    assert fnas_reward(50.0, 8.0, True, 10.0, 1.0, 0.5) == pytest.approx(0.5)
    assert fnas_reward(50.0, 15.0, True, 10.0, 1.0, 0.5) == pytest.approx(0.5 - 0.5 * 0.5)
    assert fnas_reward(50.0, None, False, 10.0, 1.0, 0.5) == pytest.approx(0.0)

    sampler = ReinforceSampler(seed=0, latency_budget_ms=10.0)
    study = optuna.create_study(directions=["maximize", "minimize"], sampler=sampler)
    accuracy = {"a": 10.0, "b": 30.0, "c": 20.0}

    def objective(trial):
        block = trial.suggest_categorical("block", ["a", "b", "c"])
        trial.set_user_attr(RECORD_ATTR, {"status": "complete", "accuracy": accuracy[block], "total_ms": 5.0,
                                          "fits": True})
        return accuracy[block], 5.0

    study.optimize(objective, n_trials=60)
    logits = sampler.policy(study)["block"]
    probs = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    assert int(np.argmax(probs)) == 1 and probs[1] > 0.6  # "b" pays best
    assert -(probs * np.log2(probs)).sum() < np.log2(3)  # the policy's entropy fell below uniform
    late = [t.params["block"] for t in study.trials[-20:]]
    assert late.count("b") > late.count("a") + late.count("c")


def test_reinforce_rnn_controller_learns_a_dependency_between_genes():
    # reward is high only when g2 == g1; g1 is fixed per trial (enqueued, cycling), so a per-gene
    # policy for g2 matches a third of the time at best, while the RNN conditions g2 on g1
    import numpy as np
    import optuna

    from coexplore.search.records import RECORD_ATTR
    from coexplore.search.reinforce import ReinforceSampler

    values = ["x", "y", "z"]
    sampler = ReinforceSampler(seed=0, latency_budget_ms=10.0)
    study = optuna.create_study(directions=["maximize", "minimize"], sampler=sampler)
    for i in range(90):
        study.enqueue_trial({"g1": values[i % 3]})

    def objective(trial):
        match = trial.suggest_categorical("g1", values) == trial.suggest_categorical("g2", values)
        accuracy = 90.0 if match else 10.0
        trial.set_user_attr(RECORD_ATTR, {"status": "complete", "accuracy": accuracy, "total_ms": 5.0,
                                          "fits": True})
        return accuracy, 5.0

    study.optimize(objective, n_trials=90)
    late = study.trials[-30:]
    assert sum(t.params["g1"] == t.params["g2"] for t in late) >= 20
    for index, value in enumerate(values):
        logits = sampler.policy(study, {"g1": value})["g2"]
        assert int(np.argmax(logits)) == index
    # deterministic for a seed, and rebuilt from the history alone (a fresh sampler agrees)
    fresh = ReinforceSampler(seed=0, latency_budget_ms=10.0)
    assert np.allclose(fresh.policy(study)["g2"], sampler.policy(study)["g2"])


def test_a_network_in_training_elsewhere_is_waited_for_not_trained_twice(context, monkeypatch):
    import dataclasses
    import threading

    import optuna

    from coexplore.search import objective as objective_module
    from coexplore.search.cache import MemoryLedger
    from coexplore.search.records import RECORD_ATTR
    from coexplore.search.objective import Objective
    from coexplore.search.strategies import plan_for

    monkeypatch.setattr(objective_module, "TWIN_POLL_S", 0.05)
    study = optuna.create_study(directions=["maximize", "minimize"])
    spec = context.baseline
    other = study.ask()  # "another worker" holds the slot for this network and is training it
    ledger = MemoryLedger()
    ledger.claim(study.study_name, other.number, spec, BUDGET, set())
    trained = []
    spy = type("Spy", (), {"metric": "", "lookup": lambda self, s: None,
                           "evaluate": lambda self, s, on_epoch=None: trained.append(s)})()
    local = dataclasses.replace(context, ledger=ledger, evaluator=spy)
    plan = plan_for("hardware-only", local.config, spec)  # proposes exactly this network

    def finish_elsewhere():
        other.set_user_attr(RECORD_ATTR, {"spec": spec, "status": "complete", "accuracy": 42.0,
                                          "evaluation": "table", "curve": [42.0]})
        study.tell(other, [42.0, 1.0])

    threading.Timer(0.3, finish_elsewhere).start()
    study.optimize(Objective(local, plan, study.study_name, worker=1), n_trials=1)
    record = study.trials[-1].user_attrs[RECORD_ATTR]
    assert trained == []  # never trained here
    assert record["evaluation"] == "repeat" and record["accuracy"] == 42.0 and record["cached"]
