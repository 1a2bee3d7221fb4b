"""Generic "images + keypoints array" loader (`keypoints:PATH`), e.g. DeepPoseKit's fly set.

Layouts:
- HDF5 with `images` (N, H, W) or (N, H, W, C) uint8 and `annotations` (or `keypoints`) (N, J, 2)
  as (x, y) pixels; an optional `skeleton` (J, 2) whose column 0 holds parent indices. Its swap
  column is ignored: the fly file's is wrong for the mid legs (shared/data/fly/FORMAT.md).
- `.npz` with the same arrays (`images`, `keypoints` or `annotations`, optional `joint_names`).

Joint names come from `joint_names=`, else `skeleton_csv=`, else a `skeleton.csv` (name, parent,
swap) beside the file; flip pairs are derived from the names. Without names there is no safe
left/right swap, so flips are left out of the augmentation.

Every record is the whole frame (centre of the image, box = its longer side). NaN keypoints are
missing. The PCK normaliser is the size of the keypoints' bounding box, max(w, h), per frame (the
fly is ~95 px head to abdomen, so PCK@0.2 ≈ 19 px). Split: fixed, frame i is validation iff
i mod 5 == 4 (20 %), so the same frames are held out on every machine.
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from coexplore.errors import CoexploreError, choice_error
from coexplore.pose.dataset import SplitRequest
from coexplore.pose.records import PoseRecord, RecordDataset
from coexplore.pose.joints import JointLayout, layout_from_names

VAL_MODULUS = 5  # frame i is in val iff i % 5 == VAL_REMAINDER (a fixed 80/20 split)
VAL_REMAINDER = 4
KEYPOINT_KEYS = ("annotations", "keypoints")
KEYPOINT_HOLDOUTS = ("fixed", "none")


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise CoexploreError("file not found", field=str(path), fix="check the path after keypoints:")
    arrays: dict[str, np.ndarray] = {}
    if path.suffix.lower() == ".npz":
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:  # empty, truncated, pickled
            raise CoexploreError(f"not a readable .npz ({type(exc).__name__}: {exc})", field=str(path),
                                 fix="write it with numpy.savez (arrays 'images' and 'keypoints')") from None
    else:
        import h5py

        try:
            with h5py.File(path, "r") as f:
                arrays = {k: f[k][()] for k in f if isinstance(f[k], h5py.Dataset)}
        except OSError as exc:
            raise CoexploreError(
                f"not a readable HDF5 file ({exc})",
                field=str(path),
                fix="use an .h5 with 'images' and 'annotations', or an .npz",
            ) from exc
    return arrays


def _names_from_csv(path: Path) -> tuple[list[str], list[int]]:
    try:
        with path.open(newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise CoexploreError(f"cannot read ({exc})", field=str(path)) from exc
    if not rows or "name" not in rows[0]:
        raise CoexploreError("needs a 'name' column (and optionally 'parent')", field=str(path))
    names = [row["name"].strip() for row in rows]
    index = {name: k for k, name in enumerate(names)}
    parents = [index.get((row.get("parent") or "").strip(), -1) for row in rows]
    return names, parents


def _layout(
    path: Path,
    arrays: dict[str, np.ndarray],
    num_joints: int,
    joint_names: list[str] | None,
    skeleton_csv: str | Path | None,
) -> tuple[JointLayout, bool]:
    """(layout, names known)."""
    parents: list[int] | None = None
    if "skeleton" in arrays and np.asarray(arrays["skeleton"]).shape == (num_joints, 2):
        parents = [int(p) for p in np.asarray(arrays["skeleton"])[:, 0]]
    names: list[str] | None = list(joint_names) if joint_names else None
    source = "joint_names"
    if names is None and "joint_names" in arrays:
        names = [str(n) for n in arrays["joint_names"]]
        source = f"{path}: joint_names"
    if names is None:
        csv_path = Path(skeleton_csv) if skeleton_csv else path.parent / "skeleton.csv"
        if csv_path.is_file():
            names, csv_parents = _names_from_csv(csv_path)
            parents = parents or csv_parents
            source = str(csv_path)
    if names is None:
        return JointLayout(
            tuple(f"kp{k}" for k in range(num_joints)), (), tuple((p, c) for c, p in enumerate(parents or []) if p >= 0)
        ), False
    if len(names) != num_joints:
        raise CoexploreError(
            f"{len(names)} joint names for {num_joints} keypoints per frame",
            field=source,
            fix="give one name per keypoint",
        )
    return layout_from_names(names, parents, source=source), True


class KeypointArrayDataset(RecordDataset):
    """Frames held in memory as an array; each record is one whole frame.

    `flip_allowed` is False when the joint names are unknown: no safe left/right swap for flips."""

    def __init__(
        self, images: np.ndarray, records: list[PoseRecord], layout: JointLayout, request: SplitRequest, *,
        name: str, source: str, flip_allowed: bool,
    ):  # fmt: skip
        super().__init__(records, layout, request, name=name, source=source, pck_kind="pck")
        self.images = images
        self.flip_allowed = flip_allowed

    def _open_image(self, record: PoseRecord, orig_to_input: np.ndarray) -> tuple[Image.Image, np.ndarray]:
        frame = self.images[int(record.image)]
        return Image.fromarray(frame[:, :, 0] if frame.shape[-1] == 1 else frame), np.hstack(
            [np.eye(2), np.zeros((2, 1))]
        )


def open_keypoints(
    path: Path,
    request: SplitRequest,
    *,
    joint_names: list[str] | None = None,
    skeleton_csv: str | Path | None = None,
    holdout: str = "fixed",
    name: str = "keypoints",
) -> KeypointArrayDataset:
    """holdout: "fixed" (i mod 5 == 4 → val) or "none" (every frame in both splits)."""
    arrays = _read_arrays(path)
    key = next((k for k in KEYPOINT_KEYS if k in arrays), None)
    if "images" not in arrays or key is None:
        raise CoexploreError(
            f"needs arrays 'images' and 'annotations' (found: {', '.join(sorted(arrays)) or 'none'})", field=str(path)
        )
    images = np.asarray(arrays["images"])
    try:
        keypoints = np.asarray(arrays[key], dtype=np.float64)
    except (TypeError, ValueError):
        raise CoexploreError(f"{key} are {arrays[key].dtype}, expected numbers (x, y pixels; NaN = missing)",
                             field=f"{path}: {key}", fix="store the keypoints as a float array (N, J, 2)") from None
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise CoexploreError(
            f"images has shape {images.shape}, expected (N, H, W) or (N, H, W, 1|3)", field=f"{path}: images"
        )
    if 0 in images.shape[:3]:
        raise CoexploreError(f"images has shape {images.shape}: no pixels or no frames", field=f"{path}: images",
                             fix="store at least one frame of at least 1×1 pixels")
    if images.dtype != np.uint8:
        raise CoexploreError(f"images are {images.dtype}, expected uint8", field=f"{path}: images")
    if keypoints.ndim != 3 or keypoints.shape[2] != 2:
        raise CoexploreError(f"{key} has shape {keypoints.shape}, expected (N, J, 2)", field=f"{path}: {key}")
    if keypoints.shape[0] != images.shape[0]:
        raise CoexploreError(
            f"{keypoints.shape[0]} keypoint rows for {images.shape[0]} images",
            field=str(path),
            fix="one row of keypoints per frame",
        )
    layout, names_known = _layout(path, arrays, keypoints.shape[1], joint_names, skeleton_csv)
    if holdout not in KEYPOINT_HOLDOUTS:
        raise choice_error("holdout", holdout, KEYPOINT_HOLDOUTS)
    frames = list(range(images.shape[0]))
    if holdout != "none":
        frames = [i for i in frames if (i % VAL_MODULUS == VAL_REMAINDER) == (request.split == "val")]
    frames = request.first(frames)
    height, width = images.shape[1:3]
    center = np.array([(width - 1) / 2.0, (height - 1) / 2.0])
    records = []
    for i in frames:
        annotated = np.all(np.isfinite(keypoints[i]), axis=-1)
        joints = np.where(annotated[:, None], keypoints[i], 0.0)
        if not annotated.any():
            raise CoexploreError(f"record {i}: no finite keypoint", field=str(path),
                                 fix="mark missing keypoints NaN, but annotate at least two per frame")
        extent = joints[annotated].max(axis=0) - joints[annotated].min(axis=0)
        if extent.max() <= 0:  # the PCK normaliser would be 0: every distance would divide by it
            raise CoexploreError(f"record {i}: the keypoints span 0 px, PCK needs two distinct points",
                                 field=str(path), fix="annotate at least two separate keypoints per frame")
        records.append(
            PoseRecord(
                image=i,
                joints=joints,
                annotated=annotated,
                center=center,
                box_px=float(max(width, height)),
                normalizer_px=float(extent.max()),
                info={"record": i, "frame": i, "file": str(path)},
            )
        )
    return KeypointArrayDataset(
        images, records, layout, request, name=name, source=f"keypoints:{path}", flip_allowed=names_known
    )
