"""Distributed search on a real PostgreSQL server, reached with the documented URL form
`postgresql://USER@HOST:PORT/DB` (SQLAlchemy maps it to psycopg 3, which coexplore installs).

- `coexplore search --storage URL --workers 3`, one worker killed with `kill -9` mid-training: the
  budget is still spent exactly once and no trial stays RUNNING;
- three `coexplore worker` processes that get only the URL and the study name;
- a trial whose worker died inside `study.ask` (before its first heartbeat) is failed and retried.

The tests start their own server (Debian's `postgresql` binaries: `initdb` into a temporary
folder, loopback port, trust auth) and stop it afterwards. They are not skipped when the binaries
are missing: CI installs them (`.ci/run`), so a missing server is a set-up error to fix.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState
from search_support import cli_command, write_config, write_proxy_table

from coexplore.results import BUDGET_EVALUATIONS
from coexplore.search.cache import BudgetLedger
from coexplore.search.config import SearchConfig
from coexplore.search.context import build_context
from coexplore.search.records import trial_attrs
from coexplore.search.storage import fail_stale_trials, make_storage
from coexplore.search.strategies import plan_for
from coexplore.search.studies import ensure_study

SERVER_START_TIMEOUT_S = 60
WORKERS = 3
BUDGET = 9
KILL_WAIT_S = 120


def _postgres_bin() -> Path:
    found = shutil.which("initdb")
    candidates = [Path(found).resolve().parent] if found else []
    candidates += [Path(p).parent for p in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)]
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql/*/bin; "
                "install Debian's `postgresql` package (.ci/run does this in CI)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_user() -> tuple[int, int] | None:
    """PostgreSQL refuses to run as root: as root, run it as `postgres` (or `nobody`)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
            return entry.pw_uid, entry.pw_gid
        except KeyError:
            continue
    pytest.fail("running as root and neither a `postgres` nor a `nobody` user exists to run the server")


def _as_user(ids: tuple[int, int] | None):
    if ids is None:
        return None

    def switch() -> None:
        os.setgid(ids[1])
        os.setuid(ids[0])

    return switch


