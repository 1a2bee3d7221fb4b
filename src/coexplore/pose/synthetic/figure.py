"""One figure: the body model, random poses (a kinematic tree with joint limits, or a pose prior),
and the drawing primitives of a figure in a given pose.

Body proportions (fractions of standing height H) follow the Drillis & Contini (1966) segment
lengths as tabulated in Winter, "Biomechanics and Motor Control of Human Movement": upper arm
0.186, forearm 0.146, thigh 0.245, shank 0.246, shoulder-to-hip 0.288, chin-to-shoulder 0.052,
head 0.130; joint-centre half-widths (shoulders 0.11, hips 0.055) are narrower than the outer
body widths of that table (0.259 / 0.191).

The figure is drawn as a torso polygon, limbs as thick capsules in random draw order (so limbs
occlude each other and the torso), a head disc with a face when seen from the front or hair from
the back, hands and shoes. Colours are jittered per limb, so left and right are never
colour-coded: the only left/right cue is the body layout together with the face/back-of-head cue,
as in real images.
"""

from __future__ import annotations

import math

import numpy as np

from coexplore.pose.joints import MPII_INDEX as J
from coexplore.pose.joints import MPII_LAYOUT
from coexplore.pose.priors import PosePrior
from coexplore.pose.synthetic.config import SyntheticConfig

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

CLOTHING_RGB = (25, 235)  # uniform range per channel
SKIN_TONES_RGB = ((241, 194, 125), (224, 172, 105), (198, 134, 66), (141, 85, 36), (255, 219, 172), (92, 58, 32))
HAIR_RGB = ((20, 15, 10), (60, 40, 20), (110, 75, 40), (190, 160, 100), (120, 120, 120), (30, 30, 35))
COLOUR_JITTER = 18.0  # per-limb, per-channel std: left/right never colour-coded

# A primitive: (kind, points in scene px, width in scene px (capsule/disc diameter), RGB).
Primitive = tuple[str, np.ndarray, float, tuple[int, int, int]]


def direction(angle_deg: float | np.ndarray) -> np.ndarray:
    """Unit vector at `angle` from screen-up, clockwise (y down): 0 → (0, -1), 90 → (1, 0)."""
    a = np.radians(angle_deg)
    return np.stack([np.sin(a), -np.cos(a)], axis=-1)


def rotate(v: np.ndarray, angle_deg: float) -> np.ndarray:
    a = math.radians(angle_deg)
    c, s = math.cos(a), math.sin(a)
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]])


def unit(v: np.ndarray) -> np.ndarray:
    n = float(np.hypot(v[0], v[1]))
    return v / n if n > 1e-9 else np.array([0.0, 1.0])


def kinematic_pose(rng: np.random.Generator, cfg: SyntheticConfig) -> tuple[np.ndarray, bool]:
    """A random pose in body units (pelvis at 0, y down) from a kinematic tree with joint limits."""
    lim = JOINT_LIMITS_DEG
    pose = np.zeros((16, 2))
    unusual = rng.random() < cfg.unusual_pose_prob
    tilt = rng.uniform(*lim["unusual_tilt"]) if unusual else rng.normal(0, lim["tilt_std"])
    up = direction(tilt)
    down = -up
    front = bool(rng.random() >= cfg.back_view_prob)
    width = rng.uniform(*YAW_WIDTH) * (1.0 if front else -1.0)  # yaw foreshortening; sign = facing
    right_on_screen = direction(tilt - 90.0) * width  # the person's right side, scaled by yaw
    pose[J["thorax"]] = up * TORSO * rng.uniform(*FORESHORTENING["torso"])
    pose[J["r_hip"]] = right_on_screen * HIP_HALF
    pose[J["l_hip"]] = -right_on_screen * HIP_HALF
    pose[J["r_shoulder"]] = pose[J["thorax"]] + right_on_screen * SHOULDER_HALF
    pose[J["l_shoulder"]] = pose[J["thorax"]] - right_on_screen * SHOULDER_HALF
    neck_angle = tilt + rng.normal(0, lim["neck_std"])
    pose[J["upper_neck"]] = pose[J["thorax"]] + direction(neck_angle) * NECK
    pose[J["head_top"]] = pose[J["upper_neck"]] + direction(neck_angle + rng.normal(0, lim["head_std"])) * HEAD
    for side in ("r", "l"):
        shoulder, elbow, wrist = f"{side}_shoulder", f"{side}_elbow", f"{side}_wrist"
        outward = unit(pose[J[shoulder]] - pose[J["thorax"]])
        abduction = math.radians(rng.uniform(*lim["shoulder"]))  # 0 = hanging, 180 = straight up
        upper = math.cos(abduction) * down + math.sin(abduction) * outward
        pose[J[elbow]] = pose[J[shoulder]] + upper * UPPER_ARM * rng.uniform(*FORESHORTENING["limb"])
        bend = rng.uniform(*lim["elbow"]) * rng.choice((-1.0, 1.0))  # the 2-D projection bends either way
        pose[J[wrist]] = pose[J[elbow]] + rotate(upper, bend) * FOREARM * rng.uniform(*FORESHORTENING["limb"])
    for side in ("r", "l"):
        hip, knee, ankle = f"{side}_hip", f"{side}_knee", f"{side}_ankle"
        outward = unit(pose[J[hip]] - pose[J["pelvis"]])
        wide = rng.random() < WIDE_STANCE_PROB
        abduction = math.radians(rng.uniform(*lim["hip_wide" if wide else "hip"]))
        thigh = math.cos(abduction) * down + math.sin(abduction) * outward
        pose[J[knee]] = pose[J[hip]] + thigh * THIGH * rng.uniform(*FORESHORTENING["leg"])
        deep = rng.random() < DEEP_KNEE_PROB
        bend = rng.uniform(*lim["knee_deep" if deep else "knee"]) * rng.choice((-1.0, 1.0))
        pose[J[ankle]] = pose[J[knee]] + rotate(thigh, bend) * SHANK * rng.uniform(*FORESHORTENING["leg"])
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
    head_dir = unit(pose[J["head_top"]] - pose[J["upper_neck"]])
    pose[J["head_top"]] = pose[J["upper_neck"]] + head_dir * HEAD
    up = pose[J["thorax"]] - pose[J["pelvis"]]
    across = pose[J["l_shoulder"]] - pose[J["r_shoulder"]]
    front = bool(up[0] * across[1] - up[1] * across[0] > 0)  # right shoulder on the screen-left when upright
    return pose, front


