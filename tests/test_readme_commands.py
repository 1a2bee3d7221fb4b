"""README.md says what it does: every command in its ```bash blocks runs as written (issue 11).

The rule, as the README states it: commands run in README order, from one scratch folder holding a
copy of `bench/tables`; a line whose comment starts with `cost:` (minutes to GPU-hours) or `needs:`
(data, GPUs or a server the user provides) is skipped, and says so in the README itself.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SKIP_MARKERS = ("cost:", "needs:")
BIN = Path(sys.executable).parent  # the venv's `coexplore`
COMMAND_TIMEOUT_S = 300


@dataclass(frozen=True)
class Command:
    line: str  # as written, continuation lines joined
    comment: str  # the text after ` # `, if any

    @property
    def skipped(self) -> bool:
        return self.comment.startswith(SKIP_MARKERS)


def readme_commands(text: str) -> list[Command]:
    """The commands of every ```bash block, in order."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in re.sub(r"\\\n\s*", "", block).splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            code, _, comment = line.partition(" # ")
            commands.append(Command(line, comment.strip()))
    return commands


COMMANDS = readme_commands(README.read_text(encoding="utf-8"))


def test_every_skipped_command_says_why_and_the_rest_are_coexplore_commands() -> None:
    assert len(COMMANDS) >= 20
    for command in COMMANDS:
        if command.skipped:
            assert len(command.comment) > len("cost: "), command.line
        else:
            assert command.line.startswith("coexplore "), f"not a coexplore command and not marked: {command.line}"
    costs = [c for c in COMMANDS if c.comment.startswith("cost:")]
    assert costs and all(re.search(r"\d+\s*(s|min|h)\b", c.comment) for c in costs)  # a number with its unit
    assert any("train --net small" in c.line for c in costs)  # 817 s per epoch in issue 11: say so


def test_files_the_readme_names_exist() -> None:
    text = README.read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:tests|bench)/[\w/.-]+\.py)`", text))
    assert named, "the README names its tests and benchmarks"
    assert [name for name in sorted(named) if not (ROOT / name).is_file()] == []


def test_every_command_has_json() -> None:
    """The README's promise "every command has --json", checked on the real command tree."""
    from coexplore.cli import _register, app

    _register()
    missing = []

    def walk(command, path: list[str]) -> None:
        if hasattr(command, "list_commands"):
            for name in command.list_commands(None):
                walk(command.get_command(None, name), [*path, name])
        elif not any("--json" in getattr(p, "opts", ()) for p in command.params):
            missing.append(" ".join(path))

    walk(typer.main.get_command(app), [])
    assert missing == []


@pytest.mark.slow
def test_readme_commands_run_as_written(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "bench" / "tables", tmp_path / "bench" / "tables")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "COLUMNS": "120"}
    failures = []
    for command in COMMANDS:
        if command.skipped:
            continue
        done = subprocess.run(["bash", "-c", command.line], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=COMMAND_TIMEOUT_S, check=False)  # fmt: skip
        if done.returncode != 0 or "Traceback" in done.stderr:
            failures.append(f"{command.line}\n  exit {done.returncode}: {(done.stderr or done.stdout)[-600:]}")
    assert failures == [], "\n".join(failures)


def test_bench_table_against_the_shipped_table_names_the_settings_that_differ(tmp_path: Path) -> None:
    """`bench-table build ... --budget 4` against the shipped table used to say only "another config"."""
    from coexplore.errors import CoexploreError
    from coexplore.search.table import build_table

    table = tmp_path / "synthetic-cpu.json"
    shutil.copy(ROOT / "bench" / "tables" / "synthetic-cpu.json", table)
    with pytest.raises(CoexploreError) as raised:
        build_table("cpu", "synthetic", {"epochs": 4, "train_size": 1500, "val_size": 200, "threads": 1}, table)
    differences = str(raised.value).split("config: ", 1)[1].split(" — ", 1)[0]
    assert differences == "train.epochs 3 (table) ≠ 4"  # only what differs, with both values
