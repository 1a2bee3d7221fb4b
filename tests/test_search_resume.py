"""Resume after `kill -9` of a running `coexplore search`, and local worker processes.

The search replays a proxy table with a simulated training time (`table_delay_s`), so a trial is
in flight when the process is killed. Re-running the same command must keep every completed
trial, retry the one in flight, and end with exactly the budget of trainings.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import optuna
import pytest
from optuna.trial import TrialState
from search_support import cli_command, write_config, write_proxy_table

from coexplore.results import BUDGET_EVALUATIONS
from coexplore.search.records import trial_attrs
from coexplore.search.storage import make_storage

BUDGET = 5
KILL_WAIT_S = 120


def _trials(url: str, study: str):
    return optuna.load_study(study_name=study, storage=make_storage(url)).get_trials(deepcopy=False)


def _finished_records(trials):
    return {t.number: trial_attrs(t) for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)}


@pytest.mark.slow
def test_kill_9_then_resume_loses_nothing_and_retries_the_trial_in_flight(tmp_path):
    table = write_proxy_table(tmp_path / "t.json")
    config = write_config(tmp_path / "search.yaml", name="resume", table=str(table), budget=BUDGET,
                          strategies=["coexplore"], table_delay_s=1.5, heartbeat_s=1, grace_s=2)
    run = tmp_path / "run"
    url = f"sqlite:///{run / 'study.db'}"
    command = cli_command("search", "--config", str(config), "--run-dir", str(run), "--no-report")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + KILL_WAIT_S
    try:
        while True:  # wait for two completed trainings and a third one in flight
            assert time.monotonic() < deadline, "the search did not get going"
            assert process.poll() is None, process.stdout.read().decode()
            if (run / "study.db").exists():
                try:
                    trials = _trials(url, "resume-coexplore")
                except Exception:  # the study is being created
                    trials = []
                done = [t for t in trials
                        if t.state == TrialState.COMPLETE and trial_attrs(t).get("evaluation") in BUDGET_EVALUATIONS]
                running = [t for t in trials if t.state == TrialState.RUNNING]
                if len(done) >= 2 and running:
                    break
            time.sleep(0.2)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    before = _trials(url, "resume-coexplore")
    completed_before = _finished_records(before)
    in_flight = [t.number for t in before if t.state == TrialState.RUNNING]
    assert completed_before and in_flight

    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr

    after = _trials(url, "resume-coexplore")
    completed_after = _finished_records(after)
    for number, record in completed_before.items():  # nothing completed was lost or re-run
        assert completed_after[number] == record
    states = {t.number: t.state for t in after}
    for number in in_flight:  # the killed trial was failed by its missing heartbeat and retried
        assert states[number] == TrialState.FAIL
        retries = [t for t in after if t.system_attrs.get("failed_trial") == number]
        assert retries and retries[0].state == TrialState.COMPLETE
        assert retries[0].params == next(t.params for t in before if t.number == number)
    spent = [r for r in completed_after.values() if r["evaluation"] in BUDGET_EVALUATIONS]
    assert len(spent) == BUDGET  # exactly the budget: no training counted twice, none missing
    assert len({r["spec"] for r in spent}) == BUDGET
    assert not [t for t in after if t.state == TrialState.RUNNING]
    assert (run / "results.json").is_file()


@pytest.mark.slow
def test_local_worker_processes_share_one_study(tmp_path):
    table = write_proxy_table(tmp_path / "t.json")
    config = write_config(tmp_path / "search.yaml", name="multi", table=str(table), budget=8,
                          strategies=["random"], table_delay_s=0.3, heartbeat_s=1, grace_s=3)
    run = tmp_path / "run"
    done = subprocess.run(cli_command("search", "--config", str(config), "--run-dir", str(run), "--workers", "2",
                                      "--no-report"), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    trials = _trials(f"sqlite:///{run / 'study.db'}", "multi-random")
    records = _finished_records(trials)
    spent = [r for r in records.values() if r["evaluation"] in BUDGET_EVALUATIONS]
    assert len(spent) == 8 and len({r["spec"] for r in spent}) == 8
    assert {r["worker"] for r in records.values()} == {0, 1}  # both workers ran trials
    assert (run / "logs" / "multi-random-worker0.log").is_file()
