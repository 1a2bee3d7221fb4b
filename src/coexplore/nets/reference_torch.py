"""PyTorch twins of the reference networks (written directly: no torchvision).

The hand-written workloads in `coexplore.workload.reference` describe the same networks as data;
tracing these modules must give the same convolutions. Layer shapes follow the original papers
and torchvision's definitions, so parameter counts equal torchvision's published ones.

- `alexnet`: AlexNet as accelerated by Zhang et al. (FPGA 2015): Caffe's 227×227 input, conv2,
  conv4 and conv5 in two groups (the original two-GPU split), LRN omitted (not a MAC layer).
- `vgg16`: Simonyan & Zisserman 2015, configuration D, 224×224.
- `resnet18`, `resnet50`: He et al. 2016, torchvision layout (stride on the 3×3 conv), 224×224.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from coexplore.errors import CoexploreError

IMAGENET_CLASSES = 1000


class AlexNetZhang(nn.Module):
    def __init__(self, classes: int = IMAGENET_CLASSES):
        super().__init__()
        relu = lambda: nn.ReLU(inplace=True)  # noqa: E731
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, 11, stride=4), relu(), nn.MaxPool2d(3, 2),
            nn.Conv2d(96, 256, 5, padding=2, groups=2), relu(), nn.MaxPool2d(3, 2),
            nn.Conv2d(256, 384, 3, padding=1), relu(),
            nn.Conv2d(384, 384, 3, padding=1, groups=2), relu(),
            nn.Conv2d(384, 256, 3, padding=1, groups=2), relu(), nn.MaxPool2d(3, 2),
        )
        self.classifier = nn.Sequential(
            nn.Linear(256 * 6 * 6, 4096), relu(), nn.Linear(4096, 4096), relu(), nn.Linear(4096, classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


VGG16_CONFIG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")


class VGG16(nn.Module):
    def __init__(self, classes: int = IMAGENET_CLASSES):
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for item in VGG16_CONFIG:
            if item == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [nn.Conv2d(channels, item, 3, padding=1), nn.ReLU(inplace=True)]
                channels = item
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(inplace=True), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


def _conv_bn(n: int, m: int, k: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(n, m, k, stride=stride, padding=k // 2, bias=False), nn.BatchNorm2d(m))


class _ResidualBlock(nn.Module):
    """A main path plus the shortcut (a 1x1 projection when the shape changes), then ReLU."""

    expansion: int

    def __init__(self, body: nn.Sequential, n: int, m: int, stride: int):
        super().__init__()
        self.body = body
        self.downsample = _conv_bn(n, m, 1, stride) if (stride != 1 or n != m) else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)  # torchvision order: main path first, then the projection shortcut
        identity = self.downsample(x) if self.downsample is not None else x
        return torch.relu(out + identity)


class BasicBlock(_ResidualBlock):
    expansion = 1

    def __init__(self, n: int, width: int, stride: int = 1):
        m = width * self.expansion
        super().__init__(
            nn.Sequential(_conv_bn(n, width, 3, stride), nn.ReLU(inplace=True), _conv_bn(width, m, 3)), n, m, stride
        )


class Bottleneck(_ResidualBlock):
    expansion = 4

    def __init__(self, n: int, width: int, stride: int = 1):
        m = width * self.expansion
        body = nn.Sequential(
            _conv_bn(n, width, 1), nn.ReLU(inplace=True), _conv_bn(width, width, 3, stride), nn.ReLU(inplace=True),
            _conv_bn(width, m, 1),
        )
        super().__init__(body, n, m, stride)


class ResNet(nn.Module):
    def __init__(self, block: type[BasicBlock] | type[Bottleneck], depths: tuple[int, ...],
                 classes: int = IMAGENET_CLASSES):
        super().__init__()
        self.stem = nn.Sequential(_conv_bn(3, 64, 7, 2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, padding=1))
        stages, channels = [], 64
        for i, depth in enumerate(depths):
            width = 64 * 2**i
            blocks = []
            for j in range(depth):
                blocks.append(block(channels, width, stride=2 if (j == 0 and i > 0) else 1))
                channels = width * block.expansion
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.stages(self.stem(x))), 1))


# name → (factory, input shape at batch 1)
REFERENCE_MODELS: dict[str, tuple[Callable[[], nn.Module], tuple[int, int, int, int]]] = {
    "alexnet": (AlexNetZhang, (1, 3, 227, 227)),
    "vgg16": (VGG16, (1, 3, 224, 224)),
    "resnet18": (lambda: ResNet(BasicBlock, (2, 2, 2, 2)), (1, 3, 224, 224)),
    "resnet50": (lambda: ResNet(Bottleneck, (3, 4, 6, 3)), (1, 3, 224, 224)),
}


def reference_model(name: str, *, device: str | torch.device | None = None) -> tuple[nn.Module, tuple[int, ...]]:
    """The twin module and its input shape; `device="meta"` skips allocating weights."""
    key = name.lower().replace("-", "").replace("_", "")
    if key not in REFERENCE_MODELS:
        raise CoexploreError(f"no PyTorch twin for {name!r}", field="reference",
                             fix=f"use one of: {', '.join(REFERENCE_MODELS)}")
    factory, shape = REFERENCE_MODELS[key]
    if device is None:
        return factory(), shape
    with torch.device(device):
        return factory(), shape
