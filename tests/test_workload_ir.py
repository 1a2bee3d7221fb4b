"""The layer IR: sizes, grouping of identical shapes, skip-tensor liveness, JSON round trip."""

import json

import pytest

from coexplore.errors import CoexploreError
from coexplore.workload import Op, Workload


def _conv(name, n, m, hw, k=3, s=1, inputs=("x",), output=None, groups=1):
    out = (hw + 2 * (k // 2) - k) // s + 1
    return Op(name, "conv", n, m, hw, hw, out, out, kernel=k, stride=s, padding=k // 2,
              groups=groups, inputs=inputs, output=output or name)


def test_conv_macs_and_weights():
    op = _conv("c", 64, 128, 32)
    assert op.macs == 128 * 32 * 32 * 64 * 9
    assert op.weight_elems == 128 * 64 * 9


def test_depthwise_macs_divide_by_groups():
    op = _conv("dw", 64, 64, 16, groups=64)
    assert op.macs == 64 * 16 * 16 * 1 * 9


def test_unique_groups_identical_shapes_with_multiplicity():
    ops = [_conv("a", 8, 8, 16, output="a"), _conv("b", 8, 8, 16, inputs=("a",), output="b"),
           _conv("c", 8, 16, 16, inputs=("b",), output="c")]
    uniq = Workload("w", ops).unique()
    assert [(u.count, u.names) for u in uniq] == [(2, ("a", "b")), (1, ("c",))]


def test_skip_tensor_is_alive_across_the_branch():
    ops = [
        _conv("up", 8, 8, 16, inputs=("x",), output="up"),
        _conv("low1", 8, 8, 16, inputs=("x",), output="low1"),
        _conv("low2", 8, 8, 16, inputs=("low1",), output="low2"),
        Op("merge", "add", 8, 8, 16, 16, 16, 16, inputs=("up", "low2"), output="merge"),
    ]
    skips = Workload("hg", ops).skip_tensors()
    assert [(s.tensor, s.start, s.end) for s in skips] == [("up", 0, 3)]
    assert skips[0].elems == 8 * 16 * 16


def test_json_round_trip_preserves_everything():
    w = Workload("w", [_conv("a", 3, 8, 16, s=2), Op("p", "pool", 8, 8, 8, 8, 4, 4, kernel=2, stride=2,
                                                      mode="max", inputs=("a",), output="p")])
    again = Workload.from_dict(json.loads(w.to_json()))
    assert again == w


def test_bad_groups_is_a_clear_error():
    with pytest.raises(CoexploreError, match="groups"):
        _conv("g", 10, 8, 8, groups=3)
