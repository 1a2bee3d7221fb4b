"""COCO person keypoints: official annotation JSON through pycocotools, top-down bbox crops.

One record per person instance with keypoints (iscrowd = 0, num_keypoints > 0; instances with no
labelled keypoint are dropped as every top-down loader does). The crop follows the HRNet/mmpose
top-down recipe: bbox clipped to the image, its aspect fixed to the square input, padded 1.25 ×.
The PCK normaliser is the bbox size max(w, h); the main metric is OKS AP (pck_kind "oks"), for
which `record_info` returns image_id, annotation id and area.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any

import numpy as np

from coexplore.errors import CoexploreError
from coexplore.pose.dataset import SplitRequest
from coexplore.pose.records import ImageFileDataset, PoseRecord, holdout_split, read_annotation_json
from coexplore.pose.joints import COCO_JOINTS, COCO_LAYOUT, JointLayout, derive_flip_pairs

# Top-down bbox padding of HRNet / mmpose (`scale * 1.25` in _box2cs / bbox_xywh2cs).
BBOX_PADDING = 1.25
PERSON_CATEGORY = "person"
SPLIT_PATTERNS: dict[str, str] = {"train": "person_keypoints_train*.json", "val": "person_keypoints_val*.json"}


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise CoexploreError("annotation file not found", field=str(path), fix="check the path after coco:")
    data = read_annotation_json(path, fix="use the official COCO person_keypoints_*.json")
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), list) for k in ("images", "annotations", "categories")
    ):
        raise CoexploreError(
            "not a COCO annotation file (needs lists 'images', 'annotations', 'categories')", field=str(path)
        )
    return data


def load_coco(path: str | Path):
    """A pycocotools `COCO` index of the file, built without its chatter on stdout."""
    from pycocotools.coco import COCO

    path = Path(path)
    data = _read_json(path)
    coco = COCO()
    coco.dataset = data
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            coco.createIndex()
        except (KeyError, TypeError) as exc:
            raise CoexploreError(f"malformed COCO record (missing {exc})", field=str(path)) from exc
    return coco


def _person_layout(coco, path: Path) -> tuple[int, JointLayout]:
    categories = [c for c in coco.dataset["categories"] if c.get("name") == PERSON_CATEGORY] or coco.dataset[
        "categories"
    ]
    if not categories or "keypoints" not in categories[0]:
        raise CoexploreError(
            "no person category with keypoint names", field=str(path), fix="use a COCO keypoints annotation file"
        )
    category = categories[0]
    names = tuple(category["keypoints"])
    if names == COCO_JOINTS:
        return int(category["id"]), COCO_LAYOUT
    skeleton = tuple((a - 1, b - 1) for a, b in category.get("skeleton", []))  # 1-based in COCO files
    return int(category["id"]), JointLayout(names, derive_flip_pairs(names, source=f"{path}: keypoints"), skeleton)


def square_box(bbox_xywh: list[float], width: int, height: int) -> tuple[np.ndarray, float, float] | None:
    """(centre, padded square side, normaliser = max(w, h)) of a clipped bbox; None if empty."""
    x, y, w, h = (float(v) for v in bbox_xywh)
    # HRNet's _sanitize: clip to the image, drop empty boxes.
    x1, y1 = max(0.0, x), max(0.0, y)
    x2, y2 = min(width - 1.0, x1 + max(0.0, w - 1.0)), min(height - 1.0, y1 + max(0.0, h - 1.0))
    if x2 < x1 or y2 < y1 or w * h <= 0:
        return None
    w, h = x2 - x1, y2 - y1
    center = np.array([x1 + w / 2.0, y1 + h / 2.0])
    side = max(w, h)
    return center, side * BBOX_PADDING, side


def coco_records(coco, path: Path, image_dir: Path) -> tuple[list[PoseRecord], JointLayout]:
    category_id, layout = _person_layout(coco, path)
    records: list[PoseRecord] = []
    for image_id in sorted(coco.getImgIds()):
        image = coco.imgs[image_id]
        for ann in coco.loadAnns(coco.getAnnIds(imgIds=[image_id], catIds=[category_id], iscrowd=False)):
            where = f"{path}: annotation {ann.get('id')} (image {image_id})"
            keypoints = np.asarray(ann.get("keypoints", []), dtype=np.float64)
            if keypoints.size != 3 * layout.num_joints:
                raise CoexploreError(
                    f"{keypoints.size // 3} keypoints, expected {layout.num_joints}",
                    field=where,
                    fix="keypoints is a flat list of x, y, v per joint",
                )
            keypoints = keypoints.reshape(layout.num_joints, 3)
            annotated = keypoints[:, 2] > 0
            if int(ann.get("num_keypoints", annotated.sum())) == 0 or not annotated.any():
                continue
            box = square_box(ann.get("bbox", [0, 0, 0, 0]), int(image["width"]), int(image["height"]))
            if box is None:
                continue
            center, box_px, normalizer = box
            joints = keypoints[:, :2].copy()
            joints[~annotated] = 0.0
            records.append(
                PoseRecord(
                    image=str(image_dir / image["file_name"]),
                    joints=joints,
                    annotated=annotated,
                    center=center,
                    box_px=box_px,
                    normalizer_px=normalizer,
                    info={
                        "record": len(records),
                        "image_file": image["file_name"],
                        "image_id": int(image_id),
                        "annotation_id": int(ann["id"]),
                        "category_id": category_id,
                        "area": float(ann.get("area", 0.0)),
                        "bbox": [float(v) for v in ann["bbox"]],
                    },
                )
            )
    return records, layout


def _resolve_annotation_file(path: Path, split: str) -> tuple[Path, bool]:
    if path.is_dir():
        for folder in (path, path / "annotations"):
            found = sorted(folder.glob(SPLIT_PATTERNS[split]))
            if found:
                return found[0], True
        raise CoexploreError(
            f"no {SPLIT_PATTERNS[split]} in the folder or its annotations/",
            field=str(path),
            fix="point coco: at the annotation JSON",
        )
    return path, False


def _default_image_dir(annotation: Path, first_image: str | None) -> Path:
    candidates = [annotation.parent, annotation.parent / "images"]
    match = re.match(r"person_keypoints_(\w+)\.json$", annotation.name)
    if match:  # the official layout: annotations/person_keypoints_val2017.json beside val2017/
        candidates += [annotation.parent.parent / match.group(1), annotation.parent.parent / "images" / match.group(1)]
    for folder in candidates:
        if first_image and (folder / first_image).is_file():
            return folder
    return annotation.parent


class CocoDataset(ImageFileDataset):
    """COCO persons; `coco` is the pycocotools index of the whole annotation file (for COCOeval)."""

    def __init__(
        self, coco: Any, records: list[PoseRecord], layout: JointLayout, request: SplitRequest, *,
        annotation_file: Path, image_dir: Path,
    ):  # fmt: skip
        super().__init__(
            records, layout, request, kind="coco", annotation_file=annotation_file, image_dir=image_dir,
            pck_kind="oks",
        )  # fmt: skip
        self.coco = coco


def open_coco(
    path: Path, request: SplitRequest, *, image_dir: str | Path | None = None, holdout: str = "hash"
) -> CocoDataset:
    annotation_file, is_split_file = _resolve_annotation_file(path, request.split)
    coco = load_coco(annotation_file)
    first = next(iter(coco.imgs.values()), {}).get("file_name")
    folder = Path(image_dir).expanduser() if image_dir else _default_image_dir(annotation_file, first)
    records, layout = coco_records(coco, annotation_file, folder)
    if not is_split_file:
        keep = holdout_split([str(r.info["image_id"]) for r in records], request.split, holdout)
        records = [records[k] for k in keep]
    return CocoDataset(coco, records, layout, request, annotation_file=annotation_file, image_dir=folder)
