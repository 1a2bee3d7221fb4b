"""Procedural articulated figures in the MPII 16-joint layout: the built-in, download-free pose task.

A sample is a *scene* (pure geometry and colours, drawn from an RNG seeded by (seed, split, index))
rendered through an affine: the crop/augmentation matrix of `coexplore.pose.affine`, applied to the
geometry itself, so augmented samples are as sharp as plain ones and never show black corners.

Scene, back to front: a two-colour gradient; clutter (limb-like capsules, blobs, polygons, lines in
figure-like colours); an optional distractor figure; the annotated figure (torso polygon, limbs as
thick capsules in random draw order so limbs occlude each other and the torso, head disc with a face
when seen from the front or hair from the back, hands and shoes); occluder rectangles; then blur and
pixel noise. Colours are jittered per limb, so left and right are never colour-coded: the only
left/right cue is the body layout together with the face/back-of-head cue, as in real images.

Labels follow the MPII convention: joints hidden by an occluder (or by another limb) stay annotated
(`visible` = 1, they count in PCKh like MPII's occluded joints); only joints outside the image get
`visible` = 0. `scene(i).occluded` says which joints an occluder covers. The PCKh normaliser is the
head size 0.6 × head-box diagonal (MPII, REFERENCES.md "Metrics"), the head box being the square
around the drawn head disc: 0.6 · √2 · head diameter.

Body proportions (fractions of standing height H) follow the Drillis & Contini (1966) segment
lengths as tabulated in Winter, "Biomechanics and Motor Control of Human Movement": upper arm
0.186, forearm 0.146, thigh 0.245, shank 0.246, shoulder-to-hip 0.288, chin-to-shoulder 0.052,
head 0.130; joint-centre half-widths (shoulders 0.11, hips 0.055) are narrower than the outer
body widths of that table (0.259 / 0.191).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from coexplore.errors import CoexploreError
from coexplore.pose import affine
from coexplore.pose.dataset import SPLITS, PoseDataset
from coexplore.pose.joints import MPII_INDEX as J
from coexplore.pose.joints import MPII_LAYOUT, MPII_SKELETON
from coexplore.pose.priors import PosePrior, load_pose_prior

# --- body model (fractions of standing height; see the module docstring for the source) ---------
UPPER_ARM = 0.186
FOREARM = 0.146
THIGH = 0.245
SHANK = 0.246
TORSO = 0.288  # pelvis (hip-joint level) to thorax (shoulder level)
NECK = 0.052  # thorax to upper neck (chin level)
HEAD = 0.130  # upper neck to head top = head-disc diameter
SHOULDER_HALF = 0.11
HIP_HALF = 0.055
# Drawn thicknesses (diameters, fractions of H): design choices, about the look of a clothed adult.
LIMB_WIDTH = {"upper_arm": 0.055, "forearm": 0.045, "thigh": 0.08, "shank": 0.06, "neck": 0.05}
TORSO_MARGIN = 0.03  # the torso polygon extends this far past the shoulder/hip joint centres
MIN_TORSO_HALF = 0.05  # seen from the side, the torso still has this half-width
HAND_DIAMETER = 0.05
FOOT_LENGTH = 0.09
FOOT_WIDTH = 0.04
PCKH_HEAD_FACTOR = 0.6  # MPII: head size = 0.6 × head-box diagonal (REFERENCES.md)

# Joint-angle limits of the random kinematic tree, degrees. Design choices inside the usual ranges
# of motion (shoulder elevation up to ~180°, elbow flexion ~150°, hip flexion ~120°, knee ~140°);
# angles are 2-D projections, so elbows and knees may bend either way on screen.
JOINT_LIMITS_DEG: dict[str, tuple[float, float] | float] = {
    "tilt_std": 12.0,  # torso lean from vertical, N(0, σ)
    "unusual_tilt": (-100.0, 100.0),  # bent over / lying (cfg.unusual_pose_prob)
    "neck_std": 10.0,
    "head_std": 15.0,
    "shoulder": (-40.0, 175.0),  # from hanging down (0) through sideways (90) to overhead
    "elbow": (0.0, 150.0),
    "hip": (-20.0, 50.0),  # standing / walking
    "hip_wide": (-60.0, 120.0),  # kicks, sitting, splits (WIDE_STANCE_PROB)
    "knee": (0.0, 25.0),
    "knee_deep": (0.0, 140.0),  # crouching, sitting (DEEP_KNEE_PROB)
}
WIDE_STANCE_PROB = 0.25
DEEP_KNEE_PROB = 0.4
YAW_WIDTH = (0.35, 1.0)  # shoulder/hip width seen under a body turn, times the frontal width
FORESHORTENING = {"torso": (0.8, 1.05), "limb": (0.6, 1.0), "leg": (0.65, 1.0)}  # segment length factors
# Other figures and occluders (fractions of the image side unless noted).
DISTRACTOR_SCALE = (0.7, 1.2)  # relative to the annotated figure's size range
DISTRACTOR_OFFSET_X = (0.45, 0.8)  # centre offset left or right: partly in the picture
DISTRACTOR_OFFSET_Y = 0.2
OCCLUDER_COUNT = (1, 2)
OCCLUDER_HALF_SIZE = (0.06, 0.15)
OCCLUDER_AIM_STD = 0.05  # placed over a random joint, give or take this much
OCCLUDER_TILT_DEG = 45.0

CLOTHING_RGB = (25, 235)  # uniform range per channel
SKIN_TONES_RGB = ((241, 194, 125), (224, 172, 105), (198, 134, 66), (141, 85, 36), (255, 219, 172), (92, 58, 32))
HAIR_RGB = ((20, 15, 10), (60, 40, 20), (110, 75, 40), (190, 160, 100), (120, 120, 120), (30, 30, 35))
COLOUR_JITTER = 18.0  # per-limb, per-channel std: left/right never colour-coded


@dataclass(frozen=True)
class SyntheticConfig:
    """Knobs of the synthetic task. Defaults were tuned so the mean pose scores < 10 % PCKh@0.5 on
    the val split (tests/test_pose_data_synthetic.py) while a small hourglass still learns in
    minutes (bench/train_synthetic.py of the trainer)."""

    figure_height: tuple[float, float] = (0.55, 0.85)  # standing height H as a fraction of the image
    center_jitter: float = 0.08  # figure centre offset, ± fraction of the image (uniform)
    unusual_pose_prob: float = 0.15  # bent over / lying: torso tilt uniform in ±100° instead of N(0, 12°)
    back_view_prob: float = 0.2  # seen from behind: hair instead of a face, left/right swap on screen
    distractor_prob: float = 0.4
    occluder_prob: float = 0.35
    clutter_count: tuple[int, int] = (4, 10)
    blur_prob: float = 0.5
    blur_radius_px: tuple[float, float] = (0.3, 1.0)
    noise_std: tuple[float, float] = (0.0, 0.05)  # additive Gaussian noise, intensity units [0, 1]
    prior_rotation_deg: float = 15.0  # prior poses: uniform tilt jitter
    prior_joint_jitter: float = 0.008  # prior poses: per-joint N(0, σ) in units of H
    supersample: int = 2  # drawn at 2× and box-averaged down: anti-aliased edges
    size_train: int = 4000
    size_val: int = 500

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> SyntheticConfig:
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise CoexploreError(
                f"unknown synthetic option(s) {', '.join(unknown)}",
                field="synthetic config",
                fix=f"use: {', '.join(sorted(names))}",
            )
        return replace(cls(), **{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


# A primitive: (kind, points in scene px, width in scene px (capsule/disc diameter), RGB).
Primitive = tuple[str, np.ndarray, float, tuple[int, int, int]]


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


def _direction(angle_deg: float | np.ndarray) -> np.ndarray:
    """Unit vector at `angle` from screen-up, clockwise (y down): 0 → (0, -1), 90 → (1, 0)."""
    a = np.radians(angle_deg)
    return np.stack([np.sin(a), -np.cos(a)], axis=-1)


def _rotate(v: np.ndarray, angle_deg: float) -> np.ndarray:
    a = math.radians(angle_deg)
    c, s = math.cos(a), math.sin(a)
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]])


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.hypot(v[0], v[1]))
    return v / n if n > 1e-9 else np.array([0.0, 1.0])


def kinematic_pose(rng: np.random.Generator, cfg: SyntheticConfig) -> tuple[np.ndarray, bool]:
    """A random pose in body units (pelvis at 0, y down) from a kinematic tree with joint limits."""
    lim = JOINT_LIMITS_DEG
    pose = np.zeros((16, 2))
    unusual = rng.random() < cfg.unusual_pose_prob
    tilt = rng.uniform(*lim["unusual_tilt"]) if unusual else rng.normal(0, lim["tilt_std"])
    up = _direction(tilt)
    down = -up
    front = bool(rng.random() >= cfg.back_view_prob)
    width = rng.uniform(*YAW_WIDTH) * (1.0 if front else -1.0)  # yaw foreshortening; sign = facing
    right_on_screen = _direction(tilt - 90.0) * width  # the person's right side, scaled by yaw
    pose[J["thorax"]] = up * TORSO * rng.uniform(*FORESHORTENING["torso"])
    pose[J["r_hip"]] = right_on_screen * HIP_HALF
    pose[J["l_hip"]] = -right_on_screen * HIP_HALF
    pose[J["r_shoulder"]] = pose[J["thorax"]] + right_on_screen * SHOULDER_HALF
    pose[J["l_shoulder"]] = pose[J["thorax"]] - right_on_screen * SHOULDER_HALF
    neck_angle = tilt + rng.normal(0, lim["neck_std"])
    pose[J["upper_neck"]] = pose[J["thorax"]] + _direction(neck_angle) * NECK
    pose[J["head_top"]] = pose[J["upper_neck"]] + _direction(neck_angle + rng.normal(0, lim["head_std"])) * HEAD
    for side in ("r", "l"):
        shoulder, elbow, wrist = f"{side}_shoulder", f"{side}_elbow", f"{side}_wrist"
        outward = _unit(pose[J[shoulder]] - pose[J["thorax"]])
        abduction = math.radians(rng.uniform(*lim["shoulder"]))  # 0 = hanging, 180 = straight up
        upper = math.cos(abduction) * down + math.sin(abduction) * outward
        pose[J[elbow]] = pose[J[shoulder]] + upper * UPPER_ARM * rng.uniform(*FORESHORTENING["limb"])
        bend = rng.uniform(*lim["elbow"]) * rng.choice((-1.0, 1.0))  # the 2-D projection bends either way
        pose[J[wrist]] = pose[J[elbow]] + _rotate(upper, bend) * FOREARM * rng.uniform(*FORESHORTENING["limb"])
    for side in ("r", "l"):
        hip, knee, ankle = f"{side}_hip", f"{side}_knee", f"{side}_ankle"
        outward = _unit(pose[J[hip]] - pose[J["pelvis"]])
        wide = rng.random() < WIDE_STANCE_PROB
        abduction = math.radians(rng.uniform(*lim["hip_wide" if wide else "hip"]))
        thigh = math.cos(abduction) * down + math.sin(abduction) * outward
        pose[J[knee]] = pose[J[hip]] + thigh * THIGH * rng.uniform(*FORESHORTENING["leg"])
        deep = rng.random() < DEEP_KNEE_PROB
        bend = rng.uniform(*lim["knee_deep" if deep else "knee"]) * rng.choice((-1.0, 1.0))
        pose[J[ankle]] = pose[J[knee]] + _rotate(thigh, bend) * SHANK * rng.uniform(*FORESHORTENING["leg"])
    return pose, front


def prior_pose(rng: np.random.Generator, prior: PosePrior, cfg: SyntheticConfig) -> tuple[np.ndarray, bool]:
    """A real MPII pose with jitter: random tilt, per-joint noise, a random mirror (with the joint
    swap), and the head segment set to the drawn head size."""
    pose = prior.sample(rng)
    if rng.random() < 0.5:
        pose = pose[MPII_LAYOUT.flip_permutation()] * np.array([-1.0, 1.0])
    a = math.radians(rng.uniform(-cfg.prior_rotation_deg, cfg.prior_rotation_deg))
    rotation = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    pose = pose @ rotation.T + rng.normal(0, cfg.prior_joint_jitter, pose.shape)
    head_dir = _unit(pose[J["head_top"]] - pose[J["upper_neck"]])
    pose[J["head_top"]] = pose[J["upper_neck"]] + head_dir * HEAD
    up = pose[J["thorax"]] - pose[J["pelvis"]]
    across = pose[J["l_shoulder"]] - pose[J["r_shoulder"]]
    front = bool(up[0] * across[1] - up[1] * across[0] > 0)  # right shoulder on the screen-left when upright
    return pose, front


def _jitter(rng: np.random.Generator, colour: np.ndarray) -> tuple[int, int, int]:
    r, g, b = (colour + rng.normal(0, COLOUR_JITTER, 3)).tolist()
    return (min(255, max(0, int(r))), min(255, max(0, int(g))), min(255, max(0, int(b))))


def _random_colour(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(*CLOTHING_RGB, 3)


def _torso_polygon(pose: np.ndarray, px_per_h: float) -> np.ndarray:
    """Shoulders and hips pushed out past the joint centres, never thinner than MIN_TORSO_HALF."""
    corners = []
    for joint, centre in (("r_shoulder", "thorax"), ("l_shoulder", "thorax"), ("l_hip", "pelvis"), ("r_hip", "pelvis")):
        offset = pose[J[joint]] - pose[J[centre]]
        half = float(np.hypot(*offset))
        out = _unit(offset) * max(half + TORSO_MARGIN * px_per_h, MIN_TORSO_HALF * px_per_h)
        corners.append(pose[J[centre]] + out)
    return np.array(corners)


def figure_primitives(
    rng: np.random.Generator, pose: np.ndarray, front: bool, px_per_h: float, head_diameter: float
) -> list[Primitive]:
    """The drawing of one figure whose joints are `pose` (scene px)."""
    top, bottom = _random_colour(rng), _random_colour(rng)
    skin = np.array(SKIN_TONES_RGB[rng.integers(len(SKIN_TONES_RGB))], dtype=float)
    hair = np.array(HAIR_RGB[rng.integers(len(HAIR_RGB))], dtype=float)
    shoes = rng.uniform(10, 90, 3)
    bare_arms = rng.random() < 0.3

    def capsule(a: str, b: str, width_key: str, colour: np.ndarray) -> Primitive:
        return ("capsule", pose[[J[a], J[b]]], LIMB_WIDTH[width_key] * px_per_h, _jitter(rng, colour))

    parts: list[list[Primitive]] = [[("polygon", _torso_polygon(pose, px_per_h), 0.0, _jitter(rng, top))]]
    for side in ("r", "l"):
        parts.append([capsule(f"{side}_shoulder", f"{side}_elbow", "upper_arm", skin if bare_arms else top)])
        parts.append(
            [
                capsule(f"{side}_elbow", f"{side}_wrist", "forearm", skin if bare_arms else top),
                ("disc", pose[[J[f"{side}_wrist"]]], HAND_DIAMETER * px_per_h, _jitter(rng, skin)),
            ]
        )
        parts.append([capsule(f"{side}_hip", f"{side}_knee", "thigh", bottom)])
        shank_dir = _unit(pose[J[f"{side}_ankle"]] - pose[J[f"{side}_knee"]])
        toe = pose[J[f"{side}_ankle"]] + _rotate(shank_dir, rng.choice((-80.0, 80.0))) * FOOT_LENGTH * px_per_h
        parts.append(
            [
                capsule(f"{side}_knee", f"{side}_ankle", "shank", bottom),
                ("capsule", np.stack([pose[J[f"{side}_ankle"]], toe]), FOOT_WIDTH * px_per_h, _jitter(rng, shoes)),
            ]
        )
    order = rng.permutation(len(parts))
    primitives = [p for k in order for p in parts[k]]
    primitives.append(capsule("thorax", "upper_neck", "neck", skin))
    primitives += _head(rng, pose, front, head_diameter, skin, hair)
    return primitives


def _head(
    rng: np.random.Generator, pose: np.ndarray, front: bool, diameter: float, skin: np.ndarray, hair: np.ndarray
) -> list[Primitive]:
    neck, top = pose[J["upper_neck"]], pose[J["head_top"]]
    axis = _unit(top - neck)
    centre = (neck + top) / 2.0
    if not front:
        return [("disc", centre[None], diameter, _jitter(rng, hair))]
    across = np.array([-axis[1], axis[0]])
    cap = centre + axis * 0.22 * diameter
    eyes = [centre + axis * 0.05 * diameter + s * across * 0.2 * diameter for s in (-1.0, 1.0)]
    return [
        ("disc", cap[None], diameter * 0.95, _jitter(rng, hair)),
        ("disc", (centre - axis * 0.06 * diameter)[None], diameter * 0.8, _jitter(rng, skin)),
        *[("disc", e[None], diameter * 0.12, (25, 20, 20)) for e in eyes],
    ]


def _clutter(rng: np.random.Generator, res: int, cfg: SyntheticConfig) -> list[Primitive]:
    items: list[Primitive] = []
    for _ in range(int(rng.integers(cfg.clutter_count[0], cfg.clutter_count[1] + 1))):
        kind = rng.choice(("limb", "limb", "blob", "polygon", "line"))
        centre = rng.uniform(0, res, 2)
        colour = _jitter(
            rng,
            np.array(SKIN_TONES_RGB[rng.integers(len(SKIN_TONES_RGB))], float)
            if rng.random() < 0.25
            else _random_colour(rng),
        )
        if kind == "limb":  # one or two joined capsules, as thick as a limb
            width = rng.uniform(0.03, 0.08) * res
            a = centre
            for _ in range(int(rng.integers(1, 3))):
                b = a + _direction(rng.uniform(0, 360)) * rng.uniform(0.08, 0.25) * res
                items.append(("capsule", np.stack([a, b]), width, colour))
                a = b
        elif kind == "blob":
            items.append(("disc", centre[None], rng.uniform(0.05, 0.2) * res, colour))
        elif kind == "polygon":
            count = int(rng.integers(3, 6))
            angles = np.sort(rng.uniform(0, 360, count))
            radii = rng.uniform(0.04, 0.18, count)[:, None] * res
            items.append(("polygon", centre + _direction(angles) * radii, 0.0, colour))
        else:
            b = centre + _direction(rng.uniform(0, 360)) * rng.uniform(0.2, 0.6) * res
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
    background = tuple(_jitter(rng, _random_colour(rng)) for _ in range(4))
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
            primitives.append(("polygon", rectangle, 0.0, _jitter(rng, _random_colour(rng))))
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


class SyntheticPoses(PoseDataset):
    """Deterministic procedural figures: sample i of (seed, split) is always the same scene."""

    def __init__(
        self,
        split: str,
        input_res: int,
        *,
        augment: bool = False,
        seed: int = 0,
        size: int | None = None,
        config: SyntheticConfig | None = None,
        pose_prior: PosePrior | None = None,
        cache: bool = False,
    ):
        self._init_common(
            MPII_LAYOUT, name="synthetic", split=split, input_res=input_res, augment=augment, seed=seed, pck_kind="pckh"
        )
        self.config = config or SyntheticConfig()
        default_size = self.config.size_train if split == "train" else self.config.size_val
        self.size = int(size) if size is not None else default_size
        self.prior = pose_prior
        self.cache = cache
        self._scenes: dict[int, Scene] = {}
        self._images: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return self.size

    def scene(self, i: int) -> Scene:
        i = self._check_index(i)
        if i in self._scenes:
            return self._scenes[i]
        rng = np.random.default_rng([self.seed, SPLITS.index(self.split), i])
        scene = make_scene(rng, self.input_res, self.config, self.prior)
        if self.cache:
            self._scenes[i] = scene
        return scene

    def _sample(self, i: int, aug: affine.Augmentation, with_image: bool) -> dict[str, Any]:
        scene = self.scene(i)
        res = self.input_res
        scene_to_input = affine.crop_matrix(((res - 1) / 2.0, (res - 1) / 2.0), res, res, aug)
        image = self._rendered_image(i, scene, scene_to_input, aug) if with_image else None
        return self._crop_sample(scene_to_input, aug, scene.joints, scene.normalizer_px, image)

    def _rendered_image(self, i: int, scene: Scene, scene_to_input: np.ndarray, aug: affine.Augmentation) -> np.ndarray:
        # Only the unaugmented picture is cached: augmented ones differ every epoch.
        plain = aug == affine.IDENTITY
        image = self._images.get(i) if plain else None
        if image is None:
            image = render(scene, scene_to_input, self.input_res, self.config.supersample)
            if self.cache and plain:
                self._images[i] = image
        return image

    def record_info(self, i: int) -> dict[str, Any]:
        i = self._check_index(i)
        scene = self.scene(i)
        return {
            "index": i,
            "seed": self.seed,
            "split": self.split,
            "facing_front": scene.facing_front,
            "occluded": [self.joint_names[j] for j in np.flatnonzero(scene.occluded)],
        }


def open_synthetic(
    split: str,
    input_res: int,
    *,
    augment: bool = False,
    seed: int = 0,
    size: int | None = None,
    pose_prior: str | Path | PosePrior | None = None,
    cache: bool = False,
    config: SyntheticConfig | dict[str, Any] | None = None,
) -> SyntheticPoses:
    if isinstance(config, dict):
        config = SyntheticConfig.from_dict(config)
    prior = load_pose_prior(pose_prior) if isinstance(pose_prior, (str, Path)) else pose_prior
    return SyntheticPoses(
        split, input_res, augment=augment, seed=seed, size=size, config=config, pose_prior=prior, cache=cache
    )


__all__ = [
    "MPII_SKELETON",
    "Scene",
    "SyntheticConfig",
    "SyntheticPoses",
    "kinematic_pose",
    "make_scene",
    "open_synthetic",
    "prior_pose",
    "render",
]
