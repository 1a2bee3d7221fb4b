"""Reference workloads written as plain data (no torch, no torchvision): AlexNet as in Zhang et al.
FPGA'15, VGG16, ResNet-18 and ResNet-50 (torchvision layouts, 224×224 input).

AlexNet follows Zhang FPGA'15 (REFERENCES.md): only the 5 conv layers their accelerator runs, each
as 2 groups (one op per group, so every per-group figure of the paper is one row):
conv1 N=3 M=48 55×55 K=11 S=4; conv2 N=48 M=128 27×27 K=5; conv3 N=256 M=192 13×13 K=3;
conv4 N=192 M=192 13×13 K=3; conv5 N=192 M=128 13×13 K=3. Input 227×227 (Caffe). Pooling and LRN
between the layers are outside that accelerator and left out.

VGG16 (Simonyan & Zisserman, configuration D) and ResNet-18/50 (He et al. 2016, stride on the 3×3
conv of a bottleneck as in torchvision) include pools, the residual adds and the classifier.
"""

from __future__ import annotations

from typing import Callable

from coexplore.errors import CoexploreError
from coexplore.workload.ir import Op, Workload


def _out(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


class _Builder:
    """Appends ops in execution order; tracks the current tensor and its shape."""

    def __init__(self, name: str, channels: int, size: int, batch: int):
        self.name, self.batch = name, batch
        self.ops: list[Op] = []
        self.tensor, self.channels, self.size = "input", channels, size

    def conv(self, name: str, out_channels: int, kernel: int, stride: int = 1, padding: int | None = None,
             source: tuple[str, int, int] | None = None, groups: int = 1) -> str:
        padding = kernel // 2 if padding is None else padding
        tensor, channels, size = source or (self.tensor, self.channels, self.size)
        out = _out(size, kernel, stride, padding)
        self.ops.append(Op(name, "conv", channels, out_channels, size, size, out, out, kernel=kernel, stride=stride,
                           padding=padding, groups=groups, batch=self.batch, inputs=(tensor,), output=name))
        self.tensor, self.channels, self.size = name, out_channels, out
        return name

    def pool(self, name: str, kernel: int, stride: int, padding: int = 0, mode: str = "max") -> str:
        out = _out(self.size, kernel, stride, padding)
        self.ops.append(Op(name, "pool", self.channels, self.channels, self.size, self.size, out, out, kernel=kernel,
                           stride=stride, padding=padding, mode=mode, batch=self.batch, inputs=(self.tensor,),
                           output=name))
        self.tensor, self.size = name, out
        return name

    def add(self, name: str, a: str, b: str) -> str:
        s = self.size
        self.ops.append(Op(name, "add", self.channels, self.channels, s, s, s, s, batch=self.batch,
                           inputs=(a, b), output=name))
        self.tensor = name
        return name

    def fc(self, name: str, out_features: int) -> str:
        in_features = self.channels * self.size * self.size
        self.ops.append(Op(name, "fc", in_features, out_features, 1, 1, 1, 1, batch=self.batch,
                           inputs=(self.tensor,), output=name))
        self.tensor, self.channels, self.size = name, out_features, 1
        return name

    def build(self) -> Workload:
        return Workload(self.name, self.ops)


# --- AlexNet (Zhang FPGA'15) -------------------------------------------------------------------------
# (layer, N per group, M per group, input size, kernel, stride, padding) — output sizes 55/27/13/13/13
ALEXNET_LAYERS = (
    ("conv1", 3, 48, 227, 11, 4, 0),
    ("conv2", 48, 128, 27, 5, 1, 2),
    ("conv3", 256, 192, 13, 3, 1, 1),
    ("conv4", 192, 192, 13, 3, 1, 1),
    ("conv5", 192, 128, 13, 3, 1, 1),
)
ALEXNET_GROUPS = 2
ALEXNET_FULL_INPUT_LAYER = "conv3"


def alexnet(batch: int = 1) -> Workload:
    """The 5 conv layers of AlexNet, 2 groups each (`conv1_g0`, `conv1_g1`, ...), as Zhang FPGA'15."""
    ops: list[Op] = []
    previous: list[str] = ["input"] * ALEXNET_GROUPS
    for layer, n, m, size, k, s, p in ALEXNET_LAYERS:
        out = _out(size, k, s, p)
        outputs = [f"{layer}_g{g}" for g in range(ALEXNET_GROUPS)]
        for g, name in enumerate(outputs):
            # conv3 is not split in the original net: each group sees both halves of conv2 (N = 2 × 128)
            inputs = tuple(previous) if layer == ALEXNET_FULL_INPUT_LAYER else (previous[g],)
            ops.append(Op(name, "conv", n, m, size, size, out, out, kernel=k, stride=s, padding=p, batch=batch,
                          inputs=inputs, output=name))
        previous = outputs
    return Workload("alexnet", ops)


# --- VGG16 ------------------------------------------------------------------------------------------
VGG16_STAGES = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))  # (channels, convs) per stage


