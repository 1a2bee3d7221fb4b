"""Heatmap targets and decoding: encode → decode round trip, quarter-cell shift, flip consistency."""

import pytest
import torch

from coexplore.pose.heatmaps import (
    decode_heatmaps,
    encode_heatmaps,
    flip_heatmaps,
    heatmap_to_input,
    input_to_heatmap,
)

RES, HM = 128, 32
STRIDE = RES // HM


def test_targets_peak_at_the_joint_with_the_requested_sigma():
    joints = torch.tensor([[[4 * 10 + 1.5, 4 * 20 + 1.5]]])  # centre of heatmap cell (10, 20)
    targets, weights = encode_heatmaps(joints, torch.ones(1, 1), RES, HM, sigma=2.0)
    assert targets.shape == (1, 1, HM, HM) and weights.tolist() == [[1.0]]
    assert targets[0, 0, 20, 10] == pytest.approx(1.0)
    # One cell away: exp(-1 / (2 σ²)) with σ = 2.
    assert targets[0, 0, 20, 11] == pytest.approx(torch.exp(torch.tensor(-1 / 8)).item())
    assert targets[0, 0, 22, 10] == pytest.approx(torch.exp(torch.tensor(-4 / 8)).item())


def test_invisible_and_far_outside_joints_get_zero_weight_and_empty_maps():
    joints = torch.tensor([[[64.0, 64.0], [64.0, 64.0], [-100.0, 64.0], [130.0, 64.0]]])
    visible = torch.tensor([[1.0, 0.0, 1.0, 1.0]])
    targets, weights = encode_heatmaps(joints, visible, RES, HM, sigma=2.0)
    assert weights.tolist() == [[1.0, 0.0, 0.0, 1.0]]  # just outside (130 px) still reaches the map
    assert targets[0, 1].abs().sum() == 0 and targets[0, 2].abs().sum() == 0


def test_round_trip_error_is_at_most_a_quarter_cell_inside_the_map():
    torch.manual_seed(0)
    joints = 8 + torch.rand(64, 16, 2) * (RES - 16)  # away from the border cells
    targets, _ = encode_heatmaps(joints, torch.ones(64, 16), RES, HM, sigma=2.0)
    coords, maxvals = decode_heatmaps(targets, RES)
    assert (coords - joints).abs().max() <= 0.25 * STRIDE + 1e-4
    assert maxvals.min() > 0.8  # a sub-cell offset lowers the sampled peak a little


def test_quarter_shift_moves_toward_the_higher_neighbour():
    maps = torch.zeros(1, 2, HM, HM)
    maps[0, 0, 10, 10], maps[0, 0, 10, 11] = 1.0, 0.5  # right neighbour higher → +0.25 in x
    maps[0, 1, 10, 10], maps[0, 1, 9, 10] = 1.0, 0.5  # upper neighbour higher → -0.25 in y
    coords, maxvals = decode_heatmaps(maps, RES)
    assert input_to_heatmap(coords, RES, HM)[0].flatten().tolist() == pytest.approx([10.25, 10.0, 10.0, 9.75])
    assert maxvals.tolist() == [[1.0, 1.0]]


def test_coordinate_maps_are_inverse():
    x = torch.linspace(-3, 130, 50)
    assert heatmap_to_input(input_to_heatmap(x, RES, HM), RES, HM) == pytest.approx(x)


def test_flip_of_mirrored_targets_restores_the_original():
    # Mirroring the image (x → R − 1 − x, the crop convention) and swapping L/R joints must give the
    # original targets back through flip_heatmaps: that is what the flip test averages.
    torch.manual_seed(1)
    joints = torch.rand(2, 4, 2) * (RES - 1)
    pairs = [(0, 1), (2, 3)]
    mirrored = joints.clone()
    mirrored[..., 0] = RES - 1 - mirrored[..., 0]
    mirrored = mirrored[:, [1, 0, 3, 2]]
    original, _ = encode_heatmaps(joints, torch.ones(2, 4), RES, HM)
    flipped, _ = encode_heatmaps(mirrored, torch.ones(2, 4), RES, HM)
    assert torch.allclose(flip_heatmaps(flipped, pairs), original, atol=1e-6)
