"""Every command against the bad-input corpus (`bad_inputs.py`): exit 2, one line, nothing lost.

For each broken input: exit code 2; exactly one line on stderr that names the file or field and
says what to do; no traceback; and every file already stored (a finished search run, a trained
checkpoint, a benchmark table, the inputs themselves) is byte-for-byte unchanged, nothing created.
"""

from __future__ import annotations

import atexit
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from bad_inputs import COMMANDS, BadInput, build_corpus, build_stored, counts, run_cli, snapshot, working_directory

MIN_CORPUS = 200
# One line: `error: <field or file>: <problem>` with a fix, either after " — " (errors.py's format)
# or in the problem itself (the allowed values or range: "should be ≥ 1", "use one of: ..."); or a
# usage error naming the flag, pointing at --help.
ONE_LINE = re.compile(r"^error: [^ ].*: .*( — |; use |; give |should be|expected|must be|needs|use one of|use up to).+$"
                      r"|^error: .*('--?[a-z-]+'|--[a-z-]+|command|argument).* — see `coexplore.*--help`$")


def _build() -> tuple[Path, list[BadInput]]:
    """The stored results and the corpus, built once at collection so each input is its own test."""
    root = Path(tempfile.mkdtemp(prefix="coexplore-bad-inputs-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    (root / "cwd").mkdir()
    with working_directory(root / "cwd"):
        stored = build_stored(root / "stored")
        cases = build_corpus(root / "inputs", stored)
    return root, cases


ROOT, CASES = _build()


def test_the_corpus_covers_every_command_with_enough_inputs():
    per_command = counts(CASES)
    assert len(CASES) >= MIN_CORPUS
    assert set(per_command) == set(COMMANDS), set(COMMANDS) - set(per_command)
    assert len({case.id for case in CASES}) == len(CASES), "two inputs share an id"


@pytest.mark.parametrize("case", [
    pytest.param(case, id=case.id, marks=[pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else [])
    for case in CASES
])
def test_bad_input_gives_one_line_and_changes_nothing(case: BadInput):
    before = snapshot(ROOT)
    with working_directory(ROOT / "cwd"):
        outcome = run_cli(case.args)
    after = snapshot(ROOT)
    lines = outcome.stderr.strip().splitlines()
    detail = f"{case.id}\n$ coexplore {' '.join(case.args)}\nexit {outcome.code}\nstderr:\n{outcome.stderr}"
    assert "Traceback" not in outcome.stderr and outcome.exception is None, detail
    assert outcome.code == 2, detail
    assert len(lines) == 1 and ONE_LINE.match(lines[0]), detail
    changed = sorted(set(before.items()) ^ set(after.items()))
    assert not changed, f"{detail}\nchanged: {changed[:5]}"


@pytest.mark.parametrize("args", [
    ["estimate", "--net", "alexnet", "--device", "vc707", "--design", "tm=32,tn=16,tile=13", "--clock", "inf"],
    ["dse", "--net", "alexnet", "--device", "vc707", "--settings", "p=-1"],
    ["net", "show", "resnet9000"],
    ["data", "show", "imagenet"],
    ["train", "--epochs", "x"],
    ["bogus"],
])
def test_the_real_command_prints_one_line(tmp_path, args):
    """A few through a fresh `coexplore` process: the console script's own path, warnings included."""
    result = subprocess.run([sys.executable, "-c", "from coexplore.cli import main; main()", *args],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr
    assert not list(tmp_path.iterdir())


def test_a_garbage_checkpoint_gives_one_line_in_a_real_process(tmp_path):
    (tmp_path / "garbage.pt").write_bytes(b"\x80\x04garbage" * 20)
    result = subprocess.run([sys.executable, "-c", "from coexplore.cli import main; main()", "eval", "--checkpoint",
                             str(tmp_path / "garbage.pt")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_the_snapshot_sees_a_changed_row_a_changed_file_and_a_new_file(tmp_path):
    """The "nothing changed" check has teeth: a row, a byte and a new file each change the snapshot."""
    import sqlite3

    with sqlite3.connect(tmp_path / "study.db") as db:
        db.execute("CREATE TABLE t (v)")
        db.execute("INSERT INTO t VALUES (1)")
    db.close()
    (tmp_path / "results.json").write_text("{}")
    before = snapshot(tmp_path)
    with sqlite3.connect(tmp_path / "study.db") as db:
        db.execute("UPDATE t SET v = 2")
    db.close()
    assert snapshot(tmp_path) != before
    after_row = snapshot(tmp_path)
    (tmp_path / "results.json").write_text("{ }")
    assert snapshot(tmp_path) != after_row
    after_byte = snapshot(tmp_path)
    (tmp_path / "new").mkdir()
    assert snapshot(tmp_path) != after_byte
