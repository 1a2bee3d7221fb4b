"""Real human poses as a prior for the synthetic figures (`pose_prior=` / `--pose-prior`).

Reads MPII annotations (the hourglass `valid.h5` layout or mmpose's JSON) and keeps every person
with all 16 joints annotated (2,017 of the 2,958 in the shared valid.h5). Poses are normalised to
body units: the pelvis at the origin, y down, lengths divided by the MPII person height
200 · s_mpii px (MPII's scale is "person height / 200 px"; the loader's adjusted scale is
1.25 · s_mpii, see coexplore.pose.mpii).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coexplore.errors import CoexploreError
from coexplore.pose.joints import MPII_INDEX
from coexplore.pose.mpii import BOX_PX_PER_SCALE, HG_SCALE_FACTOR, load_mpii_annotations


@dataclass(frozen=True)
class PosePrior:
    """Complete real poses in body units (person height 1, pelvis at (0, 0), y down)."""

    poses: np.ndarray  # (N, 16, 2)
    source: str

    def __len__(self) -> int:
        return len(self.poses)

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        return self.poses[rng.integers(len(self.poses))].copy()


def load_pose_prior(path: str | Path) -> PosePrior:
    annotations = load_mpii_annotations(path)
    complete = annotations.annotated.all(axis=1)
    if not complete.any():
        raise CoexploreError(
            "no person has all 16 joints annotated", field=str(path), fix="a pose prior needs complete MPII poses"
        )
    joints = annotations.joints[complete]
    person_height_px = annotations.scale[complete] / HG_SCALE_FACTOR * BOX_PX_PER_SCALE
    pelvis = joints[:, MPII_INDEX["pelvis"]][:, None, :]
    poses = (joints - pelvis) / person_height_px[:, None, None]
    return PosePrior(poses=poses, source=str(path))
