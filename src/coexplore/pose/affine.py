"""The one centre/scale crop and augmentation affine shared by every dataset.

Coordinate convention (all loaders, all outputs): continuous pixel coordinates with integer values
at pixel *centres*, origin at the top-left pixel, y down. An image of width W covers
x ∈ [-0.5, W - 0.5]. A crop is a square box of `box_px` original pixels around `center`, mapped
onto the `res × res` network input; augmentation rotates it, scales the box and mirrors it.

Matrices are 2×3 float64 arrays `[A | t]` acting on column vectors (x, y, 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

# Augmentation of the Stacked Hourglass recipe (REFERENCES.md, "Training recipe": rotation ±30°,
# scale 0.75-1.25, flip with the left/right joint swap).
ROTATION_MAX_DEG = 30.0
SCALE_RANGE = (0.75, 1.25)
FLIP_PROBABILITY = 0.5
# Below this zoom (output px per source px) bilinear sampling aliases; the source is first
# averaged down by an integer factor (JPEG DCT draft, then Image.reduce) so the rest stays ≥ 0.5.
MIN_BILINEAR_ZOOM = 0.5
JPEG_DRAFT_MAX_FACTOR = 8  # libjpeg can decode at 1/2, 1/4, 1/8 scale


@dataclass(frozen=True)
class Augmentation:
    """One draw of the geometric augmentation; the identity by default."""

    rotation_deg: float = 0.0
    scale: float = 1.0  # multiplies the crop box: > 1 zooms out (the person looks smaller)
    flip: bool = False


IDENTITY = Augmentation()


def sample_augmentation(rng: np.random.Generator) -> Augmentation:
    """Uniform rotation in ±30°, uniform box scale in [0.75, 1.25], horizontal flip with p = 0.5."""
    rotation = float(rng.uniform(-ROTATION_MAX_DEG, ROTATION_MAX_DEG))
    scale = float(rng.uniform(*SCALE_RANGE))
    flip = bool(rng.random() < FLIP_PROBABILITY)
    return Augmentation(rotation, scale, flip)


def crop_matrix(
    center_xy: tuple[float, float] | np.ndarray, box_px: float, res: int, aug: Augmentation = IDENTITY
) -> np.ndarray:
    """Original-image pixels → input pixels: the box centre lands on the input centre, the box
    side (times `aug.scale`) on the input side, rotated by `aug.rotation_deg` (counter-clockwise on
    screen) and mirrored about the input's vertical centre line when `aug.flip`."""
    cx, cy = float(center_xy[0]), float(center_xy[1])
    zoom = res / (box_px * aug.scale)
    theta = math.radians(aug.rotation_deg)
    cos_t, sin_t = math.cos(theta), math.sin(theta)
    # y points down, so a counter-clockwise turn on screen is [[c, s], [-s, c]].
    linear = zoom * np.array([[cos_t, sin_t], [-sin_t, cos_t]])
    if aug.flip:
        linear = np.array([[-1.0, 0.0], [0.0, 1.0]]) @ linear
    mid = (res - 1) / 2.0
    offset = np.array([mid, mid]) - linear @ np.array([cx, cy])
    return np.hstack([linear, offset[:, None]])


def invert(matrix: np.ndarray) -> np.ndarray:
    linear_inv = np.linalg.inv(matrix[:, :2])
    return np.hstack([linear_inv, (-linear_inv @ matrix[:, 2])[:, None]])


def compose(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """The affine `outer ∘ inner` (apply `inner` first)."""
    return np.hstack([outer[:, :2] @ inner[:, :2], (outer[:, :2] @ inner[:, 2] + outer[:, 2])[:, None]])


def apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map (..., 2) points through the affine."""
    points = np.asarray(points, dtype=np.float64)
    return points @ matrix[:, :2].T + matrix[:, 2]


def zoom_of(matrix: np.ndarray) -> float:
    """Output pixels per source pixel (the matrices here are similarities)."""
    return math.sqrt(abs(np.linalg.det(matrix[:, :2])))


def reduction_matrix(factor: float) -> np.ndarray:
    """Source pixels → pixels of the same image averaged down by `factor` (pixel k covers the
    source pixels [k·f, (k+1)·f), so centres map as x' = (x + 0.5) / f - 0.5)."""
    f = float(factor)
    return np.array([[1.0 / f, 0.0, 0.5 / f - 0.5], [0.0, 1.0 / f, 0.5 / f - 0.5]])


def open_drafted(path: str, orig_to_input: np.ndarray) -> tuple[Image.Image, np.ndarray]:
    """Open an image, letting libjpeg decode it at 1/2, 1/4 or 1/8 scale when the crop shrinks it
    that much anyway (the expensive step for large photos). Returns the image and the matrix from
    original pixels to the returned image's pixels."""
    image = Image.open(path)
    wanted = zoom_of(orig_to_input) / MIN_BILINEAR_ZOOM  # keep at least 2 source px per output px
    if image.format == "JPEG" and wanted < 1.0:
        width, height = image.size
        image.draft("RGB", (max(1, math.ceil(width * wanted)), max(1, math.ceil(height * wanted))))
        factor = 2 ** round(math.log2(width / image.size[0]))
        if factor > 1:
            return image, reduction_matrix(factor)
    return image, np.hstack([np.eye(2), np.zeros((2, 1))])


def warp(image: Image.Image, source_to_input: np.ndarray, res: int) -> np.ndarray:
    """Resample `image` onto the res × res input through the affine; outside is black.

    Returns uint8 (res, res, C) with C = 3 for colour and 1 for grayscale sources. Strong
    down-scaling first averages whole pixel blocks (Image.reduce), then bilinear does the rest.
    """
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    zoom = zoom_of(source_to_input)
    reduce_factor = math.floor(1.0 / zoom + 1e-9) if zoom < MIN_BILINEAR_ZOOM else 1
    if reduce_factor > 1:
        image = image.reduce(reduce_factor)
        source_to_input = compose(source_to_input, invert(reduction_matrix(reduce_factor)))
    input_to_source = invert(source_to_input)
    # Pillow samples at pixel-corner coordinates (centres at k + 0.5): shift in and out by 0.5.
    a, b, c = input_to_source[0]
    d, e, f = input_to_source[1]
    coefficients = (a, b, c + 0.5 - 0.5 * (a + b), d, e, f + 0.5 - 0.5 * (d + e))
    out = image.transform((res, res), Image.Transform.AFFINE, coefficients, resample=Image.Resampling.BILINEAR)
    array = np.asarray(out)
    return array[:, :, None] if array.ndim == 2 else array


def inside(points: np.ndarray, res: int) -> np.ndarray:
    """Which (..., 2) input-pixel points fall on the res × res input."""
    return np.all((points >= -0.5) & (points < res - 0.5), axis=-1)
