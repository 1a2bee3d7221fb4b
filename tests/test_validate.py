"""`coexplore validate`: the Zhang rows are the published figures (Zhang et al. FPGA'15,
REFERENCES.md: per-group cycles conv2-5 255,430 / 171,051 / 129,444 / 86,296; 2,240 DSP; 21.61 ms
measured; 61.62 GFLOPS), the MAPE is the mean of the check rows, and the CLI prints and --json."""

import json

import pytest
import typer
from typer.testing import CliRunner

from coexplore.cli import validate as validate_cli
from coexplore.fpga.validate import validate, zhang_rows

APP = typer.Typer()
validate_cli.register(APP)
APP.command("unused")(lambda: None)  # two commands: typer keeps `validate` as a sub-command


def test_zhang_rows_are_the_published_numbers():
    rows = {r.quantity: r for r in zhang_rows()}
    for layer, cycles in (("conv2", 255_430), ("conv3", 171_051), ("conv4", 129_444), ("conv5", 86_296)):
        assert rows[f"{layer} cycles per group"].published == cycles
        assert rows[f"{layer} cycles per group"].model == cycles  # the model reproduces the paper
    assert rows["DSP"].published == rows["DSP"].model == 2_240
    assert rows["latency ms (measured)"].published == 21.61
    assert -12 < rows["latency ms (measured)"].error_pct < -5  # 5-12 % optimistic, as the paper says
    assert rows["LUT"].role == rows["FF"].role == "calibrated"


def test_mape_is_the_mean_of_the_check_rows_only():
    result = validate()
    checks = [abs(r.error_pct) for r in result.rows if r.role == "check"]
    assert result.mape_pct == pytest.approx(sum(checks) / len(checks))
    assert 0 < result.mape_pct < 5
    assert result.plausibility == []  # no network builder given


def test_cli_table_and_json():
    runner = CliRunner()
    table = runner.invoke(APP, ["validate"])
    assert table.exit_code == 0, table.output
    assert "MAPE" in table.stdout and "Plausibility, another architecture" in table.stdout
    data = json.loads(runner.invoke(APP, ["validate", "--json"]).stdout)
    assert {r["quantity"] for r in data["same_architecture"]} >= {"conv2 cycles per group", "BRAM18", "LUT"}
    plaus = data["plausibility_other_architecture"]
    hourglass = next(p for p in plaus if p["net"] == "newell1" and "multi" in p["engine"])
    # UG1354 v1.3: 10.2 GOPs × 76 fps over two B4096 cores at 300 MHz = 31.5 % of 2,457.6 GOPS
    assert hourglass["published_fraction"] == pytest.approx(10.2 * 76 / 2457.6)
    assert 0 < hourglass["our_fraction"] <= 1
