"""`build(spec)`: the Stacked Hourglass as a readable PyTorch module (one screen per class).

Layout follows Newell et al. (ECCV 2016) and princeton-vl/pytorch_stacked_hourglass
(`models/posenet.py`, `models/layers.py`). The forward order is the op order of `lower(spec)`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from coexplore.nets import recipe
from coexplore.nets.blocks import ConvBNReLU, Residual, residual_box
from coexplore.nets.spec import HourglassSpec


UPSAMPLERS: dict[str, Callable[[int], nn.Module]] = {
    "nearest": lambda channels: nn.Upsample(scale_factor=recipe.UPSAMPLE_FACTOR, mode="nearest"),
    "bilinear": lambda channels: nn.Upsample(
        scale_factor=recipe.UPSAMPLE_FACTOR, mode="bilinear", align_corners=False
    ),
    "deconv": lambda channels: nn.ConvTranspose2d(
        channels, channels, recipe.DECONV_KERNEL, stride=recipe.DECONV_STRIDE, padding=recipe.DECONV_PADDING
    ),
}


class Stem(nn.Module):
    """7×7/2 conv → Residual → 2×2 max-pool → Residual → Residual to F: input / 4."""

    def __init__(self, spec: HourglassSpec):
        super().__init__()
        first, second = recipe.stem_widths(spec.stem, spec.features)
        self.conv = ConvBNReLU(recipe.INPUT_CHANNELS, first, recipe.STEM_CONV_KERNEL, stride=recipe.STEM_CONV_STRIDE)
        self.res1 = Residual(spec.block, first, second, spec.kernel)
        self.pool = nn.MaxPool2d(recipe.POOL_KERNEL)
        self.res2 = Residual(spec.block, second, second, spec.kernel)
        self.res3 = Residual(spec.block, second, spec.features, spec.kernel)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.res3(self.res2(self.pool(self.res1(self.conv(x)))))


class Hourglass(nn.Module):
    """One level: up branch at full resolution + (pool → low1 → inner level → low3 → upsample)."""

    def __init__(self, spec: HourglassSpec, level: int = 1):
        super().__init__()
        here, below = spec.level_features[level - 1], spec.level_features[level]
        box = lambda n, m: residual_box(spec.block, n, m, spec.kernel, spec.modules)  # noqa: E731
        self.up = box(here, here)
        self.pool = nn.MaxPool2d(recipe.POOL_KERNEL)
        self.low1 = box(here, below)
        self.inner = Hourglass(spec, level + 1) if level < spec.order else box(below, below)
        self.low3 = box(below, here)
        self.upsample = UPSAMPLERS[spec.upsample](here)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        up = self.up(x)
        low = self.low3(self.inner(self.low1(self.pool(x))))
        return up + self.upsample(low)


class Stack(nn.Module):
    """Hourglass → Residual → 1×1 conv-BN-ReLU → heatmaps; 1×1 remaps feed the next stack."""

    def __init__(self, spec: HourglassSpec, last: bool):
        super().__init__()
        f = spec.features
        self.hourglass = Hourglass(spec)
        self.res = residual_box(spec.block, f, f, spec.kernel, spec.modules)
        self.lin = ConvBNReLU(f, f, 1)
        predicts = last or spec.supervision
        self.pred = nn.Conv2d(f, spec.joints, 1) if predicts else None
        self.merge_feat = None if last else nn.Conv2d(f, f, 1)
        self.merge_pred = nn.Conv2d(spec.joints, f, 1) if (predicts and not last) else None

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Returns the next stack's input and this stack's heatmaps (None if it has no head)."""
        lin = self.lin(self.res(self.hourglass(x)))
        pred = self.pred(lin) if self.pred is not None else None
        if self.merge_feat is not None:
            x = x + self.merge_feat(lin)
            if self.merge_pred is not None:
                x = x + self.merge_pred(pred)
        return x, pred


class StackedHourglass(nn.Module):
    """forward(images (B, 3, R, R)) → list of heatmaps (B, joints, R/4, R/4), one per supervised stack."""

    def __init__(self, spec: HourglassSpec):
        super().__init__()
        self.spec = spec
        self.stem = Stem(spec)
        self.stacks = nn.ModuleList(Stack(spec, last=i == spec.stacks - 1) for i in range(spec.stacks))

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        x = self.stem(images)
        heatmaps = []
        for stack in self.stacks:
            x, pred = stack(x)
            if pred is not None:
                heatmaps.append(pred)
        return heatmaps


def build(spec: HourglassSpec | str, *, device: torch.device | str | None = None) -> StackedHourglass:
    """The PyTorch module for `spec` (a spec, preset name or compact string).

    `device="meta"` builds it without allocating weights (for tracing and parameter counts).
    """
    if not isinstance(spec, HourglassSpec):
        from coexplore.nets.parse import parse_spec

        spec = parse_spec(spec)
    if device is None:
        return StackedHourglass(spec)
    with torch.device(device):
        return StackedHourglass(spec)
