"""The shared crop/augmentation affine: matrices, round trips, and where pixels really land."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from coexplore.pose import affine


def _centroid(channel: np.ndarray) -> np.ndarray:
    weights = channel.astype(np.float64)
    ys, xs = np.mgrid[: channel.shape[0], : channel.shape[1]]
    return np.array([(weights * xs).sum(), (weights * ys).sum()]) / weights.sum()


def test_crop_matrix_maps_box_centre_to_input_centre_and_box_to_input():
    m = affine.crop_matrix((300.0, 200.0), 400.0, 128)
    np.testing.assert_allclose(affine.apply(m, [300.0, 200.0]), [63.5, 63.5])
    # the box edges (±200 px) land on the input's outer pixel edges (-0.5 and 127.5)
    np.testing.assert_allclose(affine.apply(m, [[100.0, 0.0], [500.0, 400.0]]), [[-0.5, -0.5], [127.5, 127.5]])
    assert affine.zoom_of(m) == pytest.approx(128 / 400)


@pytest.mark.parametrize(
    "aug", [affine.Augmentation(25.0, 0.8, False), affine.Augmentation(-30.0, 1.25, True), affine.IDENTITY]
)
def test_round_trip_through_the_inverse(aug):
    rng = np.random.default_rng(0)
    points = rng.uniform(-50, 700, (40, 2))
    m = affine.crop_matrix((320.0, 240.0), 333.0, 96, aug)
    back = affine.apply(affine.invert(m), affine.apply(m, points))
    np.testing.assert_allclose(back, points, atol=1e-9)
    np.testing.assert_allclose(
        affine.compose(affine.invert(m), m), np.hstack([np.eye(2), np.zeros((2, 1))]), atol=1e-12
    )


def test_rotation_is_counter_clockwise_on_screen_and_flip_mirrors_about_the_centre():
    res = 101  # centre pixel 50
    right_of_centre = [60.0, 50.0]
    rotated = affine.apply(
        affine.crop_matrix((50.0, 50.0), res, res, affine.Augmentation(90.0, 1.0, False)), right_of_centre
    )
    np.testing.assert_allclose(rotated, [50.0, 40.0], atol=1e-9)  # y down: "up" on screen is smaller y
    flipped = affine.apply(
        affine.crop_matrix((50.0, 50.0), res, res, affine.Augmentation(0.0, 1.0, True)), [[60.0, 30.0]]
    )
    np.testing.assert_allclose(flipped, [[40.0, 30.0]], atol=1e-9)
    zoomed_out = affine.crop_matrix((50.0, 50.0), res, res, affine.Augmentation(0.0, 1.25, False))
    assert affine.zoom_of(zoomed_out) == pytest.approx(1 / 1.25)


def test_sampled_augmentations_stay_in_the_published_ranges():
    # Stacked Hourglass recipe (REFERENCES.md): rotation ±30°, scale 0.75-1.25, flip.
    rng = np.random.default_rng(1)
    draws = [affine.sample_augmentation(rng) for _ in range(2000)]
    rotations = np.array([d.rotation_deg for d in draws])
    scales = np.array([d.scale for d in draws])
    flips = np.array([d.flip for d in draws])
    assert rotations.min() >= -30 and rotations.max() <= 30 and rotations.std() > 15
    assert scales.min() >= 0.75 and scales.max() <= 1.25
    assert 0.45 < flips.mean() < 0.55


@pytest.mark.parametrize(
    ("center", "box", "aug"),
    [
        ((40.0, 30.0), 50.0, affine.IDENTITY),
        ((40.0, 30.0), 50.0, affine.Augmentation(20.0, 1.1, True)),
        ((90.0, 70.0), 180.0, affine.Augmentation(-12.0, 0.9, False)),
    ],
)
def test_warped_pixels_land_where_the_matrix_says(center, box, aug):
    # A small bright blob: its centroid after the warp must sit on the mapped point (< 0.2 px).
    image = np.zeros((160, 200, 3), np.uint8)
    image[19:22, 29:32] = 255  # centre (30, 20)
    m = affine.crop_matrix(center, box, 100, aug)
    out = affine.warp(Image.fromarray(image), m, 100)
    assert out.shape == (100, 100, 3) and out.dtype == np.uint8
    np.testing.assert_allclose(_centroid(out[..., 0]), affine.apply(m, [30.0, 20.0]), atol=0.2)


def test_strong_downscaling_averages_blocks_and_keeps_positions():
    image = np.zeros((800, 800), np.uint8)
    image[300:316, 500:516] = 255  # centre (507.5, 307.5)
    m = affine.crop_matrix((399.5, 399.5), 800.0, 64, affine.Augmentation(10.0, 1.0, False))
    out = affine.warp(Image.fromarray(image), m, 64)
    assert out.shape == (64, 64, 1)
    np.testing.assert_allclose(_centroid(out[..., 0]), affine.apply(m, [507.5, 307.5]), atol=0.25)
    # the blob's mass is conserved up to the zoom² (it was averaged, not point-sampled)
    expected_mass = 255 * 16 * 16 * affine.zoom_of(m) ** 2
    assert out.sum() == pytest.approx(expected_mass, rel=0.1)


def test_jpeg_draft_decoding_keeps_positions(tmp_path):
    image = np.full((720, 1280, 3), 30, np.uint8)
    image[400:440, 900:940] = 250  # centre (919.5, 419.5)
    path = tmp_path / "big.jpg"
    Image.fromarray(image).save(path, quality=95)
    m = affine.crop_matrix((640.0, 360.0), 1200.0, 64)
    picture, orig_to_picture = affine.open_drafted(str(path), m)
    assert picture.size[0] < 1280  # libjpeg decoded at a reduced scale
    out = affine.warp(picture, affine.compose(m, affine.invert(orig_to_picture)), 64).astype(float) - 30
    np.testing.assert_allclose(_centroid(np.clip(out[..., 0], 0, None)), affine.apply(m, [919.5, 419.5]), atol=0.3)


def test_inside_uses_pixel_edges():
    points = np.array([[-0.5, 0.0], [-0.51, 0.0], [63.49, 63.0], [63.5, 10.0]])
    assert affine.inside(points, 64).tolist() == [True, False, True, False]
    assert math.isclose(affine.zoom_of(affine.reduction_matrix(4.0)), 0.25)
