"""Gaussian heatmap targets, their decoding to joint coordinates, and flip-test helpers.

Coordinate convention: joints are (x, y) in input-image pixels, with pixel j's centre at j. A
heatmap cell i covers input pixels [i·s, (i+1)·s) with s = input_res / heatmap_res, so its centre
is at input coordinate (i + 0.5)·s − 0.5. With this centre alignment a horizontal flip of the
image (x → R − 1 − x) is exactly a flip of the heatmap (u → H − 1 − u): flip-test averaging needs
no one-cell shift.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

# The decoder moves the argmax a quarter cell toward the higher neighbour (Newell et al., ECCV 2016,
# test procedure; REFERENCES.md "Stacked Hourglass", training recipe).
QUARTER_CELL_SHIFT = 0.25
# Beyond 3 sigma a Gaussian is < 1.2 % of its peak: a joint that far outside the map leaves no
# usable target, so it gets zero weight.
GAUSSIAN_SUPPORT_SIGMAS = 3.0


def input_to_heatmap(coords: Tensor, input_res: int, heatmap_res: int) -> Tensor:
    """Input-pixel coordinates → heatmap-cell coordinates (centre-aligned)."""
    stride = input_res / heatmap_res
    return (coords + 0.5) / stride - 0.5


def heatmap_to_input(coords: Tensor, input_res: int, heatmap_res: int) -> Tensor:
    """Heatmap-cell coordinates → input-pixel coordinates (inverse of `input_to_heatmap`)."""
    stride = input_res / heatmap_res
    return (coords + 0.5) * stride - 0.5


def encode_heatmaps(
    joints: Tensor, visible: Tensor, input_res: int, heatmap_res: int, sigma: float = 2.0
) -> tuple[Tensor, Tensor]:
    """Gaussian targets for a batch: joints (B, J, 2) in input px, visible (B, J).

    Returns targets (B, J, H, W) with a unit-peak Gaussian of `sigma` heatmap cells centred on the
    sub-cell joint position, and loss weights (B, J): 1 for an annotated joint whose Gaussian
    reaches the map, else 0 (its target is all zeros). Vectorised: no Python loop over joints.
    """
    if sigma <= 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    joints = joints.float()
    centres = input_to_heatmap(joints, input_res, heatmap_res)  # (B, J, 2)
    grid = torch.arange(heatmap_res, dtype=joints.dtype, device=joints.device)
    dx2 = (grid.view(1, 1, -1) - centres[..., 0:1]) ** 2  # (B, J, W)
    dy2 = (grid.view(1, 1, -1) - centres[..., 1:2]) ** 2  # (B, J, H)
    # exp(-(dx²+dy²)/2σ²) factorises into an outer product of two 1-D Gaussians.
    gx = torch.exp(-dx2 / (2 * sigma**2))
    gy = torch.exp(-dy2 / (2 * sigma**2))
    targets = gy.unsqueeze(-1) * gx.unsqueeze(-2)  # (B, J, H, W)

    margin = GAUSSIAN_SUPPORT_SIGMAS * sigma
    reaches_map = ((centres > -margin) & (centres < heatmap_res - 1 + margin)).all(dim=-1)
    weights = (visible > 0).to(joints.dtype) * reaches_map.to(joints.dtype)
    targets = targets * weights[..., None, None]
    return targets, weights


def decode_heatmaps(heatmaps: Tensor, input_res: int) -> tuple[Tensor, Tensor]:
    """Joint coordinates from heatmaps (B, J, H, W): argmax + quarter-cell shift to the higher neighbour.

    Returns coords (B, J, 2) in input px and the peak values (B, J) (a confidence score).
    """
    batch, joints, height, width = heatmaps.shape
    flat = heatmaps.detach().float().reshape(batch, joints, -1)
    maxvals, idx = flat.max(dim=-1)
    ys = torch.div(idx, width, rounding_mode="floor")
    xs = idx - ys * width
    coords = torch.stack((xs, ys), dim=-1).float()

    maps = heatmaps.detach().float()
    b_idx = torch.arange(batch, device=maps.device).view(-1, 1).expand(batch, joints)
    j_idx = torch.arange(joints, device=maps.device).view(1, -1).expand(batch, joints)

    def at(y: Tensor, x: Tensor) -> Tensor:
        return maps[b_idx, j_idx, y.clamp(0, height - 1), x.clamp(0, width - 1)]

    # Only where both neighbours exist (as in the reference code): at the border the argmax stays.
    has_x = (xs > 0) & (xs < width - 1)
    has_y = (ys > 0) & (ys < height - 1)
    dx = torch.sign(at(ys, xs + 1) - at(ys, xs - 1)) * has_x
    dy = torch.sign(at(ys + 1, xs) - at(ys - 1, xs)) * has_y
    coords = coords + QUARTER_CELL_SHIFT * torch.stack((dx, dy), dim=-1)
    return heatmap_to_input(coords, input_res, width), maxvals


def flip_heatmaps(heatmaps: Tensor, flip_pairs: Sequence[tuple[int, int]]) -> Tensor:
    """Heatmaps of a horizontally flipped image mapped back to the original: mirror W, swap L/R joints."""
    flipped = heatmaps.flip(-1)
    order = list(range(heatmaps.shape[1]))
    for left, right in flip_pairs:
        order[left], order[right] = right, left
    return flipped[:, order]
