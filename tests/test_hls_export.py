"""`coexplore export RUN --rank K --hls DIR` and `coexplore hls --net ... --design ...`: the searched
design as an HLS project whose C-simulation is bit-exact with the integer reference."""

from __future__ import annotations

import json

import pytest
import typer
from search_support import coexplore_cli, write_proxy_table
from typer.testing import CliRunner

from coexplore.cli import hls
from coexplore.errors import CoexploreError
from coexplore.hls import compiler
from coexplore.search.config import SearchConfig
from coexplore.search.runner import run_search

needs_gxx = pytest.mark.skipif(compiler() is None, reason="g++ is not installed: the C-simulation cannot be built")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("export_hls")
    table = write_proxy_table(root / "table.json")
    config = SearchConfig(name="t", table=str(table), budget=3, strategies=["coexplore"], topk=2,
                          hardware={"precision": "int8"})
    run_search(config, root / "run")
    return root / "run"


@needs_gxx
@pytest.mark.slow
def test_export_writes_an_hls_project_that_is_bit_exact(run, tmp_path):
    hls = tmp_path / "hls"
    done = coexplore_cli("export", str(run), "--rank", "1", "--out", str(tmp_path / "x"), "--hls", str(hls), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)["hls"]
    assert summary["bit_exact"] is True and summary["weights"] == "untrained"
    for name in ("engine.cpp", "engine.h", "testbench.cpp", "Makefile", "run_hls.tcl", "schedule.h", "network.h"):
        assert (hls / name).is_file()
    assert "m_axi" in (hls / "engine.cpp").read_text()


@needs_gxx
def test_hls_command_for_a_preset_and_a_design_text(tmp_path):
    out = tmp_path / "tiny"
    done = coexplore_cli("hls", "--net", "tiny", "--design", "tm=8,tn=4,tr=16,tc=16,schedule=roofline",
                         "--device", "zcu102", "--precision", "int16", "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["bit_exact"] is True and summary["counts_equal"] is True


@pytest.mark.parametrize(("args", "named"), [
    (["--design", "tm=8,tn=4,tr=16,tc=16"], "--device"),
    (["--design", "tm=8,tn=4,tr=16,tc=16,precision=fp32", "--device", "zcu102"], "int8"),
    (["--design", "missing.json", "--device", "zcu102"], "no such file"),
])
def test_hls_command_errors_are_one_line(tmp_path, args, named):
    app = typer.Typer()
    hls.register(app)
    app.command("other")(lambda: None)  # two commands: `hls` is a subcommand as in the real CLI
    with pytest.raises(CoexploreError, match=named):
        CliRunner().invoke(app, ["hls", "--net", "tiny", "--out", str(tmp_path / "o"), *args],
                           catch_exceptions=False)
