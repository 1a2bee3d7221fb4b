"""One whole synthetic sample as geometry: background, clutter, an optional distractor figure, the
annotated figure, occluders, and the blur and noise to apply.

Labels follow the MPII convention: joints hidden by an occluder (or by another limb) stay annotated
(`visible` = 1, they count in PCKh like MPII's occluded joints); only joints outside the image get
`visible` = 0. `Scene.occluded` says which joints an occluder covers. The PCKh normaliser is the
head size 0.6 × head-box diagonal (MPII, REFERENCES.md "Metrics"), the head box being the square
around the drawn head disc: 0.6 · √2 · head diameter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from coexplore.pose.joints import MPII_INDEX as J
from coexplore.pose.priors import PosePrior
from coexplore.pose.synthetic.config import SyntheticConfig
from coexplore.pose.synthetic.figure import (
    HEAD,
    SKIN_TONES_RGB,
    Primitive,
    direction,
    figure_primitives,
    jitter_colour,
    kinematic_pose,
    prior_pose,
    random_colour,
)

PCKH_HEAD_FACTOR = 0.6  # MPII: head size = 0.6 × head-box diagonal (REFERENCES.md)
# Other figures and occluders (fractions of the image side unless noted).
DISTRACTOR_SCALE = (0.7, 1.2)  # relative to the annotated figure's size range
DISTRACTOR_OFFSET_X = (0.45, 0.8)  # centre offset left or right: partly in the picture
DISTRACTOR_OFFSET_Y = 0.2
OCCLUDER_COUNT = (1, 2)
OCCLUDER_HALF_SIZE = (0.06, 0.15)
OCCLUDER_AIM_STD = 0.05  # placed over a random joint, give or take this much
OCCLUDER_TILT_DEG = 45.0


@dataclass
class Scene:
    """One synthetic image as geometry; `render` turns it into pixels under any affine."""

    res: int
    joints: np.ndarray  # (16, 2) scene px
    head_diameter_px: float
    occluded: np.ndarray  # (16,) bool: under an occluder (still annotated)
    facing_front: bool
    background: tuple[tuple[int, int, int], ...]  # gradient corner colours (4)
    primitives: list[Primitive] = field(default_factory=list)
    blur_radius_px: float = 0.0
    noise_std: float = 0.0
    noise_seed: int = 0

    @property
    def normalizer_px(self) -> float:
        return PCKH_HEAD_FACTOR * math.sqrt(2.0) * self.head_diameter_px


def _clutter(rng: np.random.Generator, res: int, cfg: SyntheticConfig) -> list[Primitive]:
    items: list[Primitive] = []
    for _ in range(int(rng.integers(cfg.clutter_count[0], cfg.clutter_count[1] + 1))):
        kind = rng.choice(("limb", "limb", "blob", "polygon", "line"))
        centre = rng.uniform(0, res, 2)
        colour = jitter_colour(
            rng,
            np.array(SKIN_TONES_RGB[rng.integers(len(SKIN_TONES_RGB))], float)
            if rng.random() < 0.25
            else random_colour(rng),
        )
        if kind == "limb":  # one or two joined capsules, as thick as a limb
            width = rng.uniform(0.03, 0.08) * res
            a = centre
            for _ in range(int(rng.integers(1, 3))):
                b = a + direction(rng.uniform(0, 360)) * rng.uniform(0.08, 0.25) * res
                items.append(("capsule", np.stack([a, b]), width, colour))
                a = b
        elif kind == "blob":
            items.append(("disc", centre[None], rng.uniform(0.05, 0.2) * res, colour))
        elif kind == "polygon":
            count = int(rng.integers(3, 6))
            angles = np.sort(rng.uniform(0, 360, count))
            radii = rng.uniform(0.04, 0.18, count)[:, None] * res
            items.append(("polygon", centre + direction(angles) * radii, 0.0, colour))
        else:
            b = centre + direction(rng.uniform(0, 360)) * rng.uniform(0.2, 0.6) * res
            items.append(("capsule", np.stack([centre, b]), rng.uniform(0.005, 0.02) * res, colour))
    return items


def _place(pose: np.ndarray, px_per_h: float, anchor: np.ndarray) -> np.ndarray:
    """Scale body units to px and put the joints' bounding-box centre on `anchor`."""
    scaled = pose * px_per_h
    bbox_centre = (scaled.min(axis=0) + scaled.max(axis=0)) / 2.0
    return scaled - bbox_centre + anchor


