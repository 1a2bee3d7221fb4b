"""`results.json`: the writer validates before it writes (atomically), the reader gives one clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_report_fixture import build_results, write_run

from coexplore.errors import CoexploreError
from coexplore.results import RESULTS_FILE, RunResults, load_results, write_results


def test_write_then_load_round_trips(tmp_path: Path) -> None:
    results = RunResults.model_validate(build_results())
    path = write_results(tmp_path / "run", results)
    assert path == tmp_path / "run" / RESULTS_FILE
    assert load_results(tmp_path / "run") == results
    data = json.loads(path.read_text())
    assert next(iter(data)) == "schema" and data["schema"] == 1
    assert path.stat().st_mode & 0o777 == 0o644  # results are meant to be shared
    assert [p.name for p in path.parent.iterdir()] == [RESULTS_FILE]  # no temporary file left behind


def test_the_writer_refuses_what_the_reader_would_reject(tmp_path: Path) -> None:
    good = write_results(tmp_path, RunResults.model_validate(build_results()))
    before = good.read_bytes()
    broken = load_results(tmp_path)
    broken.strategies["random"].trials[2].status = "done"  # assignment is not validated
    with pytest.raises(CoexploreError, match=r"not written.*strategies\.random\.trials\.2\.status"):
        write_results(tmp_path, broken)
    assert good.read_bytes() == before  # the file on disk is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == [RESULTS_FILE]


def test_reads_a_file_written_before_the_results_module(tmp_path: Path) -> None:
    # the search's older records had no constraints, per-trial metric or curve: defaults fill them
    data = build_results()
    record = data["strategies"]["coexplore"]["trials"][0]
    assert "constraints" not in record and "curve" not in record
    record["worker"] = 0  # and a field written then is read as it was
    loaded = load_results(write_run(tmp_path / "run", data))
    trial = loaded.strategies["coexplore"].trials[0]
    assert trial.constraints == [] and trial.curve == [] and trial.worker == 0


def test_not_utf8_is_one_error(tmp_path: Path) -> None:
    (tmp_path / RESULTS_FILE).write_bytes(b"\xff\xfe{}")
    with pytest.raises(CoexploreError, match="not UTF-8"):
        load_results(tmp_path)
