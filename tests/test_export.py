"""`coexplore export RUN --rank K`: ONNX that reads back as the costed workload, PyTorch weights,
the design as JSON and a C header that says what the run costed, and a README.

A replayed run (here) has no weights: the untrained architecture is exported with a note. The
export of trained weights runs in test_search_training.py, on the search that trains.
"""

from __future__ import annotations

import json

import onnx
import pytest
import torch
from search_support import coexplore_cli, write_proxy_table
from workload_support import differences

from coexplore.errors import CoexploreError
from coexplore.fpga import Design, evaluate, get_device
from coexplore.nets import build, from_onnx, lower, parse_spec
from coexplore.search.config import SearchConfig
from coexplore.search.export import ONNX_OPSET, exportable_records, export_run
from coexplore.search.runner import run_search


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    table = write_proxy_table(root / "table.json")
    config = SearchConfig(name="t", table=str(table), budget=4, strategies=["coexplore"], topk=3,
                          hardware={"precision": "int16", "keep_skips_on_chip": True})
    results = run_search(config, root / "run")
    return root / "run", results


@pytest.fixture(scope="module")
def exported(run, tmp_path_factory):
    run_dir, _ = run
    out = tmp_path_factory.mktemp("out") / "rank1"
    done = coexplore_cli("export", str(run_dir), "--rank", "1", "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    return out, json.loads(done.stdout)


def _defines(text: str) -> dict[str, str]:
    return {p[1]: p[2] for p in (line.split() for line in text.splitlines()) if len(p) > 2 and p[0] == "#define"}


def test_export_writes_every_file_with_a_readme(exported):
    out, summary = exported
    for name in ("network.onnx", "weights.pt", "design.json", "design.h", "export.json", "README.md"):
        assert (out / name).is_file(), name
    readme = (out / "README.md").read_text()
    for name in ("network.onnx", "weights.pt", "design.json", "design.h"):
        assert f"`{name}`" in readme
    assert summary["weights"] == "untrained" and "replayed the tabular benchmark" in readme


def test_onnx_is_valid_pinned_and_reads_back_as_the_costed_workload(run, exported):
    run_dir, results = run
    out, summary = exported
    model = onnx.load(str(out / "network.onnx"))
    onnx.checker.check_model(model, full_check=True)
    assert [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] == [ONNX_OPSET]
    assert summary["spec"] == results["topk"]["rows"][0]["spec"]
    assert differences(lower(parse_spec(summary["spec"])), from_onnx(out / "network.onnx")) == []


def test_weights_load_into_the_network(exported):
    out, summary = exported
    state = torch.load(out / "weights.pt", weights_only=True)
    build(summary["spec"]).load_state_dict(state)  # strict: every parameter, every shape


def test_design_and_header_are_what_the_run_costed(run, exported):
    _, results = run
    out, summary = exported
    row = results["topk"]["rows"][0]
    record = next(t for t in results["strategies"]["coexplore"]["trials"] if t["number"] == row["number"])
    design = json.loads((out / "design.json").read_text())
    assert Design(**design["fields"]) == Design(**record["design"])
    assert design["cost"]["total_ms"] == pytest.approx(record["total_ms"], rel=1e-9)
    cost = evaluate(lower(parse_spec(summary["spec"])), Design(**record["design"]), get_device("zcu102"))
    defines = _defines((out / "design.h").read_text())
    assert defines["CX_KEEP_SKIPS_ON_CHIP"] == str(int(cost.skips_on_chip)) == str(int(summary["skips_on_chip"]))
    assert defines["CX_TM"] == str(record["design"]["tm"]) and defines["CX_TC"] == str(record["design"]["tc"])


def test_rank_counts_the_topk_then_the_front(run, tmp_path):
    run_dir, results = run
    from coexplore.results import load_results

    records = exportable_records(load_results(run_dir))
    assert [r.number for r, _ in records[: len(results["topk"]["rows"])]] == [
        row["number"] for row in results["topk"]["rows"]]
    with pytest.raises(CoexploreError, match="out of range"):
        export_run(run_dir, len(records) + 1, tmp_path / "x")
    done = coexplore_cli("export", str(run_dir), "--rank", "0", "--out", str(tmp_path / "y"))
    assert done.returncode == 2 and "--rank" in done.stderr and len(done.stderr.strip().splitlines()) == 1