def vgg16(batch: int = 1) -> Workload:
    b = _Builder("vgg16", 3, 224, batch)
    for stage, (channels, convs) in enumerate(VGG16_STAGES, start=1):
        for i in range(1, convs + 1):
            b.conv(f"conv{stage}_{i}", channels, 3)
        b.pool(f"pool{stage}", 2, 2)
    b.fc("fc6", 4096)
    b.fc("fc7", 4096)
    b.fc("fc8", 1000)
    return b.build()


# --- ResNet -----------------------------------------------------------------------------------------
RESNET_WIDTHS = (64, 128, 256, 512)
BOTTLENECK_EXPANSION = 4


def _resnet_stem(b: _Builder) -> None:
    b.conv("conv1", 64, 7, stride=2, padding=3)
    b.pool("maxpool", 3, 2, padding=1)


def _resnet_head(b: _Builder) -> None:
    b.pool("avgpool", b.size, b.size, mode="avg")
    b.fc("fc", 1000)


def _basic_main_path(b: _Builder, prefix: str, width: int, stride: int) -> tuple[str, int]:
    """ResNet-18/34 block: two 3x3 convs (the first strides). Returns (output tensor, channels)."""
    b.conv(f"{prefix}.conv1", width, 3, stride=stride)
    return b.conv(f"{prefix}.conv2", width, 3), width


def _bottleneck_main_path(b: _Builder, prefix: str, width: int, stride: int) -> tuple[str, int]:
    """ResNet-50 block (torchvision v1.5: the 3x3 strides): 1x1 → 3x3 → 1x1 to 4 × width."""
    out_channels = width * BOTTLENECK_EXPANSION
    b.conv(f"{prefix}.conv1", width, 1)
    b.conv(f"{prefix}.conv2", width, 3, stride=stride)
    return b.conv(f"{prefix}.conv3", out_channels, 1), out_channels


# (builder, name prefix, width, stride) -> (output tensor, output channels) of a block's main path
_MainPath = Callable[[_Builder, str, int, int], tuple[str, int]]


def _resnet(name: str, depths: tuple[int, ...], main_path: _MainPath, batch: int) -> Workload:
    """Stem, four stages of residual blocks (the first block of stages 2-4 halves the size), head."""
    b = _Builder(name, 3, 224, batch)
    _resnet_stem(b)
    for layer, (width, blocks) in enumerate(zip(RESNET_WIDTHS, depths), start=1):
        for i in range(blocks):
            stride = 2 if layer > 1 and i == 0 else 1
            prefix, x = f"layer{layer}.{i}", (b.tensor, b.channels, b.size)
            main, out_channels = main_path(b, prefix, width, stride)
            shortcut = x[0]
            if stride != 1 or x[1] != out_channels:  # projection shortcut when the shape changes
                shortcut = b.conv(f"{prefix}.downsample", out_channels, 1, stride=stride, source=x)
            b.add(f"{prefix}.add", main, shortcut)
    _resnet_head(b)
    return b.build()


def resnet18(batch: int = 1) -> Workload:
    return _resnet("resnet18", (2, 2, 2, 2), _basic_main_path, batch)


def resnet50(batch: int = 1) -> Workload:
    return _resnet("resnet50", (3, 4, 6, 3), _bottleneck_main_path, batch)


REFERENCE_WORKLOADS: dict[str, Callable[..., Workload]] = {
    "alexnet": alexnet,
    "vgg16": vgg16,
    "resnet18": resnet18,
    "resnet50": resnet50,
}


def reference_names() -> list[str]:
    return list(REFERENCE_WORKLOADS)


def is_reference(name: str) -> bool:
    """Whether `name` spells a reference network ("ResNet-50", "resnet_50" and "resnet50" do)."""
    return _key(name) in REFERENCE_WORKLOADS


def get_reference(name: str, batch: int = 1) -> Workload:
    """The reference workload `name` at `batch`; a CoexploreError listing the names otherwise."""
    key = _key(name)
    if key not in REFERENCE_WORKLOADS:
        raise CoexploreError(f"unknown reference network {name!r}", field="net",
                             fix=f"use one of: {', '.join(REFERENCE_WORKLOADS)}")
    if batch < 1:
        raise CoexploreError(f"must be ≥ 1, got {batch}", field="batch")
    return REFERENCE_WORKLOADS[key](batch=batch)


def _key(name: str) -> str:
    return str(name).strip().lower().replace("-", "").replace("_", "")
