"""`coexplore dse --device a,b,c`: one network's best design per board, side by side (issue 11)."""

import json
import subprocess
import sys
from pathlib import Path

import typer
from typer.testing import CliRunner

from coexplore.cli import hardware

APP = typer.Typer()
hardware.register(APP)
COEXPLORE = Path(sys.executable).with_name("coexplore")
ZHANG = ["--net", "alexnet", "--precision", "fp32", "--clock", "100"]  # Zhang et al. FPGA'15's setting


def dse_json(*args: str) -> dict:
    result = CliRunner().invoke(APP, ["dse", *ZHANG, *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_boards_side_by_side_agree_with_the_single_board_dse() -> None:
    data = dse_json("--device", "vc707,pynq-z1,zcu102")
    rows = {r["device"]: r for r in data["boards"]}
    assert list(rows) == ["vc707", "pynq-z1", "zcu102"] and data["workload"] == "alexnet"
    # Zhang et al.'s VC707 design: <Tm,Tn> = <64,7>, 2,240 DSP at fp32 (5 DSP per MAC)
    assert rows["vc707"]["array"].startswith("⟨64,7⟩") and rows["vc707"]["dsp"] == 2240
    single = dse_json("--device", "vc707")
    assert rows["vc707"]["best"] == single["best"]
    assert rows["vc707"]["total_ms"] == single["best_cost"]["total_ms"]
    for row in rows.values():
        assert row["dsp"] <= row["dsp_usable"] and row["dsp_pct"] == 100.0 * row["dsp"] / row["dsp_usable"]
        assert row["bram18"] <= row["bram_usable"]
    assert data["fastest"] == min(rows.values(), key=lambda r: r["total_ms"])["device"]
    assert rows["pynq-z1"]["total_ms"] > rows["vc707"]["total_ms"]  # 220 DSP against 2,800


def test_table_names_every_board_and_the_fastest() -> None:
    result = CliRunner().invoke(APP, ["dse", *ZHANG, "--device", "vc707,pynq-z1"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "vc707 ★" in result.stdout and "pynq-z1" in result.stdout and "⟨64,7⟩" in result.stdout


def test_bad_board_lists_and_export_need_one_line() -> None:
    for args, field in [(["--device", "vc707,nope"], "device"),
                        (["--device", "vc707,zcu102", "--export", "best.h"], "--export")]:  # fmt: skip
        done = subprocess.run([str(COEXPLORE), "dse", *ZHANG, *args], capture_output=True, text=True, check=False)
        assert done.returncode == 2 and "Traceback" not in done.stderr
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and field in lines[0], done.stderr
