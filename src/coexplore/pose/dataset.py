"""The pose data contract: `PoseDataset`, the record-based crop loader, splits and `open_dataset`.

Every dataset yields the same sample dict (see `PoseDataset.__getitem__`), so the trainer, the
metrics and `coexplore data show` never care where the images came from. Real datasets are lists of
`PoseRecord`s (one person each: joints, crop box, normaliser in original-image pixels); one shared
`__getitem__` crops them through `coexplore.pose.affine`.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import zlib
from abc import ABC, abstractmethod
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Self

import numpy as np
import torch
from PIL import Image

from coexplore.errors import CoexploreError, choice_error
from coexplore.pose import affine
from coexplore.pose.joints import JointLayout

SPLITS: tuple[str, ...] = ("train", "val")
SOURCES: tuple[str, ...] = ("synthetic", "mpii:PATH", "coco:PATH", "keypoints:PATH", "fly")
SAMPLE_KEYS: tuple[str, ...] = ("image", "joints", "visible", "normalizer", "index", "transform")
# A single annotation file holds one split; without split files beside it, a fixed rule keeps
# every image's persons on one side: crc32(image key) mod 5 == 0 → val (≈ 20 %).
HOLDOUT_MODULUS = 5
HOLDOUTS: tuple[str, ...] = ("hash", "none")
# Salt so augmentation draws never coincide with the synthetic scene draws of the same index.
_AUGMENT_STREAM = 0xA06


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

    def _init_common(
        self, layout: JointLayout, *, name: str, split: str, input_res: int, augment: bool, seed: int, pck_kind: str
    ) -> None:
        if split not in SPLITS:
            raise choice_error("split", split, SPLITS)
        if int(input_res) < 8:
            raise CoexploreError(
                f"input resolution {input_res} px is too small", field="input_res", fix="use e.g. 64, 128 or 256"
            )
        self.name = name
        self.layout = layout
        self.num_joints = layout.num_joints
        self.joint_names = list(layout.names)
        self.flip_pairs = [tuple(p) for p in layout.flip_pairs]
        self.skeleton = [tuple(e) for e in layout.skeleton]
        self.input_res = int(input_res)
        self.pck_kind = pck_kind
        self.split = split
        self.augment = bool(augment)
        self.seed = int(seed)
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


@dataclass
class PoseRecord:
    """One person in one image, in original-image pixels (centres at integers, 0-based).

    `annotated` marks joints that have coordinates (occluded ones included); `box_px` is the side of
    the square crop around `center`; `normalizer_px` the PCK normaliser before cropping.
    """

    image: str | int  # file path, or an index into an image array
    joints: np.ndarray  # (J, 2)
    annotated: np.ndarray  # (J,) bool
    center: np.ndarray  # (2,)
    box_px: float
    normalizer_px: float
    info: dict[str, Any] = field(default_factory=dict)


class RecordDataset(PoseDataset):
    """A real dataset: records cropped by the shared affine. Subclasses provide `_open_image`."""

    def __init__(
        self,
        records: list[PoseRecord],
        layout: JointLayout,
        *,
        name: str,
        source: str,
        split: str,
        input_res: int,
        augment: bool,
        seed: int,
        pck_kind: str,
    ):
        self._init_common(
            layout, name=name, split=split, input_res=input_res, augment=augment, seed=seed, pck_kind=pck_kind
        )
        self.source = source
        if not records:
            raise CoexploreError(
                f"the {split} split has no records",
                field=source,
                fix="check the annotation file, or use holdout='none' to use every record in every split",
            )
        for k, record in enumerate(records):
            if record.joints.shape != (layout.num_joints, 2):
                raise CoexploreError(
                    f"record {k} ({record.info.get('image_file', record.image)}): {record.joints.shape[0]} joints, expected {layout.num_joints}",
                    field=source,
                    fix="every record needs the same joint layout",
                )
        self.records = records

    def __len__(self) -> int:
        return len(self.records)

    @abstractmethod
    def _open_image(self, record: PoseRecord, orig_to_input: np.ndarray) -> tuple[Image.Image, np.ndarray]:
        """The image of a record and the matrix from original pixels to its pixels."""

    def crop_matrix(self, i: int, aug: affine.Augmentation = affine.IDENTITY) -> np.ndarray:
        record = self.records[i]
        return affine.crop_matrix(record.center, record.box_px, self.input_res, aug)

    def original_joints(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Record i's joints in original-image pixels (0-based) and its annotated mask."""
        record = self.records[i]
        return record.joints.copy(), record.annotated.copy()

    def _sample(self, i: int, aug: affine.Augmentation, with_image: bool) -> dict[str, Any]:
        record = self.records[i]
        orig_to_input = self.crop_matrix(i, aug)
        image = self._cropped_image(record, orig_to_input) if with_image else None
        return self._crop_sample(
            orig_to_input, aug, record.joints, record.normalizer_px, image, annotated=record.annotated
        )

    def _cropped_image(self, record: PoseRecord, orig_to_input: np.ndarray) -> np.ndarray:
        picture, orig_to_picture = self._open_image(record, orig_to_input)
        return affine.warp(picture, affine.compose(orig_to_input, affine.invert(orig_to_picture)), self.input_res)

    def record_info(self, i: int) -> dict[str, Any]:
        return {"index": int(i), **self.records[i].info}


