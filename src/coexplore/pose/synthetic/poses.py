"""The synthetic dataset: sample i of (seed, split) is always the same scene, rendered on demand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from coexplore.pose import affine
from coexplore.pose.dataset import SPLITS, PoseDataset, SplitRequest
from coexplore.pose.joints import MPII_LAYOUT
from coexplore.pose.priors import PosePrior, load_pose_prior
from coexplore.pose.synthetic.config import SyntheticConfig
from coexplore.pose.synthetic.render import render
from coexplore.pose.synthetic.scene import Scene, make_scene


class SyntheticPoses(PoseDataset):
    """Deterministic procedural figures: sample i of (seed, split) is always the same scene."""

    def __init__(
        self,
        request: SplitRequest,
        *,
        config: SyntheticConfig | None = None,
        pose_prior: PosePrior | None = None,
        cache: bool = False,
    ):
        self._init_common(MPII_LAYOUT, request, name="synthetic", pck_kind="pckh")
        self.config = config or SyntheticConfig()
        default_size = self.config.size_train if request.split == "train" else self.config.size_val
        self.size = int(request.size) if request.size is not None else default_size
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
    request: SplitRequest,
    *,
    pose_prior: str | Path | PosePrior | None = None,
    cache: bool = False,
    config: SyntheticConfig | dict[str, Any] | None = None,
) -> SyntheticPoses:
    if isinstance(config, dict):
        config = SyntheticConfig.from_dict(config)
    prior = load_pose_prior(pose_prior) if isinstance(pose_prior, (str, Path)) else pose_prior
    return SyntheticPoses(request, config=config, pose_prior=prior, cache=cache)

