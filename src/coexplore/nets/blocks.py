"""PyTorch blocks of the hourglass, decoded from the recipes in `recipe.py`.

Pre-activation residual blocks as in Newell et al. (ECCV 2016) and
princeton-vl/pytorch_stacked_hourglass: every conv is preceded by BN → ReLU, and a 1×1 skip conv
exists only when the channel count changes, so parameter counts are honest.
"""

from __future__ import annotations

import torch
from torch import nn

from coexplore.nets.recipe import ConvStep, block_steps, box_channels, skip_step


class PreActConv(nn.Sequential):
    """BN → ReLU → conv: one `ConvStep`."""

    def __init__(self, step: ConvStep):
        super().__init__()
        self.bn = nn.BatchNorm2d(step.in_channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(step.in_channels, step.out_channels, step.kernel, padding=step.padding,
                              groups=step.groups)


class Residual(nn.Module):
    """A residual block of any recipe (`bottleneck`, `basic`, `dsc`)."""

    def __init__(self, block: str, in_channels: int, out_channels: int, kernel: int):
        super().__init__()
        self.path = nn.Sequential(*(PreActConv(step) for step in block_steps(block, in_channels, out_channels, kernel)))
        skip = skip_step(in_channels, out_channels)
        self.skip = nn.Conv2d(skip.in_channels, skip.out_channels, skip.kernel) if skip else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.path(x)
        shortcut = self.skip(x) if self.skip is not None else x
        return out + shortcut


def residual_box(block: str, in_channels: int, out_channels: int, kernel: int, modules: int) -> nn.Sequential:
    """`modules` residual blocks in a row; the first one changes the width."""
    return nn.Sequential(*(Residual(block, n, m, kernel) for n, m in box_channels(in_channels, out_channels, modules)))


class ConvBNReLU(nn.Sequential):
    """Post-activation conv (the stem conv and the head's 1×1 `lin`, as in Newell et al.)."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, stride: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel, stride=stride, padding=kernel // 2)
        self.bn = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
