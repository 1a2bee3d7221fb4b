"""`coexplore report RUN [--out DIR] [--json]`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import typer
from test_report_fixture import build_results, write_run
from test_report_tables import recomputed_topk
from typer.testing import CliRunner

from coexplore.cli import report as report_cli

COEXPLORE = Path(sys.executable).with_name("coexplore")


def _app() -> typer.Typer:
    """Only this group's command, so the test does not depend on the other groups."""
    app = typer.Typer()
    report_cli.register(app)

    @app.callback()
    def _root() -> None:  # keep `report` a subcommand
        pass

    return app


def test_prints_topk_table_and_paths(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run")
    result = CliRunner().invoke(_app(), ["report", str(run), "--out", str(tmp_path / "out")],
                                env={"COLUMNS": "140"})  # fmt: skip
    assert result.exit_code == 0, result.output
    out = result.output
    assert "top-5 coexplore designs" in out and "strategies" in out
    for row in recomputed_topk(build_results()):  # the terminal shows one decimal
        assert f"({row['total_faster_pct']:+.1f}%)" in out
    assert str(tmp_path / "out" / "report.html") in out
    assert (tmp_path / "out" / "topk.csv").is_file()


def test_json_output_through_the_installed_command(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run")
    done = subprocess.run([str(COEXPLORE), "report", str(run), "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["report"] == str(run / "report.html")
    assert Path(data["paths"]["trials.csv"]).is_file()
    expected = recomputed_topk(build_results())
    got = data["topk"]["rows"][1:-1]
    assert [r["total_faster_pct"] for r in got] == [e["total_faster_pct"] for e in expected]


def test_missing_run_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = subprocess.run([str(COEXPLORE), "report", str(tmp_path / "nope")], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "nope" in done.stderr and "run folder not found" in done.stderr
