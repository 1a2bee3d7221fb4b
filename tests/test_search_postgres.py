"""Distributed search on a real PostgreSQL server: 3 `coexplore worker` processes on one study.

The test starts its own server (Debian's `postgresql` binaries: `initdb` into a temporary folder,
loopback port, trust auth) and stops it afterwards. It is not skipped when the binaries are
missing: CI installs them (`.ci/run`), so a missing server is a set-up error to fix.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState
from search_support import cli_command, write_proxy_table

from coexplore.search.cache import BudgetLedger
from coexplore.search.config import SearchConfig
from coexplore.results import BUDGET_EVALUATIONS
from coexplore.search.records import trial_attrs
from coexplore.search.storage import make_storage
from coexplore.search.context import build_context
from coexplore.search.strategies import plan_for
from coexplore.search.studies import ensure_study

SERVER_START_TIMEOUT_S = 60
WORKERS = 3
BUDGET = 9


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


@pytest.fixture
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
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], **run)
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.postgres
def test_three_workers_on_one_postgres_study(postgres_url, tmp_path):
    table = write_proxy_table(tmp_path / "t.json")
    config = SearchConfig(name="pg", table=str(table), budget=BUDGET, strategies=["coexplore"], table_delay_s=0.3,
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