def _inside_polygon(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Points inside a convex polygon (either winding)."""
    edges = np.roll(polygon, -1, axis=0) - polygon
    rel = points[:, None, :] - polygon[None, :, :]
    cross = edges[None, :, 0] * rel[..., 1] - edges[None, :, 1] * rel[..., 0]
    return np.all(cross >= 0, axis=1) | np.all(cross <= 0, axis=1)


def make_scene(rng: np.random.Generator, res: int, cfg: SyntheticConfig, prior: PosePrior | None = None) -> Scene:
    """Draw every random choice of one sample (geometry in scene px, a res × res canvas)."""
    background = tuple(jitter_colour(rng, random_colour(rng)) for _ in range(4))
    primitives = _clutter(rng, res, cfg)
    middle = (res - 1) / 2.0

    def new_pose() -> tuple[np.ndarray, bool]:
        return prior_pose(rng, prior, cfg) if prior is not None else kinematic_pose(rng, cfg)

    if rng.random() < cfg.distractor_prob:
        pose, front = new_pose()
        px_per_h = rng.uniform(*cfg.figure_height) * res * rng.uniform(*DISTRACTOR_SCALE)
        side = rng.choice((-1.0, 1.0))
        offset = np.array(
            [side * rng.uniform(*DISTRACTOR_OFFSET_X), rng.uniform(-DISTRACTOR_OFFSET_Y, DISTRACTOR_OFFSET_Y)]
        )
        offset *= res
        placed = _place(pose, px_per_h, middle + offset)
        head = HEAD * px_per_h
        primitives += figure_primitives(rng, placed, front, px_per_h, head)

    pose, front = new_pose()
    px_per_h = rng.uniform(*cfg.figure_height) * res
    anchor = middle + rng.uniform(-cfg.center_jitter, cfg.center_jitter, 2) * res
    joints = _place(pose, px_per_h, anchor)
    head_diameter = float(np.hypot(*(joints[J["head_top"]] - joints[J["upper_neck"]])))
    primitives += figure_primitives(rng, joints, front, px_per_h, head_diameter)

    occluded = np.zeros(16, dtype=bool)
    if rng.random() < cfg.occluder_prob:
        for _ in range(int(rng.integers(OCCLUDER_COUNT[0], OCCLUDER_COUNT[1] + 1))):
            target = joints[rng.integers(16)] + rng.normal(0, OCCLUDER_AIM_STD * res, 2)
            half = rng.uniform(*OCCLUDER_HALF_SIZE, 2) * res
            corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * half
            a = math.radians(rng.uniform(-OCCLUDER_TILT_DEG, OCCLUDER_TILT_DEG))
            rotation = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
            rectangle = target + corners @ rotation.T
            primitives.append(("polygon", rectangle, 0.0, jitter_colour(rng, random_colour(rng))))
            occluded |= _inside_polygon(joints, rectangle)

    blur = float(rng.uniform(*cfg.blur_radius_px)) if rng.random() < cfg.blur_prob else 0.0
    return Scene(
        res=res,
        joints=joints,
        head_diameter_px=head_diameter,
        occluded=occluded,
        facing_front=front,
        background=background,
        primitives=primitives,
        blur_radius_px=blur,
        noise_std=float(rng.uniform(*cfg.noise_std)),
        noise_seed=int(rng.integers(2**31)),
    )

