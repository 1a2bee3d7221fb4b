"""A search always ends, and reports why: NaN metrics, failed trainings, FAIL trials, workers killed
before their first heartbeat (issue 10)."""

from __future__ import annotations

import math
import time

import optuna
import pytest
from optuna.trial import TrialState
from search_support import TINY_SPACE, write_proxy_table

from coexplore.results import BUDGET_EVALUATIONS
from coexplore.search.cache import EvalCache, MemoryLedger
from coexplore.search.config import SearchConfig
from coexplore.search.context import build_context
from coexplore.search.evaluation import Evaluation
from coexplore.search.loop import study_progress
from coexplore.search.runner import run_search
from coexplore.search.storage import default_storage_url, fail_stale_trials, make_storage
from coexplore.search.strategies import plan_for
from coexplore.search.table import BenchTable

TRAIN = {"epochs": 1, "train_size": 8, "val_size": 8}
BUDGET = 2


@pytest.fixture
def trainer_calls(monkeypatch):
    """The trainer replaced by one whose metric is NaN (as on a keypoint set with one joint per
    frame, where PCKh has no head size to normalise by); returns the networks it trained."""
    from coexplore.pose import trainer
    from coexplore.pose.outcome import TrainResult

    calls: list[str] = []

    def nan_train(network, data, cfg=None, *, progress=True, on_epoch=None, precisions=()):
        calls.append(network.label)
        return TrainResult(status="complete", accuracy=math.nan, metric="PCKh@0.5", wall_s=1.0, device="cpu",
                           curve=[{"epoch": 1, "val_accuracy": math.nan}])

    monkeypatch.setattr(trainer, "train", nan_train)
    return calls


def _spent(block: dict) -> list[dict]:
    return [t for t in block["trials"] if t["evaluation"] in BUDGET_EVALUATIONS]


@pytest.mark.timeout(120)
def test_nan_metric_is_a_failed_training_and_the_search_stops_at_its_budget(tmp_path, trainer_calls):
    config = SearchConfig(name="nan", space=TINY_SPACE, budget=BUDGET, strategies=["random"], train=TRAIN)
    results = run_search(config, tmp_path / "run")
    block = results["strategies"]["random"]
    assert block["trainings"] == len(_spent(block)) == BUDGET
    for trial in _spent(block):
        assert trial["status"] == "failed" and trial["accuracy"] is None
        assert trial["reason"].startswith("metric is nan")
    baseline = results["baseline"]
    # the baseline, then the budget (a random pick of the baseline comes from the cache)
    assert len(set(trainer_calls)) == len(trainer_calls) <= BUDGET + 1 and baseline["spec"] in trainer_calls
    assert baseline["status"] == "failed" and baseline["reason"].startswith("metric is nan")

    # failures are cached: a resumed search trains nothing again, and the baseline stays failed
    # with its reason (not "not evaluated")
    trainer_calls.clear()
    again = run_search(config, tmp_path / "run")
    assert trainer_calls == []
    assert again["baseline"]["reason"] == baseline["reason"]


@pytest.mark.timeout(120)
def test_a_nan_stored_as_complete_in_the_cache_does_not_loop(tmp_path, trainer_calls):
    """An evaluation cache written before the fix holds NaN accuracies marked complete: each
    reuse is a failed evaluation that still spends the budget, so the search ends."""
    config = SearchConfig(name="old", space=TINY_SPACE, budget=BUDGET, strategies=["random"], train=TRAIN)
    run = tmp_path / "run"
    run.mkdir()
    context = build_context(config, default_storage_url(run))
    cache = EvalCache(default_storage_url(run))
    for spec in [str(s) for s in context.space.enumerate()] + [context.baseline]:
        cache.put(spec, context.evaluator.train_key, config.data,
                  {"status": "complete", "accuracy": math.nan, "metric": "PCKh@0.5", "wall_s": 1.0})
    results = run_search(config, run)
    assert trainer_calls == []
    spent = _spent(results["strategies"]["random"])
    assert len(spent) == BUDGET and {t["evaluation"] for t in spent} == {"cache"}
    assert all(t["status"] == "failed" for t in spent)


@pytest.mark.timeout(120)
def test_a_table_of_nan_accuracies_stops_at_its_budget(tmp_path):
    path = write_proxy_table(tmp_path / "t.json")
    table = BenchTable.load(path)
    for spec in table.entries:
        for replicate in table.replicates(spec):
            replicate["accuracy"], replicate["curve"] = math.nan, [math.nan]
    table.save(path)
    config = SearchConfig(name="nantable", table=str(path), budget=BUDGET, strategies=["coexplore", "random"])
    results = run_search(config, tmp_path / "run")
    for block in results["strategies"].values():
        assert len(_spent(block)) == BUDGET and all(t["status"] == "failed" for t in _spent(block))


