"""Joint-name tables, left/right flip pairs and skeleton edges of the supported layouts.

MPII (16 joints, also the synthetic figures), COCO (17) and any named layout (e.g. the 32-joint fly
of DeepPoseKit), whose flip pairs are derived from the names: the fly file's own swap table is wrong
for the mid legs (shared/data/fly/FORMAT.md), so names are the only trustworthy source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from coexplore.errors import CoexploreError

# MPII joint order (REFERENCES.md "Metrics"; pytorch_stacked_hourglass data/MPII/ref.py).
MPII_JOINTS: tuple[str, ...] = (
    "r_ankle", "r_knee", "r_hip", "l_hip", "l_knee", "l_ankle", "pelvis", "thorax",
    "upper_neck", "head_top", "r_wrist", "r_elbow", "r_shoulder", "l_shoulder", "l_elbow", "l_wrist",
)  # fmt: skip
MPII_INDEX: dict[str, int] = {name: i for i, name in enumerate(MPII_JOINTS)}
# Bones drawn and used by the synthetic figures (parent, child).
MPII_SKELETON: tuple[tuple[int, int], ...] = (
    (0, 1), (1, 2), (2, 6), (6, 3), (3, 4), (4, 5), (6, 7), (7, 8), (8, 9),
    (7, 12), (12, 11), (11, 10), (7, 13), (13, 14), (14, 15),
)  # fmt: skip
# MPII's reported PCKh mean leaves these out (REFERENCES.md "Metrics").
MPII_EXCLUDED_FROM_MEAN: tuple[str, ...] = ("pelvis", "thorax")

# COCO person keypoints (pycocotools / test_coco.json `categories[0].keypoints`).
COCO_JOINTS: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip
# COCO's skeleton, 1-based in the JSON (shared/data/mmpose_fixtures/FORMAT.md), stored 0-based here.
COCO_SKELETON: tuple[tuple[int, int], ...] = tuple(
    (a - 1, b - 1)
    for a, b in (
        (16, 14),
        (14, 12),
        (17, 15),
        (15, 13),
        (12, 13),
        (6, 12),
        (7, 13),
        (6, 7),
        (6, 8),
        (7, 9),
        (8, 10),
        (9, 11),
        (2, 3),
        (1, 2),
        (1, 3),
        (2, 4),
        (3, 5),
        (4, 6),
        (5, 7),
    )  # fmt: skip
)

# Name tokens that mark a side. Word forms first so "left" is never read as "l" + "eft".
_SIDE_PATTERNS: tuple[tuple[re.Pattern[str], dict[str, str]], ...] = (
    (re.compile(r"(?i)(?<![a-z])(left|right)(?![a-z])"), {"left": "right", "right": "left"}),
    (re.compile(r"(?<![A-Za-z])([lrLR])(?=[_\-\s.]|$)"), {"l": "r", "r": "l", "L": "R", "R": "L"}),
    (re.compile(r"(?<=[a-z])([LR])(?=\d*$|[_\-\s.])"), {"L": "R", "R": "L"}),  # camelCase: eyeL, legR1
    (re.compile(r"(?i)(?<=[_\-\s.])(l|r)(?=\d*$)"), {"l": "r", "r": "l", "L": "R", "R": "L"}),  # knee_l
)


@dataclass(frozen=True)
class JointLayout:
    """A keypoint layout: names, flip permutation, bones for drawing, and which side each joint is on."""

    names: tuple[str, ...]
    flip_pairs: tuple[tuple[int, int], ...]
    skeleton: tuple[tuple[int, int], ...]

    @property
    def num_joints(self) -> int:
        return len(self.names)

    def flip_permutation(self) -> list[int]:
        """perm[j] = index of joint j's mirror partner (itself for centre joints); an involution."""
        return flip_permutation(self.flip_pairs, len(self.names))

    def side(self, j: int) -> str:
        """'left', 'right' or 'centre', from the name (used to colour the skeleton)."""
        return joint_side(self.names[j])


def mirror_name(name: str) -> str | None:
    """The name with its side swapped (left↔right, l_↔r_, eyeL↔eyeR), or None if it has no side."""
    for pattern, swap in _SIDE_PATTERNS:
        match = pattern.search(name)
        if match:
            token = match.group(1)
            partner = swap.get(token) or swap[token.lower()]
            if token.isupper():
                partner = partner.upper()
            elif token[0].isupper():
                partner = partner.capitalize()
            return name[: match.start(1)] + partner + name[match.end(1) :]
    return None


def joint_side(name: str) -> str:
    mirrored = mirror_name(name)
    if mirrored is None:
        return "centre"
    for pattern, _ in _SIDE_PATTERNS:
        match = pattern.search(name)
        if match:
            return "left" if match.group(1).lower().startswith("l") else "right"
    return "centre"


def derive_flip_pairs(
    names: list[str] | tuple[str, ...], *, source: str = "joint names"
) -> tuple[tuple[int, int], ...]:
    """Left/right pairs from the names alone; centre joints (head, thorax, ...) map to themselves.

    Raises CoexploreError if a sided name has no partner (e.g. "wingL" without "wingR") or a name
    repeats, since a flip augmentation would then corrupt the labels.
    """
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in index:
            raise CoexploreError(f"joint name {name!r} appears twice (joints {index[name]} and {i})", field=source)
        index[name] = i
    pairs: list[tuple[int, int]] = []
    for i, name in enumerate(names):
        partner = mirror_name(name)
        if partner is None:
            continue
        if partner not in index:
            raise CoexploreError(
                f"joint {i} {name!r} has a side but no mirror partner {partner!r}",
                field=source,
                fix="name both sides consistently (left/right, l_/r_, or a trailing L/R)",
            )
        j = index[partner]
        if i < j:
            pairs.append((i, j))
    return tuple(pairs)


def flip_permutation(flip_pairs: list[tuple[int, int]] | tuple[tuple[int, int], ...], num_joints: int) -> list[int]:
    perm = list(range(num_joints))
    for a, b in flip_pairs:
        perm[a], perm[b] = b, a
    return perm


MPII_LAYOUT = JointLayout(MPII_JOINTS, derive_flip_pairs(MPII_JOINTS), MPII_SKELETON)
COCO_LAYOUT = JointLayout(COCO_JOINTS, derive_flip_pairs(COCO_JOINTS), COCO_SKELETON)


def layout_from_names(
    names: list[str] | tuple[str, ...], parents: list[int] | None = None, *, source: str = "joint names"
) -> JointLayout:
    """A layout for any named keypoint set; bones from a parent list (-1 = root) when given."""
    skeleton = tuple((p, c) for c, p in enumerate(parents or []) if p >= 0)
    return JointLayout(tuple(names), derive_flip_pairs(names, source=source), skeleton)
