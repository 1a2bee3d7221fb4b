"""from_onnx: an exported hourglass gives the same workload as lower(spec); bad files fail clearly."""

import warnings

import pytest
import torch
from workload_support import differences

from coexplore.errors import CoexploreError
from coexplore.nets import build, from_onnx, lower, parse_spec, resolve_workload
from coexplore.workload import Workload

SPEC = "hg-s2-o2-f16-m1-bottleneck-k3-deconv-r32-scaled"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A small hourglass exported with the TorchScript exporter (dynamo=False)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    path = tmp_path_factory.mktemp("onnx") / "hourglass.onnx"
    spec = parse_spec(SPEC)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(build(spec).eval(), (torch.zeros(1, 3, 32, 32),), str(path), dynamo=False)
    torch.set_num_threads(before)
    return path


def test_onnx_conv_list_equals_lower(exported):
    from_file, lowered = from_onnx(exported), lower(parse_spec(SPEC))
    convs = lambda w: Workload(w.name, w.convs())  # noqa: E731
    assert differences(convs(lowered), convs(from_file), with_inputs=False) == []
    assert from_file.macs == lowered.macs
    # and the whole workload matches: pools, deconvs, adds and the tensor graph
    assert differences(lowered, from_file) == []


def test_resolve_workload_reads_onnx_with_batch(exported):
    workload = resolve_workload(str(exported), batch=3)
    assert workload.macs == 3 * lower(parse_spec(SPEC)).macs


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(CoexploreError, match="file not found"):
        from_onnx(tmp_path / "none.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a protobuf at all")
    with pytest.raises(CoexploreError, match="cannot read ONNX model"):
        from_onnx(bad)
