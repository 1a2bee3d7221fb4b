"""Reference workloads: AlexNet as Zhang FPGA'15 models it, VGG16 and ResNet-18/50 as torchvision
builds them (their published parameter counts and MACs are matched exactly)."""

import json

import pytest

from coexplore.errors import CoexploreError
from coexplore.workload import REFERENCE_WORKLOADS, Workload, get_reference, reference_names


def test_alexnet_per_group_layers_as_zhang():
    w = get_reference("alexnet")
    rows = {op.name: (op.in_channels, op.out_channels, op.out_h, op.kernel, op.stride) for op in w.ops}
    # Zhang FPGA'15: conv1 N=3 M=48 55×55 K11 S4; conv2 N=48 M=128 27×27 K5; conv3 N=256 M=192 13×13 K3;
    # conv4 N=192 M=192; conv5 N=192 M=128 (13×13 K3), two groups each
    assert rows["conv1_g0"] == (3, 48, 55, 11, 4) and rows["conv2_g1"] == (48, 128, 27, 5, 1)
    assert rows["conv3_g0"] == (256, 192, 13, 3, 1) and rows["conv4_g1"] == (192, 192, 13, 3, 1)
    assert rows["conv5_g0"] == (192, 128, 13, 3, 1)
    assert len(w) == 10 and [u.count for u in w.unique()] == [2] * 5
    assert 2 * w.macs == pytest.approx(1.33e9, rel=0.005)  # 1.33 GFLOP for the conv layers (Zhang)


# torchvision model tables: params 138,357,544 / 11,689,512 / 25,557,032 and 15.47 / 1.81 / 4.09 GMACs
# ("GFLOPS" in their table). Our IR counts conv/fc weights only, so biases (VGG) and batch-norm
# scale+shift (2 per channel, ResNet) and the fc bias are added back here from the op shapes.
@pytest.mark.parametrize("name, params, gmacs", [
    ("vgg16", 138_357_544, 15.47), ("resnet18", 11_689_512, 1.81), ("resnet50", 25_557_032, 4.09)])
def test_torchvision_param_counts_and_macs(name, params, gmacs):
    w = get_reference(name)
    convs = [op for op in w.ops if op.kind == "conv"]
    fcs = [op for op in w.ops if op.kind == "fc"]
    if name == "vgg16":
        extra = sum(op.out_channels for op in convs + fcs)  # conv and fc biases
    else:
        extra = 2 * sum(op.out_channels for op in convs) + sum(op.out_channels for op in fcs)  # BN + fc bias
    assert w.params + extra == params
    assert w.macs / 1e9 == pytest.approx(gmacs, abs=0.005)


def test_resnet_residual_adds_make_skip_tensors():
    w = get_reference("resnet50")
    kinds = w.kind_counts()
    assert (kinds["conv"], kinds["add"], kinds["pool"], kinds["fc"]) == (53, 16, 2, 1)
    skips = {lr.tensor for lr in w.skip_tensors()}
    assert "maxpool" in skips and "layer1.0.conv3" in skips  # shortcut read by conv1 and the downsample


def test_names_batch_and_errors():
    assert reference_names() == list(REFERENCE_WORKLOADS) == ["alexnet", "vgg16", "resnet18", "resnet50"]
    assert get_reference("ResNet-50").name == "resnet50"
    assert get_reference("vgg16", batch=4).macs == 4 * get_reference("vgg16").macs
    with pytest.raises(CoexploreError, match="unknown reference network 'lenet'.*alexnet"):
        get_reference("lenet")
    with pytest.raises(CoexploreError, match="batch"):
        get_reference("vgg16", batch=0)


@pytest.mark.parametrize("name", list(REFERENCE_WORKLOADS))
def test_json_round_trip(name):
    w = get_reference(name)
    assert Workload.from_dict(json.loads(w.to_json())) == w
