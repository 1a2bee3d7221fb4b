"""`coexplore devices`, `estimate` and `dse`: tables, --json, exports and one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from coexplore.cli import hardware
from coexplore.errors import CoexploreError

APP = typer.Typer()
hardware.register(APP)
RUN = CliRunner()
COEXPLORE = Path(sys.executable).with_name("coexplore")


def run(*args):
    result = RUN.invoke(APP, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return result.stdout


def test_devices_table_and_json():
    assert "vc707" in run("devices") and "XC7VX485T" in run("devices")
    data = json.loads(run("devices", "--json"))
    assert {d["name"]: d["dsp"] for d in data}["zcu102"] == 2520


def test_estimate_zhang_design_as_json():
    data = json.loads(run("estimate", "--net", "alexnet", "--device", "vc707", "--design",
                          "tm=64,tn=7,tile=13,p=20,tiles=conv1*:11x11|conv2*:27x27", "--precision", "fp32",
                          "--clock", "100", "--schedule", "roofline", "--json"))
    rows = {r["name"]: r for r in data["ops"]}
    assert rows["conv3_g0"]["compute_cycles"] == 171_051 and data["dsp"] == 2240 and data["fits"]
    assert {"compute_ms", "memory_ms", "total_ms", "bottleneck"} <= set(rows["conv5_g1"])


def test_estimate_tables(tmp_path):
    out = run("estimate", "--net", "resnet18", "--device", "zcu102", "--design", "tm=32,tn=16,tile=14",
              "--rows", "5", "--export", str(tmp_path / "d.h"))
    assert "Per op (5 most expensive of" in out and "Where the time goes" in out and "fits" in out
    assert (tmp_path / "d.h").read_text().count("#define CX_TM") == 1


def test_estimate_accepts_a_workload_json(tmp_path):
    from coexplore.workload import get_reference

    path = tmp_path / "net.json"
    get_reference("alexnet").to_json(path)
    data = json.loads(run("estimate", "--net", str(path), "--device", "vc707", "--design", "tm=8,tn=8,tile=13",
                          "--batch", "2", "--json"))
    assert data["macs"] == 2 * get_reference("alexnet").macs


def test_design_that_does_not_fit_is_an_error_unless_allowed():
    args = ["estimate", "--net", "alexnet", "--device", "pynq-z2", "--design", "tm=64,tn=7,tile=13", "--json"]
    with pytest.raises(CoexploreError, match="does not fit pynq-z2: DSP: 448 needed > 176 usable"):
        run(*args)
    data = json.loads(run(*args, "--allow-misfit"))
    assert not data["fits"] and data["fit_problems"]


def test_dse_json_and_tables(tmp_path):
    data = json.loads(run("dse", "--net", "alexnet", "--device", "vc707", "--precision", "fp32", "--clock", "100",
                          "--max-macs", "448", "--json"))
    assert data["best"].startswith("tm=64,tn=7,") and data["front"] and len(data["top"]) == 10
    out = run("dse", "--net", "resnet18", "--device", "kv260", "--precision", "int8", "--keep-skips-on-chip",
              "--top", "3", "--front-rows", "4", "--rows", "3", "--export", str(tmp_path / "best.json"))
    assert "Fastest designs" in out and "Front: latency vs DSP vs BRAM18" in out and "Best design" in out
    assert json.loads((tmp_path / "best.json").read_text())["design"].startswith("tm=")


def test_dse_settings_reach_the_best_design():
    data = json.loads(run("dse", "--net", "alexnet", "--device", "zc706", "--settings",
                          "p=20,halo=yes,ports=shared,precision=int8", "--precision", "int16", "--json"))
    assert data["settings"]["input_halo"] and data["settings"]["precision"] == "int16"  # the flag wins
    assert "p=20" in data["best"] and "halo=true" in data["best"] and "ports=" not in data["best"]


def test_dse_nothing_fits_is_an_error():
    with pytest.raises(CoexploreError, match="no design fits"):
        run("dse", "--net", "vgg16", "--device", "pynq-z2", "--precision", "fp32", "--bram-limit", "0.01")


@pytest.mark.parametrize("args, message", [
    (["estimate", "--net", "alexnet", "--device", "vc7", "--design", "tm=1,tn=1,tile=1"], "unknown device 'vc7'"),
    (["dse", "--net", "alexnet", "--device", "vc707", "--precision", "fp64"], "precision: unknown value 'fp64'"),
])
def test_real_command_gives_one_red_line_and_exit_code_2(args, message):
    result = subprocess.run([str(COEXPLORE), *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
