"""Geometry → pixels: a scene drawn under an affine (crop and augmentation), supersampled, blurred
and noised."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from coexplore.pose import affine
from coexplore.pose.synthetic.scene import Scene


_NOISE_BANKS: dict[int, np.ndarray] = {}
NOISE_BANK_SEED = 20210613  # any fixed value: the bank is part of the generator's definition


def _noise_bank(res: int) -> np.ndarray:
    """A fixed (2·res, 2·res, 3) field of N(0, 1) noise; each image takes a window at a seeded
    offset. Four times cheaper than drawing fresh Gaussian noise per image, and as deterministic."""
    bank = _NOISE_BANKS.get(res)
    if bank is None:
        bank = np.random.default_rng(NOISE_BANK_SEED).standard_normal((2 * res, 2 * res, 3), dtype=np.float32)
        _NOISE_BANKS[res] = bank
    return bank


def _canvas_geometry(scene: Scene, to_canvas: np.ndarray) -> list[tuple[str, list, tuple[int, int, int]]]:
    """Every primitive as integer draw calls on the canvas, transformed in one vectorised pass.

    ImageDraw truncates float coordinates, so everything is rounded here: shapes land within half a
    canvas pixel (1 / (2·ss) input px) of the geometry. Capsules are a rectangle (exact width, unlike
    ImageDraw's thick lines, which sit half a pixel off for even widths) plus two round caps."""
    counts = [len(points) for _, points, _, _ in scene.primitives]
    canvas_points = affine.apply(to_canvas, np.concatenate([points for _, points, _, _ in scene.primitives]))
    radii = np.maximum(np.array([width for _, _, width, _ in scene.primitives]) * affine.zoom_of(to_canvas) / 2.0, 0.5)
    calls: list[tuple[str, list, tuple[int, int, int]]] = []
    offset = 0
    for (kind, _, _, colour), count, radius in zip(scene.primitives, counts, radii):
        pts = canvas_points[offset : offset + count]
        offset += count
        if kind == "polygon":
            calls.append(("polygon", np.round(pts).ravel().tolist(), colour))
            continue
        if kind == "capsule":
            direction = pts[1] - pts[0]
            length = math.hypot(direction[0], direction[1]) or 1.0
            normal = np.array([-direction[1], direction[0]]) * (radius / length)
            body = np.round(np.stack([pts[0] + normal, pts[1] + normal, pts[1] - normal, pts[0] - normal]))
            calls.append(("polygon", body.ravel().tolist(), colour))
        boxes = np.round(np.hstack([pts - radius, pts + radius])).tolist()
        calls.extend(("ellipse", box, colour) for box in boxes)
    return calls


def render(scene: Scene, scene_to_input: np.ndarray, res: int, supersample: int = 2) -> np.ndarray:
    """Pixels of a scene under an affine (scene px → input px): uint8 (res, res, 3)."""
    ss = int(supersample)
    size = res * ss
    corners = Image.new("RGB", (2, 2))
    corners.putdata(list(scene.background))
    canvas = corners.resize((size, size), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(canvas)
    # scene px → supersampled canvas px (pixel centres at integers in both)
    to_canvas = affine.compose(np.array([[ss, 0.0, (ss - 1) / 2.0], [0.0, ss, (ss - 1) / 2.0]]), scene_to_input)
    if scene.primitives:
        for call, coordinates, colour in _canvas_geometry(scene, to_canvas):
            if call == "polygon":
                draw.polygon(coordinates, fill=colour)
            else:
                draw.ellipse(coordinates, fill=colour)
    image = canvas.reduce(ss) if ss > 1 else canvas
    if scene.blur_radius_px > 0:  # a box blur: a blur nuisance, 3× cheaper than Pillow's Gaussian
        image = image.filter(ImageFilter.BoxBlur(scene.blur_radius_px * affine.zoom_of(scene_to_input)))
    pixels = np.asarray(image)
    if scene.noise_std > 0:
        bank = _noise_bank(res)
        y, x = divmod(scene.noise_seed % (res * res), res)
        noise = bank[y : y + res, x : x + res]
        pixels = np.clip(pixels + noise * np.float32(scene.noise_std * 255.0), 0, 255).astype(np.uint8)
    return pixels

