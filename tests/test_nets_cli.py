"""`coexplore net show|list` and `coexplore space show`, run as a user runs them; resolve_workload."""

import json
import subprocess
import sys

import pytest
from workload_support import differences

from coexplore.errors import CoexploreError
from coexplore.files import SHIPPED_CONFIGS
from coexplore.nets import PRESETS, lower, resolve_workload

CONFIGS = SHIPPED_CONFIGS  # the configs shipped inside the package


def _cli(*args: str) -> subprocess.CompletedProcess:
    code = "import sys; from coexplore.cli import main; sys.argv = ['coexplore', *sys.argv[1:]]; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)


def test_net_show_json_has_the_exact_workload(tmp_path):
    out = tmp_path / "tiny.json"
    run = _cli("net", "show", "tiny", "--json", "--precision", "int8", "--out", str(out))
    assert run.returncode == 0, run.stderr
    shown = json.loads(run.stdout)
    workload = lower(PRESETS["tiny"])
    assert (shown["macs"], shown["params"], shown["op_count"]) == (workload.macs, workload.params, len(workload))
    assert [op["name"] for op in shown["ops"]] == [op.name for op in workload.ops]
    first = shown["ops"][0]  # stem conv: 3x64x64 in, 16x32x32 out, one byte per value at int8
    assert first["activation_bytes"] == 3 * 64 * 64 + 16 * 32 * 32
    assert shown["skip_tensors"] and all(s["span_ops"] > 1 for s in shown["skip_tensors"])
    # --out wrote a workload file that resolves back to the same workload
    assert differences(resolve_workload(str(out)), workload) == []


def test_net_show_tables_and_unique_view():
    run = _cli("net", "show", "hg-s1-o2-f16-r32-scaled", "--unique", "--rows", "5")
    assert run.returncode == 0, run.stderr
    assert "distinct op shapes" in run.stdout and "skip tensors" in run.stdout and "more rows" in run.stdout


def test_net_show_errors_are_one_line_with_exit_code_2():
    run = _cli("net", "show", "hg-s2-o4-f130")
    assert run.returncode == 2
    assert "features: must be a multiple of 8" in run.stderr and "Traceback" not in run.stderr
    run = _cli("net", "show", "nonsense")
    assert run.returncode == 2 and "newell8" in run.stderr and "resnet50" in run.stderr


def test_space_show_json_for_the_cpu_space():
    run = _cli("space", "show", str(CONFIGS / "space-cpu.yaml"), "--samples", "3", "--json")
    assert run.returncode == 0, run.stderr
    shown = json.loads(run.stdout)
    assert shown["size"] == 48 and len(shown["samples"]) == 3
    assert set(shown["genes"]) == {"stacks", "order", "features", "block", "upsample"}


def test_space_show_default_table_and_bad_file(tmp_path):
    run = _cli("space", "show", "--samples", "1")
    assert run.returncode == 0 and "69,984" in run.stdout  # size of the default space (see test_nets_space)
    bad = tmp_path / "bad.yaml"
    bad.write_text("stacks: [1, 2]\nfeaturez: [16]\n")
    run = _cli("space", "show", str(bad))
    assert run.returncode == 2 and "featurez" in run.stderr


def test_net_list_shows_presets_and_references():
    run = _cli("net", "list", "--json")
    assert run.returncode == 0, run.stderr
    names = {row["name"] for row in json.loads(run.stdout)}
    assert set(PRESETS) <= names and "resnet18" in names


def test_resolve_workload_forms(tmp_path):
    spec = PRESETS["small2"]
    assert differences(resolve_workload("small2"), lower(spec)) == []
    assert differences(resolve_workload(str(spec)), lower(spec)) == []
    (tmp_path / "net.yaml").write_text(f"spec: {spec}\n")
    assert differences(resolve_workload(str(tmp_path / "net.yaml"), batch=2), lower(spec, batch=2)) == []
    resnet = resolve_workload("ResNet-18", batch=2)
    assert resnet.name == "resnet18" and resnet.ops[0].batch == 2
    with pytest.raises(CoexploreError, match="file not found"):
        resolve_workload(str(tmp_path / "missing.onnx"))
    with pytest.raises(CoexploreError, match="unknown network 'hourglass'"):
        resolve_workload("hourglass")
