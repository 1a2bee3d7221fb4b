"""Real datasets as lists of `PoseRecord`s (one person each), cropped through the shared affine.

`RecordDataset` turns records into samples; `ImageFileDataset` is the base of the loaders whose
images are files (MPII, COCO); `holdout_split` is the fixed train/val rule for a single annotation
file, `read_annotation_json` the one way to read a JSON annotation file.
"""

from __future__ import annotations

import json
import os
import zlib
from abc import abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from coexplore.errors import CoexploreError, choice_error
from coexplore.pose import affine
from coexplore.pose.dataset import SPLITS, PoseDataset, SplitRequest
from coexplore.pose.joints import JointLayout

# A single annotation file holds one split; without split files beside it, a fixed rule keeps
# every image's persons on one side: crc32(image key) mod 5 == 0 → val (≈ 20 %).
HOLDOUT_MODULUS = 5
HOLDOUTS: tuple[str, ...] = ("hash", "none")


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
        self, records: list[PoseRecord], layout: JointLayout, request: SplitRequest, *, name: str, source: str,
        pck_kind: str,
    ):  # fmt: skip
        self._init_common(layout, request, name=name, pck_kind=pck_kind)
        self.source = source
        if not records:
            raise CoexploreError(
                f"the {request.split} split has no records",
                field=source,
                fix="check the annotation file, or use holdout='none' to use every record in every split",
            )
        for k, record in enumerate(records):
            if record.joints.shape != (layout.num_joints, 2):
                raise CoexploreError(
                    f"record {k} ({record.info.get('image_file', record.image)}): {record.joints.shape[0]} joints, "
                    f"expected {layout.num_joints}",
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
    """Records of one annotation file whose images are files on disk (MPII, COCO).

    Keeps the first `request.size` records, once their image files are known to exist.
    """

    def __init__(
        self, records: list[PoseRecord], layout: JointLayout, request: SplitRequest, *, kind: str,
        annotation_file: Path, image_dir: Path, pck_kind: str,
    ):  # fmt: skip
        records = request.first(records)
        source = f"{kind}:{annotation_file}"
        if records:
            _check_images_exist(records, source, image_dir)
        super().__init__(records, layout, request, name=kind, source=source, pck_kind=pck_kind)
        self.annotation_file = annotation_file

    def _open_image(self, record: PoseRecord, orig_to_input: np.ndarray) -> tuple[Image.Image, np.ndarray]:
        try:
            return affine.open_drafted(str(record.image), orig_to_input)
        except (OSError, ValueError) as exc:
            raise CoexploreError(
                f"record {record.info.get('record')}: cannot read image {record.image}: {exc}", field=self.source
            ) from exc


def _check_images_exist(records: list[PoseRecord], source: str, image_dir: Path) -> None:
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


def read_annotation_json(path: Path, *, fix: str) -> Any:
    """The JSON value of an annotation file; an unreadable or malformed file is one CoexploreError."""
    try:
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CoexploreError(f"not valid JSON ({exc})", field=str(path), fix=fix) from exc
