"""The evaluation cache and the budget ledger: shared through the study database, race-safe, and
the same network never trained twice across strategies."""

from __future__ import annotations

import threading

import pytest
from search_support import TINY_SPACE

from coexplore.search.cache import GRANTED, SPENT, BudgetLedger, EvalCache, MemoryLedger
from coexplore.search.config import SearchConfig
from coexplore.results import BUDGET_EVALUATIONS
from coexplore.search.runner import run_search


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'study.db'}"


def test_cache_round_trip_and_duplicate_insert(url):
    cache = EvalCache(url)
    assert cache.get("net-a", "k1", "synthetic") is None
    assert cache.put("net-a", "k1", "synthetic", {"status": "complete", "accuracy": 12.5, "wall_s": 3.0})
    # a second worker finishing the same evaluation: ignored, the first result stays
    assert not cache.put("net-a", "k1", "synthetic", {"status": "complete", "accuracy": 99.0})
    assert cache.get("net-a", "k1", "synthetic")["accuracy"] == 12.5
    # another training config or data source is another evaluation
    assert cache.get("net-a", "k2", "synthetic") is None and cache.get("net-a", "k1", "mpii:x") is None
    assert EvalCache(url).get("net-a", "k1", "synthetic")["accuracy"] == 12.5  # a second connection sees it


def test_ledger_never_exceeds_the_budget_under_racing_threads(url):
    ledger, budget, granted = BudgetLedger(url), 7, []
    lock = threading.Lock()

    def claim_many(worker: int) -> None:
        for i in range(6):
            number = worker * 100 + i
            if ledger.claim("s", number, f"net{number}", budget, set()) == GRANTED:
                with lock:
                    granted.append(number)

    threads = [threading.Thread(target=claim_many, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == budget
    assert ledger.used("s", set()) == budget
    assert ledger.claim("s", 999, "another", budget, set()) == SPENT


@pytest.mark.parametrize("make", [lambda url: BudgetLedger(url), lambda url: MemoryLedger()], ids=["sql", "memory"])
def test_ledger_rules(url, make):
    ledger = make(url)
    assert ledger.claim("s", 0, "a", 2, set()) == GRANTED
    assert ledger.claim("s", 0, "a", 2, set()) == GRANTED  # idempotent
    assert ledger.claim("s", 1, "a", 2, set()) == 0  # trial 0 holds network "a": wait for it
    assert ledger.claim("s", 2, "b", 2, set()) == GRANTED
    assert ledger.claim("s", 3, "c", 2, set()) == SPENT
    # trial 2's worker died (its trial FAILed): its slot is free for the retry
    assert ledger.claim("s", 4, "b", 2, {2}) == GRANTED
    assert ledger.used("s", {2}) == 2
    assert ledger.claim("other-study", 0, "a", 1, set()) == GRANTED  # budgets are per study


def test_same_network_never_trained_twice_across_strategies(tmp_path, monkeypatch):
    """Real search machinery with the trainer replaced by a counter (training itself is tested
    by the pose tests): coexplore, then sequential, then random, sharing one study database."""
    from coexplore.nets import lower, parse_spec
    from coexplore.pose import trainer
    from coexplore.pose.outcome import TrainResult

    calls: list[str] = []

    def fake_train(network, data, cfg=None, *, progress=True, on_epoch=None, precisions=()):
        calls.append(network.label)
        accuracy = 5.0 + lower(parse_spec(network.label)).params / 1e4
        return TrainResult(status="complete", accuracy=accuracy, metric="PCKh@0.5", wall_s=2.0,
                           device="cpu", curve=[{"epoch": 1, "val_accuracy": accuracy}])

    monkeypatch.setattr(trainer, "train", fake_train)
    config = SearchConfig(name="cache", space=TINY_SPACE, budget=5, strategies=["coexplore", "sequential", "random"],
                          train={"epochs": 1, "train_size": 8, "val_size": 8},
                          final_seeds=0)  # the search alone (final seeds retrain with other seeds on purpose)
    results = run_search(config, tmp_path / "run")
    assert len(calls) == len(set(calls)), "a network was trained twice"
    evaluated = {t["spec"] for block in results["strategies"].values() for t in block["trials"]
                 if t["evaluation"] in BUDGET_EVALUATIONS}
    assert set(calls) == evaluated | {results["baseline"]["spec"]}
    hits = 0
    for name, block in results["strategies"].items():
        spent = [t for t in block["trials"] if t["evaluation"] in BUDGET_EVALUATIONS]
        assert block["trainings"] == len(spent) == 5, name  # cache hits still use the budget: fair comparison
        hits += block["cache_hits"]
        for trial in spent:
            assert trial["cached"] == (trial["evaluation"] == "cache")
            assert trial["train_seconds"] == (0.0 if trial["cached"] else 2.0)
    assert hits > 0  # 15 evaluations of a 12-network space: later strategies reuse earlier trainings
    # a second run of the same search trains nothing
    calls.clear()
    run_search(config, tmp_path / "run")
    assert calls == []
