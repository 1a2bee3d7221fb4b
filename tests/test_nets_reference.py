"""PyTorch twins of the reference networks: exact sizes, and the same convs as the data versions."""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode
from workload_support import differences

from coexplore.nets import trace
from coexplore.nets.reference_torch import reference_model


# Parameter counts: torchvision's model docs (resnet18 11,689,512; resnet50 25,557,032;
# vgg16 138,357,544) and Caffe's grouped AlexNet (bvlc_alexnet, 60,965,224). MACs at 224x224:
# torchvision's docs list 1.81 / 4.09 / 15.47 GFLOPS (multiply-adds) for resnet18 / resnet50 / vgg16;
# AlexNet's five conv layers (227x227, grouped as in Zhang et al. FPGA'15) need 1.33 GFLOP = 0.666 GMAC.
@pytest.mark.parametrize("name, params, gmacs, conv_gmacs", [
    ("alexnet", 60_965_224, None, 0.666),
    ("vgg16", 138_357_544, 15.47, None),
    ("resnet18", 11_689_512, 1.81, None),
    ("resnet50", 25_557_032, 4.09, None),
])
def test_twin_sizes_match_the_published_numbers(name, params, gmacs, conv_gmacs):
    model, shape = reference_model(name, device="meta")
    assert sum(p.numel() for p in model.parameters()) == params
    workload = trace(model, shape)
    if gmacs is not None:
        assert workload.macs / 1e9 == pytest.approx(gmacs, abs=0.005)
    if conv_gmacs is not None:
        conv_macs = sum(op.macs for op in workload.ops if op.kind == "conv")
        assert conv_macs / 1e9 == pytest.approx(conv_gmacs, abs=0.0005)
    with FlopCounterMode(display=False) as counter:
        model.eval()(torch.empty(shape, device="meta"))
    assert workload.macs == counter.get_total_flops() // 2


def test_zhang_alexnet_layer_shapes():
    # Zhang et al. FPGA'15 (REFERENCES.md): per group conv2 M=128 N=48 27x27 K=5; conv3 M=192 N=256
    # 13x13 K=3; conv4 M=192 N=192; conv5 M=128 N=192 (two groups each).
    model, shape = reference_model("alexnet", device="meta")
    convs = [op for op in trace(model, shape).ops if op.kind == "conv"]
    per_group = [(op.out_channels // max(op.groups, 2), op.in_channels // op.groups, op.out_h, op.kernel)
                 for op in convs[1:]]
    assert per_group == [(128, 48, 27, 5), (192, 256, 13, 3), (192, 192, 13, 3), (128, 192, 13, 3)]


def test_resnet18_has_its_residual_adds_and_skip_tensors():
    model, shape = reference_model("resnet18", device="meta")
    workload = trace(model, shape)
    assert workload.kind_counts()["add"] == 8  # one per basic block
    # every block input waits across the block's two convs for its add
    assert len([s for s in workload.skip_tensors() if workload.ops[s.end].kind == "add"]) == 8


@pytest.mark.slow
def test_export_and_meta_agree_on_resnet18():
    model, shape = reference_model("resnet18", device="meta")
    assert differences(trace(model, shape), trace(model, shape, method="export")) == []


@pytest.mark.parametrize("name", ["vgg16", "resnet18", "resnet50"])
def test_twin_equals_the_data_reference_op_for_op(name):
    reference = pytest.importorskip("coexplore.workload.reference")
    model, shape = reference_model(name, device="meta")
    # same ops, shapes, order and tensor graph (pools, residual adds and the classifier included)
    assert differences(reference.get_reference(name), trace(model, shape)) == []


def test_alexnet_twin_matches_the_per_group_data_reference():
    # The data version writes each of Zhang's layers as two per-group ops (conv1_g0, conv1_g1, ...);
    # the twin uses grouped convs. Per layer: same kernel, stride, output size and total MACs.
    reference = pytest.importorskip("coexplore.workload.reference")
    data = reference.get_reference("alexnet")
    layers: dict[str, list] = {}
    for op in data.ops:
        layers.setdefault(op.name.split("_g")[0], []).append(op)
    model, shape = reference_model("alexnet", device="meta")
    twin = [op for op in trace(model, shape).ops if op.kind == "conv"]
    assert len(twin) == len(layers)
    for op, group_ops in zip(twin, layers.values()):
        assert {(g.kernel, g.stride, g.out_h) for g in group_ops} == {(op.kernel, op.stride, op.out_h)}
        assert sum(g.macs for g in group_ops) == op.macs