@pytest.fixture(scope="module")
def postgres_url():
    binaries, ids, port = _postgres_bin(), _server_user(), _free_port()
    # not under pytest's tmp_path: its parent folders are private to root
    home = Path(tempfile.mkdtemp(prefix="coexplore-pg-"))
    data, sockets = home / "data", home / "sock"
    sockets.mkdir()
    if ids is not None:
        for path in (home, sockets):
            os.chown(path, *ids)
    run = dict(preexec_fn=_as_user(ids), capture_output=True, text=True, timeout=SERVER_START_TIMEOUT_S)
    init = subprocess.run([str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8"], **run)
    assert init.returncode == 0, f"initdb failed: {init.stderr}"
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c max_connections=100 -c fsync=off"
    start = subprocess.run([str(binaries / "pg_ctl"), "-D", str(data), "-l", str(home / "log"), "-o", options, "-w",
                            "-t", str(SERVER_START_TIMEOUT_S), "start"], **run)
    assert start.returncode == 0, f"pg_ctl start failed: {start.stderr}\n{(home / 'log').read_text()}"
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"  # the form the README documents
    finally:
        subprocess.run([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], **run)
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.postgres
def test_three_workers_on_one_postgres_study(postgres_url, tmp_path):
    table = write_proxy_table(tmp_path / "t.json")
    config = SearchConfig(name="pgworkers", table=str(table), budget=BUDGET, strategies=["coexplore"], table_delay_s=0.3,
                          heartbeat_s=1, grace_s=3, storage=postgres_url)
    context = build_context(config, postgres_url)
    plan = plan_for("coexplore", config, context.baseline)
    study = ensure_study(make_storage(postgres_url), context, plan)  # stores the config

    # each worker needs only the URL and the study name (as on another machine)
    workers = [subprocess.Popen(cli_command("worker", "--storage", postgres_url, "--study", study.study_name,
                                            "--worker", str(i)), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True) for i in range(WORKERS)]
    outputs = [w.communicate(timeout=300)[0] for w in workers]
    assert [w.returncode for w in workers] == [0] * WORKERS, "\n".join(outputs)

    trials = optuna.load_study(study_name=study.study_name, storage=make_storage(postgres_url)).get_trials()
    finished = [t for t in trials if t.state == TrialState.COMPLETE]
    records = [trial_attrs(t) for t in finished]
    spent = [r for r in records if r["evaluation"] in BUDGET_EVALUATIONS]
    assert len(spent) == BUDGET  # the budget, exactly, though three workers raced for it
    assert len({r["spec"] for r in spent}) == BUDGET  # no network trained by two workers
    assert len({t.number for t in finished}) == len(finished)
    assert {r["worker"] for r in records} == set(range(WORKERS))  # all three did work
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    # the budget ledger lives in the same PostgreSQL database and agrees
    failed = {t.number for t in trials if t.state == TrialState.FAIL}
    assert BudgetLedger(postgres_url).used(study.study_name, failed) == BUDGET


def _trials(url: str, study: str) -> list:
    return optuna.load_study(study_name=study, storage=make_storage(url)).get_trials(deepcopy=False)


def _worker_pid(parent: int, index: int) -> int | None:
    """The pid of local worker `index` among the children of the search process."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    for pid in map(int, children):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except FileNotFoundError:
            continue
        if b"coexplore.search.worker" in argv and argv[argv.index(b"--worker") + 1] == str(index).encode():
            return pid
    return None


@pytest.mark.slow
@pytest.mark.postgres
def test_search_through_the_cli_survives_a_worker_killed_mid_training(postgres_url, tmp_path):
    table = write_proxy_table(tmp_path / "t.json")
    config = write_config(tmp_path / "search.yaml", name="pgkill", table=str(table), budget=BUDGET,
                          strategies=["coexplore"], table_delay_s=3.0, heartbeat_s=1, grace_s=3)
    # 3 s a training: long beside the poll-then-kill gap even on a loaded 2-core CI machine, so the
    # victim is still inside the trial it was seen running (with 1 s it sometimes finished first)
    run = tmp_path / "run"
    search = subprocess.Popen(cli_command("search", "--config", str(config), "--storage", postgres_url,
                                          "--workers", str(WORKERS), "--run-dir", str(run), "--no-report"),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    study, killed_in = "pgkill-coexplore", set()
    deadline = time.monotonic() + KILL_WAIT_S
    try:
        while not killed_in:  # every worker inside a trial (training, or waiting on a twin): kill one
            assert time.monotonic() < deadline and search.poll() is None, "the search did not get going"
            try:
                trials = _trials(postgres_url, study)
            except KeyError:  # the study is being created
                trials = []
            running = {t.number for t in trials if t.state == TrialState.RUNNING}
            done = [t for t in trials if t.state == TrialState.COMPLETE]
            victim = _worker_pid(search.pid, 1)
            if len(running) == WORKERS and done and victim is not None:
                os.kill(victim, signal.SIGKILL)
                killed_in = running
            time.sleep(0.1)
        output = search.communicate(timeout=300)[0]
    finally:
        if search.poll() is None:
            search.kill()
    assert search.returncode == 0, output
    assert (run / "results.json").is_file()

    trials = _trials(postgres_url, study)
    states = {t.number: t.state for t in trials}
    failed = [n for n in killed_in if states[n] == TrialState.FAIL]
    assert len(failed) == 1, f"the killed worker's trial should have failed: {states}"
    retries = [t for t in trials if t.system_attrs.get("failed_trial") == failed[0]]
    assert retries and retries[-1].state == TrialState.COMPLETE  # a live worker retried it
    records = [trial_attrs(t) for t in trials if t.state == TrialState.COMPLETE]
    spent = [r for r in records if r["evaluation"] in BUDGET_EVALUATIONS]
    assert len(spent) == BUDGET and len({r["spec"] for r in spent}) == BUDGET  # spent exactly once
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    assert BudgetLedger(postgres_url).used(study, {t.number for t in trials if t.state == TrialState.FAIL}) == BUDGET


@pytest.mark.postgres
@pytest.mark.timeout(60)
@pytest.mark.filterwarnings("ignore:Heartbeat of storage:UserWarning")  # ask() without optimize(), on purpose
def test_a_trial_killed_inside_ask_does_not_stay_running(postgres_url):
    storage = make_storage(postgres_url, heartbeat_s=1, grace_s=2)
    study = optuna.create_study(study_name="pg-ask", storage=storage)
    silent = study.ask()  # RUNNING; its worker "died" before the first heartbeat
    while storage.get_trial(silent._trial_id).state == TrialState.RUNNING:
        fail_stale_trials(study)
        time.sleep(0.3)
    assert storage.get_trial(silent._trial_id).state == TrialState.FAIL
