"""MPII Human Pose in its two common annotation layouts.

- `.h5` (pose-hg-train / pytorch_stacked_hourglass): part, visible, center, scale, normalize, imgname.
  centre/scale are already pose-hg-train-adjusted; missing joints are (0, 0).
- `.json` (mmpose / HRNet): a list of {image, joints, joints_vis, center, scale} with the raw MPII
  objpos/scale; missing joints are [-1, -1].

Both become the same `MpiiAnnotations` (shared/data/mpii/FORMAT.md and mmpose_fixtures/FORMAT.md):
- coordinates are MATLAB 1-based in both files; here they are shifted to 0-based (−1 on joints and
  centre alike, so the crop is unchanged and `transform` maps to 0-based image pixels: add 1 to write
  MPII-style predictions);
- the JSON's raw centre/scale get the pose-hg-train adjustment (centre_y += 15·s, s ×= 1.25) so both
  layouts crop the same box of 200·s px;
- "annotated" = has coordinates: a joint is missing only when BOTH coordinates equal the missing
  marker ((0, 0) in h5, (-1, -1) in JSON). The hourglass code's `x > 0` test would drop real border
  joints such as row 1856's head top at (0, 121), and negative y (head above the image) is valid.
  Occluded joints (h5 visible = 0 with coordinates) stay annotated, as in the MPII evaluation;
- normaliser: the h5 `normalize`; a JSON record's `headbox` → 0.6 × its diagonal (MPII PCKh,
  REFERENCES.md "Metrics"), else `normalize`, else 20 × adjusted scale, which is exactly what the
  hourglass split's `normalize` holds for every row (FORMAT.md: normalize == 20·scale).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from coexplore.errors import CoexploreError
from coexplore.pose.dataset import SplitRequest
from coexplore.pose.records import ImageFileDataset, PoseRecord, holdout_split, read_annotation_json
from coexplore.pose.joints import MPII_LAYOUT

MPII_NUM_JOINTS = 16
MATLAB_INDEX_BASE = 1.0  # MPII coordinates are 1-based
# pose-hg-train's crop adjustment of the raw MPII objpos/scale (mpii_dataset / FORMAT.md).
HG_CENTER_SHIFT_Y_PER_SCALE = 15.0
HG_SCALE_FACTOR = 1.25
BOX_PX_PER_SCALE = 200.0  # MPII scale = person height / 200 px
HG_NORMALIZE_PER_SCALE = 20.0  # valid.h5: normalize == 20 · scale for every row (FORMAT.md)
PCKH_HEAD_FACTOR = 0.6  # head size = 0.6 × head-box diagonal (MPII eval; REFERENCES.md)
H5_MISSING = (0.0, 0.0)
JSON_MISSING = (-1.0, -1.0)
H5_KEYS = ("part", "visible", "center", "scale", "normalize", "imgname")
JSON_KEYS = ("image", "joints", "center", "scale")
SPLIT_FILES: dict[str, tuple[str, ...]] = {
    "train": ("train.h5", "annot/train.h5", "mpii_train.json", "annotations/mpii_train.json"),
    "val": ("valid.h5", "annot/valid.h5", "mpii_val.json", "annotations/mpii_val.json"),
}


@dataclass
class MpiiAnnotations:
    """Per-person arrays, 0-based pixels, pose-hg-train centre/scale."""

    path: Path
    joints: np.ndarray  # (N, 16, 2)
    annotated: np.ndarray  # (N, 16) bool
    visible: np.ndarray  # (N, 16) bool, the file's visibility flag (False for occluded or missing)
    center: np.ndarray  # (N, 2)
    scale: np.ndarray  # (N,) crop box = 200 · scale px
    normalize: np.ndarray  # (N,) PCKh normaliser, original px
    image_names: list[str]

    def __len__(self) -> int:
        return len(self.image_names)

    @property
    def box_px(self) -> np.ndarray:
        return self.scale * BOX_PX_PER_SCALE


def load_mpii_annotations(path: str | Path) -> MpiiAnnotations:
    """Read an MPII `.h5` (hourglass layout) or `.json` (mmpose layout); no images needed."""
    path = Path(path)
    if not path.is_file():
        raise CoexploreError("annotation file not found", field=str(path), fix="check the path after mpii:")
    if path.suffix.lower() in (".h5", ".hdf5"):
        return _load_h5(path)
    if path.suffix.lower() == ".json":
        return _load_json(path)
    raise CoexploreError(
        f"unknown annotation format {path.suffix!r}",
        field=str(path),
        fix="use the .h5 (hourglass) or .json (mmpose) layout",
    )


def _load_h5(path: Path) -> MpiiAnnotations:
    import h5py

    try:
        with h5py.File(path, "r") as f:
            missing = [k for k in H5_KEYS if k not in f]
            if missing:
                raise CoexploreError(
                    f"missing dataset(s) {', '.join(missing)}",
                    field=str(path),
                    fix=f"an MPII .h5 needs {', '.join(H5_KEYS)}",
                )
            data = {k: f[k][()] for k in H5_KEYS}
    except OSError as exc:
        raise CoexploreError(f"not a readable HDF5 file ({exc})", field=str(path),
                             fix="give the MPII annotations as .h5 (annot.h5 layout) or .json") from None
    part = np.asarray(data["part"], dtype=np.float64)
    n = part.shape[0]
    if part.ndim != 3 or part.shape[1:] != (MPII_NUM_JOINTS, 2):
        raise CoexploreError(
            f"part has shape {part.shape}, expected (N, {MPII_NUM_JOINTS}, 2)",
            field=f"{path}: part",
            fix="MPII has 16 joints",
        )
    for key in ("visible", "center", "scale", "normalize", "imgname"):
        if len(data[key]) != n:
            raise CoexploreError(f"{key} has {len(data[key])} rows, part has {n}", field=str(path))
    annotated = ~np.all(part == np.array(H5_MISSING), axis=-1)
    names = [name.decode() if isinstance(name, bytes) else str(name) for name in data["imgname"]]
    return MpiiAnnotations(
        path=path,
        joints=_zero_missing(part - MATLAB_INDEX_BASE, annotated),
        annotated=annotated,
        visible=np.asarray(data["visible"]) > 0,
        center=np.asarray(data["center"], dtype=np.float64) - MATLAB_INDEX_BASE,
        scale=np.asarray(data["scale"], dtype=np.float64),
        normalize=np.asarray(data["normalize"], dtype=np.float64),
        image_names=names,
    )


def _load_json(path: Path) -> MpiiAnnotations:
    entries = read_annotation_json(path, fix="check the file; mmpose's MPII layout is a list of records")
    if isinstance(entries, dict) and isinstance(entries.get("annotations"), list):
        entries = entries["annotations"]
    if not isinstance(entries, list):
        raise CoexploreError(
            "expected a JSON list of person records",
            field=str(path),
            fix="use mmpose's MPII layout: [{image, joints, joints_vis, center, scale}, ...]",
        )
    rows = [_parse_json_record(path, k, entry) for k, entry in enumerate(entries)]
    if not rows:
        raise CoexploreError("the annotation list is empty", field=str(path), fix="give a file with at least one person")
    joints = np.stack([r[0] for r in rows])
    annotated = ~np.all(joints == np.array(JSON_MISSING), axis=-1)
    flags = np.stack([r[1] for r in rows])
    center = np.stack([r[2] for r in rows])
    raw_scale = np.array([r[3] for r in rows])
    center[:, 1] += HG_CENTER_SHIFT_Y_PER_SCALE * raw_scale
    scale = raw_scale * HG_SCALE_FACTOR
    normalize = np.array([r[4] if r[4] is not None else HG_NORMALIZE_PER_SCALE * s for r, s in zip(rows, scale)])
    return MpiiAnnotations(
        path=path,
        joints=_zero_missing(joints - MATLAB_INDEX_BASE, annotated),
        annotated=annotated,
        visible=(flags > 0) & annotated,
        center=center - MATLAB_INDEX_BASE,
        scale=scale,
        normalize=normalize,
        image_names=[r[5] for r in rows],
    )


def _zero_missing(joints: np.ndarray, annotated: np.ndarray) -> np.ndarray:
    """Missing joints get (0, 0): finite, so no NaN reaches a loss; `annotated` says they are absent."""
    joints = joints.copy()
    joints[~annotated] = 0.0
    return joints


def _parse_json_record(
    path: Path, k: int, entry: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float | None, str]:
    where = f"{path}: record {k}"
    if not isinstance(entry, dict):
        raise CoexploreError("is not an object", field=where)
    missing = [key for key in JSON_KEYS if key not in entry]
    if missing:
        raise CoexploreError(
            f"missing key(s) {', '.join(missing)}",
            field=where,
            fix="each record needs image, joints, joints_vis, center, scale",
        )
    try:
        joints = np.asarray(entry["joints"], dtype=np.float64)
        flags = np.asarray(entry.get("joints_vis", np.ones(len(joints))), dtype=np.float64).reshape(-1)
        center = np.asarray(entry["center"], dtype=np.float64).reshape(2)
        scale = float(entry["scale"])
    except (TypeError, ValueError) as exc:
        raise CoexploreError(f"malformed numbers ({exc})", field=where) from exc
    if joints.shape != (MPII_NUM_JOINTS, 2):
        raise CoexploreError(
            f"joints has shape {joints.shape}, expected ({MPII_NUM_JOINTS}, 2)",
            field=f"{where} ({entry['image']})",
            fix="MPII has 16 joints",
        )
    if flags.shape != (MPII_NUM_JOINTS,):
        raise CoexploreError(
            f"joints_vis has {flags.size} values, expected {MPII_NUM_JOINTS}", field=f"{where} ({entry['image']})"
        )
    if not scale > 0:
        raise CoexploreError(f"scale must be > 0, got {scale}", field=f"{where} ({entry['image']})")
    normalize: float | None = None
    if "headbox" in entry:
        box = np.asarray(entry["headbox"], dtype=np.float64).reshape(-1)
        normalize = PCKH_HEAD_FACTOR * float(np.hypot(box[2] - box[0], box[3] - box[1]))
    elif "normalize" in entry:
        normalize = float(entry["normalize"])
    return joints, flags, center, scale, normalize, str(entry["image"])


def _resolve_annotation_file(path: Path, split: str) -> tuple[Path, bool]:
    """(annotation file, is_split_file). A directory holding train/val files picks by split."""
    if path.is_dir():
        for name in SPLIT_FILES[split]:
            if (path / name).is_file():
                return path / name, True
        raise CoexploreError(
            f"no {split} annotation file in the folder (looked for {', '.join(SPLIT_FILES[split])})",
            field=str(path),
            fix="point mpii: at an annotation file, or add the split files",
        )
    return path, False


def _default_image_dir(annotation: Path, first_image: str) -> Path:
    candidates = [annotation.parent, annotation.parent / "images", annotation.parent.parent / "images"]
    for folder in candidates:
        if (folder / first_image).is_file():
            return folder
    return next((c for c in candidates[1:] if c.is_dir()), annotation.parent)


def mpii_records(annotations: MpiiAnnotations, image_dir: Path, rows: list[int]) -> list[PoseRecord]:
    return [
        PoseRecord(
            image=str(image_dir / annotations.image_names[r]),
            joints=annotations.joints[r],
            annotated=annotations.annotated[r],
            center=annotations.center[r],
            box_px=float(annotations.box_px[r]),
            normalizer_px=float(annotations.normalize[r]),
            info={"record": int(r), "image_file": annotations.image_names[r], "annotation_file": str(annotations.path)},
        )
        for r in rows
    ]


class MpiiDataset(ImageFileDataset):
    """MPII persons cropped by their (adjusted) centre/scale; PCKh with the head normaliser."""


def open_mpii(
    path: Path, request: SplitRequest, *, image_dir: str | Path | None = None, holdout: str = "hash"
) -> MpiiDataset:
    annotation_file, is_split_file = _resolve_annotation_file(path, request.split)
    annotations = load_mpii_annotations(annotation_file)
    names = annotations.image_names
    rows = list(range(len(annotations))) if is_split_file else holdout_split(names, request.split, holdout)
    folder = Path(image_dir).expanduser() if image_dir else _default_image_dir(annotation_file, names[0])
    return MpiiDataset(
        mpii_records(annotations, folder, rows), MPII_LAYOUT, request, kind="mpii", annotation_file=annotation_file,
        image_dir=folder, pck_kind="pckh",
    )  # fmt: skip