def jitter_colour(rng: np.random.Generator, colour: np.ndarray) -> tuple[int, int, int]:
    r, g, b = (colour + rng.normal(0, COLOUR_JITTER, 3)).tolist()
    return (min(255, max(0, int(r))), min(255, max(0, int(g))), min(255, max(0, int(b))))


def random_colour(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(*CLOTHING_RGB, 3)


def _torso_polygon(pose: np.ndarray, px_per_h: float) -> np.ndarray:
    """Shoulders and hips pushed out past the joint centres, never thinner than MIN_TORSO_HALF."""
    corners = []
    for joint, centre in (("r_shoulder", "thorax"), ("l_shoulder", "thorax"), ("l_hip", "pelvis"), ("r_hip", "pelvis")):
        offset = pose[J[joint]] - pose[J[centre]]
        half = float(np.hypot(*offset))
        out = unit(offset) * max(half + TORSO_MARGIN * px_per_h, MIN_TORSO_HALF * px_per_h)
        corners.append(pose[J[centre]] + out)
    return np.array(corners)


def figure_primitives(
    rng: np.random.Generator, pose: np.ndarray, front: bool, px_per_h: float, head_diameter: float
) -> list[Primitive]:
    """The drawing of one figure whose joints are `pose` (scene px)."""
    top, bottom = random_colour(rng), random_colour(rng)
    skin = np.array(SKIN_TONES_RGB[rng.integers(len(SKIN_TONES_RGB))], dtype=float)
    hair = np.array(HAIR_RGB[rng.integers(len(HAIR_RGB))], dtype=float)
    shoes = rng.uniform(10, 90, 3)
    bare_arms = rng.random() < 0.3

    def capsule(a: str, b: str, width_key: str, colour: np.ndarray) -> Primitive:
        return ("capsule", pose[[J[a], J[b]]], LIMB_WIDTH[width_key] * px_per_h, jitter_colour(rng, colour))

    parts: list[list[Primitive]] = [[("polygon", _torso_polygon(pose, px_per_h), 0.0, jitter_colour(rng, top))]]
    for side in ("r", "l"):
        parts.append([capsule(f"{side}_shoulder", f"{side}_elbow", "upper_arm", skin if bare_arms else top)])
        parts.append(
            [
                capsule(f"{side}_elbow", f"{side}_wrist", "forearm", skin if bare_arms else top),
                ("disc", pose[[J[f"{side}_wrist"]]], HAND_DIAMETER * px_per_h, jitter_colour(rng, skin)),
            ]
        )
        parts.append([capsule(f"{side}_hip", f"{side}_knee", "thigh", bottom)])
        shank_dir = unit(pose[J[f"{side}_ankle"]] - pose[J[f"{side}_knee"]])
        toe = pose[J[f"{side}_ankle"]] + rotate(shank_dir, rng.choice((-80.0, 80.0))) * FOOT_LENGTH * px_per_h
        parts.append(
            [
                capsule(f"{side}_knee", f"{side}_ankle", "shank", bottom),
                ("capsule", np.stack([pose[J[f"{side}_ankle"]], toe]), FOOT_WIDTH * px_per_h, jitter_colour(rng, shoes)),
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
    axis = unit(top - neck)
    centre = (neck + top) / 2.0
    if not front:
        return [("disc", centre[None], diameter, jitter_colour(rng, hair))]
    across = np.array([-axis[1], axis[0]])
    cap = centre + axis * 0.22 * diameter
    eyes = [centre + axis * 0.05 * diameter + s * across * 0.2 * diameter for s in (-1.0, 1.0)]
    return [
        ("disc", cap[None], diameter * 0.95, jitter_colour(rng, hair)),
        ("disc", (centre - axis * 0.06 * diameter)[None], diameter * 0.8, jitter_colour(rng, skin)),
        *[("disc", e[None], diameter * 0.12, (25, 20, 20)) for e in eyes],
    ]

