"""The report in a real browser: headless Chromium renders it (bench/report_screenshot.py) and
measures overlapping plot labels, labels cut off at a plot's edge and cut-off table cells."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_report_fixture import build_results, write_run

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "report_screenshot.py"
CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install -y chromium)")
def test_report_renders_without_overlaps_or_cut_offs(tmp_path: Path) -> None:
    data = build_results()
    data["strategies"]["sequential"]["trials"][0].update(total_ms=400.0, feasible=False)  # a far outlier
    run = write_run(tmp_path / "run", data)
    done = subprocess.run([sys.executable, str(SCRIPT), str(run), "--out", str(tmp_path / "out"), "--height", "3000"],
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    check = json.loads(done.stdout[done.stdout.index("{"):])
    assert check["plotly_loaded"] and check["plots"] >= 7
    assert check["overlaps"] == [] and check["cut_labels"] == [] and check["cut_cells"] == []
    assert check["page_bytes"] < 1_500_000
    assert done.returncode == 0, done.stdout[-2000:]
