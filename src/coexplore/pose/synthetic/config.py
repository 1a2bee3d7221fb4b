"""The knobs of the synthetic task (figure size and placement, pose and view statistics, nuisances)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from coexplore.errors import CoexploreError


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

