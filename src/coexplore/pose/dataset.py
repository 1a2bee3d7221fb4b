"""The pose data contract: `PoseDataset`, the base class every dataset derives from, and the
`SplitRequest` every loader takes.

Every dataset yields the same sample dict (see `PoseDataset.__getitem__`), so the trainer, the
metrics and `coexplore data show` never care where the images came from. The record-based real
datasets live in `records`, the loaders in `coco`, `mpii`, `keypoints`, `synthetic`, and the
source registry (`open_dataset`) in `sources`; imports run one way: sources → loaders → records →
this module.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from coexplore.errors import CoexploreError, choice_error
from coexplore.pose import affine
from coexplore.pose.joints import JointLayout

SPLITS: tuple[str, ...] = ("train", "val")
SAMPLE_KEYS: tuple[str, ...] = ("image", "joints", "visible", "normalizer", "index", "transform")
MIN_INPUT_RES = 8
# Salt so augmentation draws never coincide with the synthetic scene draws of the same index.
_AUGMENT_STREAM = 0xA06


@dataclass(frozen=True)
class SplitRequest:
    """Which split of a source to open, and how: the arguments every loader shares.

    size: keep the first `size` records of the split (synthetic: images per split, default from
    its config); augment: draw a random crop, rotation and flip per fetch (see `PoseDataset`).
    """

    split: str
    input_res: int
    augment: bool = False
    seed: int = 0
    size: int | None = None

    def __post_init__(self) -> None:
        if self.split not in SPLITS:
            raise choice_error("split", self.split, SPLITS)
        if int(self.input_res) < MIN_INPUT_RES:
            raise CoexploreError(
                f"input resolution {self.input_res} px is too small", field="input_res", fix="use e.g. 64, 128 or 256"
            )
        if self.size is not None and int(self.size) < 1:
            raise CoexploreError(f"size must be ≥ 1, got {self.size}", field="size")

    def first(self, items: list) -> list:
        """The first `size` items (all of them without a size)."""
        return items if self.size is None else items[: int(self.size)]


class PoseDataset(torch.utils.data.Dataset, ABC):
    """Base class of every pose dataset (the contract shared with the trainer).

    `__getitem__(i)` returns exactly the keys of `SAMPLE_KEYS`:
      image (3, R, R) float RGB in [0, 1]; joints (J, 2) input px; visible (J,) 1 = annotated and on
      the crop (occluded joints count, as in MPII); normalizer () PCK normaliser in input px;
      index () long; transform (2, 3) input px → original-image px.
    Augmentation (when enabled) draws from (seed, split, index, epoch): deterministic, and different
    every epoch. The epoch is the one set by `set_epoch`, or else how many times this process has
    already fetched that index.
    """

    name: str
    num_joints: int
    joint_names: list[str]
    flip_pairs: list[tuple[int, int]]
    skeleton: list[tuple[int, int]]
    input_res: int
    pck_kind: str
    split: str
    augment: bool
    seed: int

    def _init_common(self, layout: JointLayout, request: SplitRequest, *, name: str, pck_kind: str) -> None:
        self.name = name
        self.layout = layout
        self.num_joints = layout.num_joints
        self.joint_names = list(layout.names)
        self.flip_pairs = [tuple(p) for p in layout.flip_pairs]
        self.skeleton = [tuple(e) for e in layout.skeleton]
        self.input_res = int(request.input_res)
        self.pck_kind = pck_kind
        self.split = request.split
        self.augment = bool(request.augment)
        self.seed = int(request.seed)
        self._epoch: int | None = None
        self._fetch_counts: dict[int, int] = defaultdict(int)
        self._flip_perm = np.array(layout.flip_permutation())
        self.flip_allowed = True  # False when the left/right pairs are unknown (unnamed keypoints)

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def _sample(self, i: int, aug: affine.Augmentation, with_image: bool) -> dict[str, Any]:
        """The sample of record i under one augmentation draw (numpy values; image may be None)."""

    @abstractmethod
    def record_info(self, i: int) -> dict[str, Any]:
        """JSON-able identity of record i (image file, image_id, person/annotation id)."""

    def set_epoch(self, epoch: int) -> None:
        """Pin the augmentation stream to this epoch (call once per epoch for worker-safe runs)."""
        self._epoch = int(epoch)

    def augmentation(self, i: int, *, advance: bool = False) -> affine.Augmentation:
        if not self.augment:
            return affine.IDENTITY
        if self._epoch is not None:
            epoch = self._epoch
        else:
            epoch = self._fetch_counts[i]
            if advance:
                self._fetch_counts[i] += 1
        split_id = SPLITS.index(self.split)
        aug = affine.sample_augmentation(np.random.default_rng([self.seed, split_id, i, epoch, _AUGMENT_STREAM]))
        return aug if self.flip_allowed else dataclasses.replace(aug, flip=False)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        i = self._check_index(i)
        return _to_tensors(self._sample(i, self.augmentation(i, advance=True), with_image=True), i)

    def targets(self, i: int) -> dict[str, torch.Tensor]:
        """The sample without its image (cheap: no decoding/rendering), unaugmented.

        For mean-pose baselines and label statistics over a whole split."""
        i = self._check_index(i)
        sample = _to_tensors(self._sample(i, affine.IDENTITY, with_image=False), i)
        sample.pop("image")
        return sample

    def all_targets(self) -> dict[str, torch.Tensor]:
        """`targets` of every record stacked: joints (N, J, 2), visible (N, J), normalizer (N,), ..."""
        items = [self.targets(i) for i in range(len(self))]
        return {key: torch.stack([item[key] for item in items]) for key in items[0]} if items else {}

    def _check_index(self, i: int) -> int:
        i = int(i)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(f"{self.name} {self.split} has {len(self)} records; index {i} is out of range")
        return i

    def flip_joints(self, joints: np.ndarray, visible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Relabel joints after a horizontal mirror (left ↔ right)."""
        return joints[self._flip_perm], visible[self._flip_perm]

    def _crop_sample(
        self,
        to_input: np.ndarray,
        aug: affine.Augmentation,
        joints: np.ndarray,
        normalizer_px: float,
        image: np.ndarray | None,
        annotated: np.ndarray | None = None,
    ) -> dict[str, Any]:
        """The sample dict of `joints` (original px) seen through the crop `to_input` (→ input px).

        A joint is visible when it lands on the crop (and is annotated, where `annotated` is given);
        a mirrored crop swaps left and right labels.
        """
        joints = affine.apply(to_input, joints)
        visible = affine.inside(joints, self.input_res)
        if annotated is not None:
            visible = annotated & visible
        if aug.flip:
            joints, visible = self.flip_joints(joints, visible)
        return {
            "image": image,
            "joints": joints,
            "visible": visible.astype(np.float32),
            "normalizer": normalizer_px * affine.zoom_of(to_input),
            "transform": affine.invert(to_input),
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} split={self.split} n={len(self)} res={self.input_res} augment={self.augment}>"


def _to_tensors(sample: dict[str, Any], index: int) -> dict[str, torch.Tensor]:
    image = sample["image"]
    tensor = None
    if image is not None:
        # numpy, not torch ops: on a busy CPU torch's thread pool made this ~100× slower.
        chw = np.multiply(image.transpose(2, 0, 1), np.float32(1.0 / 255.0), dtype=np.float32)
        if chw.shape[0] == 1:
            chw = np.repeat(chw, 3, axis=0)
        tensor = torch.from_numpy(np.ascontiguousarray(chw))
    return {
        "image": tensor,
        "joints": torch.as_tensor(sample["joints"], dtype=torch.float32),
        "visible": torch.as_tensor(sample["visible"], dtype=torch.float32),
        "normalizer": torch.tensor(float(sample["normalizer"]), dtype=torch.float32),
        "index": torch.tensor(index, dtype=torch.long),
        "transform": torch.as_tensor(sample["transform"], dtype=torch.float32),
    }