def test_evaluation_turns_a_non_finite_metric_into_a_failure():
    for value in (math.nan, math.inf, -math.inf, "nan"):
        evaluation = Evaluation(status="complete", accuracy=value, source="trained", metric="PCK@0.2")
        assert evaluation.status == "failed" and evaluation.accuracy is None
        assert evaluation.reason.startswith("metric is") and "PCK@0.2" in evaluation.reason
    assert Evaluation(status="complete", accuracy=12.5, source="cache").status == "complete"


def test_fail_trials_count_toward_the_trial_cap_and_patience():
    """Trials that end FAIL (a NaN objective, a budget already spent, a dead worker) spend no
    budget, yet they must still end the search."""
    config = SearchConfig(name="cap", space=TINY_SPACE, budget=5, max_trials=3, patience=2)
    plan = plan_for("random", config, "baseline")
    study = optuna.create_study(study_name="cap-random")
    ledger = MemoryLedger()
    assert not study_progress(study, ledger).exhausted(plan, config.trial_cap)
    for _ in range(2):
        study.tell(study.ask(), state=TrialState.FAIL)
    progress = study_progress(study, ledger)
    assert progress.failed == 2 and progress.trailing_free == 2
    assert progress.exhausted(plan, config.trial_cap)  # by patience
    relaxed = plan_for("random", config.model_copy(update={"patience": 50}), "baseline")
    study.tell(study.ask(), state=TrialState.FAIL)
    assert study_progress(study, ledger).exhausted(relaxed, config.trial_cap)  # by the trial cap


@pytest.mark.timeout(60)
@pytest.mark.filterwarnings("ignore:Heartbeat of storage:UserWarning")  # ask() without optimize(), on purpose
def test_a_trial_killed_before_its_first_heartbeat_is_failed_and_retried(tmp_path):
    """A worker killed inside `study.ask` leaves a RUNNING trial without any heartbeat, which
    Optuna's stale check never fails; ours does after the grace period, and queues its retry."""
    url = f"sqlite:///{tmp_path / 'study.db'}"
    storage = make_storage(url, heartbeat_s=1, grace_s=2)
    study = optuna.create_study(study_name="ask", storage=storage)
    study.enqueue_trial({"x": 1.0})
    killed = study.ask()  # pops the queued trial: RUNNING, and no heartbeat ever comes
    assert killed.params == {} and storage.get_trial(killed._trial_id).state == TrialState.RUNNING
    deadline = time.monotonic() + 20
    while storage.get_trial(killed._trial_id).state == TrialState.RUNNING:
        assert time.monotonic() < deadline, "the silent trial was never failed"
        fail_stale_trials(study)
        time.sleep(0.3)
    assert storage.get_trial(killed._trial_id).state == TrialState.FAIL
    retries = [t for t in study.get_trials() if t.system_attrs.get("failed_trial") == killed.number]
    assert retries and retries[0].state == TrialState.WAITING


@pytest.mark.filterwarnings("ignore:Heartbeat of storage:UserWarning")  # ask() without optimize(), on purpose
def test_a_live_trial_with_a_heartbeat_is_not_failed(tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    storage = make_storage(url, heartbeat_s=1, grace_s=2)
    study = optuna.create_study(study_name="live", storage=storage)
    trial = study.ask()
    for _ in range(12):
        storage.record_heartbeat(trial._trial_id)
        fail_stale_trials(study)
        time.sleep(0.25)
    assert storage.get_trial(trial._trial_id).state == TrialState.RUNNING


@pytest.mark.timeout(120)
def test_a_failed_baseline_training_is_cached_and_reported_with_its_reason(tmp_path, monkeypatch):
    from coexplore.pose import trainer
    from coexplore.pose.outcome import TrainResult

    calls: list[str] = []

    def failing_train(network, data, cfg=None, *, progress=True, on_epoch=None, precisions=()):
        calls.append(network.label)
        return TrainResult(status="failed", reason="CUDA out of memory", accuracy=None, metric="PCKh@0.5",
                           wall_s=1.0, device="cpu")

    monkeypatch.setattr(trainer, "train", failing_train)
    config = SearchConfig(name="oom", space=TINY_SPACE, budget=1, strategies=["random"], train=TRAIN)
    first = run_search(config, tmp_path / "run")
    assert first["baseline"]["status"] == "failed" and first["baseline"]["reason"] == "CUDA out of memory"
    baseline_spec = first["baseline"]["spec"]
    assert calls.count(baseline_spec) == 1
    second = run_search(config, tmp_path / "run")
    assert calls.count(baseline_spec) == 1  # not trained again
    assert second["baseline"]["reason"] == "CUDA out of memory"
    assert second["baseline"]["evaluation"] == "cache"