class ImageFileDataset(RecordDataset):
    """Records whose images are files on disk (MPII, COCO)."""

    @classmethod
    def from_annotation_file(
        cls,
        records: list[PoseRecord],
        layout: JointLayout,
        *,
        kind: str,
        annotation_file: Path,
        image_dir: Path,
        size: int | None,
        split: str,
        input_res: int,
        augment: bool,
        seed: int,
        pck_kind: str,
    ) -> Self:
        """The first `size` records of a split, once their image files are known to exist."""
        if size is not None:
            records = records[: int(size)]
        source = f"{kind}:{annotation_file}"
        if records:
            check_images_exist(records, source, image_dir)
        return cls(
            records, layout, name=kind, source=source, split=split, input_res=input_res, augment=augment, seed=seed,
            pck_kind=pck_kind,
        )  # fmt: skip

    def _open_image(self, record: PoseRecord, orig_to_input: np.ndarray) -> tuple[Image.Image, np.ndarray]:
        try:
            return affine.open_drafted(str(record.image), orig_to_input)
        except (OSError, ValueError) as exc:
            raise CoexploreError(
                f"record {record.info.get('record')}: cannot read image {record.image}: {exc}", field=self.source
            ) from exc


def check_images_exist(records: list[PoseRecord], source: str, image_dir: Path) -> None:
    """Fail at open time, not half-way through a training, when images are missing."""
    missing = [r for r in records if not os.path.isfile(r.image)]
    if missing:
        first = missing[0]
        raise CoexploreError(
            f"record {first.info.get('record')}: image file {first.image} not found "
            f"({len(missing)} of {len(records)} records have no image in {image_dir})",
            field=source,
            fix="pass the image folder with image_dir= (CLI: --image-dir), or use the annotations alone for priors/metrics",
        )


def holdout_split(keys: list[str], split: str, holdout: str) -> list[int]:
    """Indices of the records in `split` for a single annotation file.

    holdout="hash": fixed ≈ 80/20 split by crc32 of each record's group key (its image), so persons
    of one image never straddle train and val; holdout="none": every record in every split.
    """
    if holdout not in HOLDOUTS:
        raise choice_error("holdout", holdout, HOLDOUTS)
    if split not in SPLITS:
        raise choice_error("split", split, SPLITS)
    if holdout == "none":
        return list(range(len(keys)))
    in_val = [zlib.crc32(key.encode()) % HOLDOUT_MODULUS == 0 for key in keys]
    return [i for i, v in enumerate(in_val) if v == (split == "val")]


def _shared_data_dir() -> Path:
    env = os.environ.get("COEXPLORE_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3].parent / "shared" / "data"


def find_fly_file() -> Path:
    """The shared DeepPoseKit fly set: $COEXPLORE_FLY, $COEXPLORE_SHARED_DATA/fly, or ../shared/data/fly."""
    candidates = [Path(os.environ["COEXPLORE_FLY"])] if os.environ.get("COEXPLORE_FLY") else []
    candidates += [
        _shared_data_dir() / "fly" / "example_annotation_set.h5",
        Path.cwd().parent / "shared" / "data" / "fly" / "example_annotation_set.h5",
    ]
    for path in candidates:
        if path.is_file():
            return path
    raise CoexploreError(
        "the fly set was not found (looked in: " + ", ".join(map(str, candidates)) + ")",
        field="fly",
        fix="set COEXPLORE_FLY to example_annotation_set.h5, or use keypoints:PATH",
    )


def _loaders() -> dict[str, Callable[..., PoseDataset]]:
    # Imported lazily: each loader pulls its own heavy dependencies (h5py, pycocotools).
    from coexplore.pose import coco, keypoints, mpii, synthetic

    return {
        "synthetic": synthetic.open_synthetic,
        "mpii": mpii.open_mpii,
        "coco": coco.open_coco,
        "keypoints": keypoints.open_keypoints,
    }


def _check_options(kind: str, loader: Callable[..., PoseDataset], options: dict[str, Any]) -> None:
    accepted = [
        p.name
        for p in inspect.signature(loader).parameters.values()
        if p.kind == p.KEYWORD_ONLY and p.name not in ("augment", "seed", "size")
    ]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise CoexploreError(
            f"unknown option(s) {', '.join(unknown)} for {kind}",
            field="data options",
            fix=f"{kind} accepts: {', '.join(accepted) or 'none'}",
        )


def open_dataset(
    source: str,
    split: str,
    input_res: int,
    *,
    augment: bool = False,
    seed: int = 0,
    size: int | None = None,
    **options: Any,
) -> PoseDataset:
    """Open a pose dataset by source string (see SOURCES).

    size: synthetic images per split (default train 4000, val 500); for real data, keep only the
    first `size` records of the split. Options per source: synthetic — pose_prior, cache, and the
    `SyntheticConfig` fields; mpii/coco — image_dir, holdout ("hash" | "none"); keypoints —
    joint_names, skeleton_csv. Malformed input raises CoexploreError naming the file and record.
    """
    if split not in SPLITS:
        raise choice_error("split", split, SPLITS)
    if size is not None and int(size) < 1:
        raise CoexploreError(f"size must be ≥ 1, got {size}", field="size")
    kind, _, path = str(source).partition(":")
    kind = kind.strip().lower()
    if kind == "fly" and not path:
        kind, path = "keypoints", str(find_fly_file())
        options.setdefault("name", "fly")
    loaders = _loaders()
    if kind not in loaders:
        raise choice_error("data source", source, SOURCES)
    _check_options(kind, loaders[kind], options)
    if kind == "synthetic":
        if path:
            raise CoexploreError(
                f"synthetic takes no path, got {source!r}",
                field="data source",
                fix="use 'synthetic' (a pose prior goes in pose_prior= / --pose-prior)",
            )
        return loaders[kind](split, input_res, augment=augment, seed=seed, size=size, **options)
    if not path:
        raise CoexploreError(f"{kind} needs a path", field="data source", fix=f"use {kind}:PATH")
    return loaders[kind](Path(path).expanduser(), split, input_res, augment=augment, seed=seed, size=size, **options)
