"""The architecture as data: which convolutions make up each block and the stem.

Both the PyTorch builder (`blocks.py`, `hourglass.py`) and the torch-free lowering (`lower.py`)
read these recipes, so a block is defined once; the tests still check the two independently by
tracing the real module. Adding a block type means adding one entry to `BLOCK_RECIPES`
(the timm style: a compact description decoded into layers, not a pile of `if`s).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

INPUT_CHANNELS = 3  # RGB images, for the builder and the lowering alike

# Stem of Newell et al. (ECCV 2016): 7x7 stride-2 conv, then a 2x2 max-pool after the first
# residual; together they bring the input to the heatmap resolution (input / 4).
STEM_CONV_KERNEL = 7
STEM_CONV_STRIDE = 2
POOL_KERNEL = 2  # the hourglass and the stem both halve with 2x2 max-pools (Newell et al.)
UPSAMPLE_FACTOR = 2
# Learned upsampling: 4x4 stride-2 transposed conv, padding 1 (Xiao et al., "Simple Baselines
# for Human Pose Estimation", ECCV 2018), which doubles the resolution exactly.
DECONV_KERNEL = 4
DECONV_STRIDE = 2
DECONV_PADDING = 1


@dataclass(frozen=True)
class ConvStep:
    """One pre-activation unit of a residual block: BN → ReLU → conv."""

    name: str
    in_channels: int
    out_channels: int
    kernel: int
    groups: int = 1

    @property
    def padding(self) -> int:
        return self.kernel // 2


def _bottleneck(n: int, m: int, k: int) -> tuple[ConvStep, ...]:
    # Newell et al.: 1x1 to half width, kxk, 1x1 back to full width.
    mid = m // 2
    return (ConvStep("conv1", n, mid, 1), ConvStep("conv2", mid, mid, k), ConvStep("conv3", mid, m, 1))


def _basic(n: int, m: int, k: int) -> tuple[ConvStep, ...]:
    # He et al. (ResNet) basic block, pre-activation: two kxk convs at full width.
    return (ConvStep("conv1", n, m, k), ConvStep("conv2", m, m, k))


def _depthwise_separable(n: int, m: int, k: int) -> tuple[ConvStep, ...]:
    # The bottleneck with its kxk conv made depthwise (MobileNet-style separable convolution).
    mid = m // 2
    return (ConvStep("conv1", n, mid, 1), ConvStep("conv2", mid, mid, k, groups=mid), ConvStep("conv3", mid, m, 1))


BLOCK_RECIPES: dict[str, Callable[[int, int, int], tuple[ConvStep, ...]]] = {
    "bottleneck": _bottleneck,
    "basic": _basic,
    "dsc": _depthwise_separable,
}


def block_steps(block: str, in_channels: int, out_channels: int, kernel: int) -> tuple[ConvStep, ...]:
    """The main-path convs of one residual block, in execution order."""
    return BLOCK_RECIPES[block](in_channels, out_channels, kernel)


def skip_step(in_channels: int, out_channels: int) -> ConvStep | None:
    """A 1x1 projection on the skip path, only when the channels change (no unused layers)."""
    return None if in_channels == out_channels else ConvStep("skip", in_channels, out_channels, 1)


def box_channels(in_channels: int, out_channels: int, modules: int) -> list[tuple[int, int]]:
    """A box of `modules` residual blocks: the first changes the width, the rest keep it."""
    return [(in_channels, out_channels)] + [(out_channels, out_channels)] * (modules - 1)


# Stem widths (first conv, then the residuals before the hourglass). `newell` is the paper's
# 64 → 128 → 128 → F; `scaled` shrinks it with F so small CPU networks are not stem-dominated.
STEM_WIDTHS: dict[str, Callable[[int], tuple[int, int]]] = {
    "newell": lambda features: (64, 128),
    "scaled": lambda features: (features // 2, features),
}


def stem_widths(stem: str, features: int) -> tuple[int, int]:
    return STEM_WIDTHS[stem](features)
