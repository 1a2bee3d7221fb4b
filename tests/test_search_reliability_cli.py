"""Bad input to `coexplore search` / `results` / `worker`: one line, exit 2, nothing stored changed
(issue 10). The run folders come from replays of a proxy table. The commands run in this process
(through the CLI's own error path, `run_guarded`): a fresh process per call would cost seconds each.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from search_support import TINY_SPACE, write_config, write_proxy_table

from coexplore.cli import search as search_cli
from coexplore.cli.common import run_guarded

from coexplore.errors import CoexploreError
from coexplore.search.config import SearchConfig, parse_config
from coexplore.search.context import build_context
from coexplore.search.storage import make_storage


def _digest(folder: Path) -> dict[str, str]:
    """Every file of a folder with its hash; a SQLite database by its content (SQL dump), since
    folding its write-ahead log in changes its bytes, not what it stores."""

    def content(path: Path) -> bytes:
        if path.suffix == ".db" and path.stat().st_size:
            with contextlib.closing(sqlite3.connect(path)) as db:
                return "\n".join(db.iterdump()).encode()
        return path.read_bytes()

    return {str(p.relative_to(folder)): hashlib.sha256(content(p)).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.endswith(("-wal", "-shm"))}


def coexplore_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`coexplore ARGS` with the search commands, in this process: exit code, stdout, stderr."""

    app = typer.Typer(pretty_exceptions_enable=False)
    search_cli.register(app)
    out, err = io.StringIO(), io.StringIO()
    argv, here = sys.argv, os.getcwd()
    sys.argv = ["coexplore", *args]
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = run_guarded(app)
            except SystemExit as exit_:
                code = exit_.code or 0
    finally:
        sys.argv = argv
        os.chdir(here)
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def _one_line_error(done, *words: str) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), done.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A finished replayed search: RUN/{config.yaml, study.db, results.json}."""
    folder = tmp_path_factory.mktemp("finished")
    table = write_proxy_table(folder / "t.json")
    config = write_config(folder / "search.yaml", name="done", table=str(table), budget=3, strategies=["coexplore"],
                          latency_budget_ms=5.0)
    done = coexplore_cli("search", "--config", str(config), "--run-dir", str(folder / "run"), "--no-report")
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture
def run_copy(finished_run, tmp_path):
    shutil.copytree(finished_run, tmp_path / "copy")
    return tmp_path / "copy"


@pytest.mark.parametrize("damage", ["missing", "empty", "not_optuna"])
def test_results_refuses_a_missing_or_empty_study_database(run_copy, damage):
    run = run_copy / "run"
    database = run / "study.db"
    database.unlink()
    if damage == "empty":
        database.touch()
    elif damage == "not_optuna":
        sqlite3.connect(database).execute("create table other (x int)").connection.commit()
    before = _digest(run)
    _one_line_error(coexplore_cli("results", str(run)), "study", "coexplore search")
    assert _digest(run) == before  # results.json untouched, no study database created
    assert database.exists() == (damage != "missing")


def test_a_rejected_resume_writes_nothing(run_copy):
    run = run_copy / "run"
    before = _digest(run)
    config = write_config(run_copy / "other.yaml", name="done", table=str(run_copy / "t.json"), budget=3,
                          strategies=["coexplore"], latency_budget_ms=2.5)
    _one_line_error(coexplore_cli("search", "--config", str(config), "--run-dir", str(run), "--no-report"),
                    "latency_budget_ms")
    assert _digest(run) == before  # config.yaml keeps the settings the study was run with
    rebuilt = coexplore_cli("results", str(run), "--json")
    assert rebuilt.returncode == 0 and '"latency_budget_ms": 5.0' in rebuilt.stdout


@pytest.mark.parametrize("value", ['"garbage"', "not json", '{"spec": 5}'])
def test_corrupt_trial_attributes_give_one_line_and_keep_results_json(run_copy, value):
    run = run_copy / "run"
    db = sqlite3.connect(run / "study.db")
    trial_id = db.execute("select min(trial_id) from trial_user_attributes where key='coexplore'").fetchone()[0]
    db.execute("update trial_user_attributes set value_json=? where key='coexplore' and trial_id=?", (value, trial_id))
    db.commit()
    db.close()  # the last connection to close folds the write-ahead log into study.db
    before = _digest(run)
    line = _one_line_error(coexplore_cli("results", str(run)))
    assert "trial" in line and ("'coexplore'" in line or "not valid JSON" in line)
    assert _digest(run) == before


def test_run_dir_that_is_a_file_is_refused_before_any_work(run_copy):
    a_file = run_copy / "t.json"
    before = a_file.read_bytes()
    config = write_config(run_copy / "s.yaml", name="x", table=str(a_file), budget=2, strategies=["random"])
    for target in (a_file, a_file / "below"):
        _one_line_error(coexplore_cli("search", "--config", str(config), "--run-dir", str(target), "--no-report"),
                        "--run-dir", "is a file")
    _one_line_error(coexplore_cli("worker", "--storage", f"sqlite:///{run_copy / 'run' / 'study.db'}",
                                  "--study", "done-coexplore", "--run-dir", str(a_file)), "--run-dir")
    assert a_file.read_bytes() == before


@pytest.mark.parametrize("name", ["..", ".", ".hidden", "a/b", "-rf", "x" * 101, ""])
def test_a_config_name_must_be_a_plain_folder_name(name):
    with pytest.raises(CoexploreError, match="name"):
        parse_config({"name": name})


def test_a_config_named_dot_dot_is_refused_by_the_cli(tmp_path):
    config = write_config(tmp_path / "s.yaml", name="..", budget=1)
    _one_line_error(coexplore_cli("search", "--config", str(config), "--no-report", cwd=tmp_path), "name")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]  # no run folder, nothing else


def test_a_configured_space_must_be_the_tables_space(tmp_path):
    table = str(write_proxy_table(tmp_path / "t.json"))
    assert build_context(SearchConfig(table=table), None).space.size() == 12  # no space: the table's
    assert build_context(SearchConfig(table=table, space={**TINY_SPACE, "name": "renamed"}), None).space.size() == 12
    other = {**TINY_SPACE, "features": [16, 32, 64]}
    with pytest.raises(CoexploreError) as error:
        build_context(SearchConfig(table=table, space=other), None)
    message = str(error.value)
    assert "'tiny'" in message and "t.json" in message and "features" in message
    # a space file, through the CLI
    space_file = write_config(tmp_path / "space.yaml", **other)
    config = write_config(tmp_path / "s.yaml", name="mismatch", table=table, space=str(space_file), budget=2)
    _one_line_error(coexplore_cli("search", "--config", str(config), "--run-dir", str(tmp_path / "run")),
                    "space.yaml", "t.json")
    assert not (tmp_path / "run").exists()


def test_the_documented_postgresql_url_maps_to_the_installed_driver():
    """`postgresql://` is what the README documents; the pinned SQLAlchemy reads it as psycopg 3."""
    import sqlalchemy

    engine = sqlalchemy.create_engine("postgresql://user@127.0.0.1:1/db")  # connects lazily: no server needed
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


@pytest.mark.skipif(importlib.util.find_spec("psycopg2") is not None, reason="psycopg2 is installed here")
def test_a_psycopg2_url_says_to_use_the_plain_postgresql_form():
    with pytest.raises(CoexploreError) as error:
        make_storage("postgresql+psycopg2://user@127.0.0.1:1/db")
    assert "postgresql://USER@HOST" in str(error.value) and "psycopg 3" in str(error.value)
