"""Pose accuracy metrics: PCK@α, PCKh@0.5 (MPII evaluation), and OKS AP through pycocotools.

Scores are percentages. Joint arrays are (N, J, 2) in any one pixel frame; `visible` (N, J) marks
the annotated joints that count (occluded-but-annotated joints count, as in the MPII evaluation).
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from coexplore.errors import CoexploreError

# MPII: a joint is correct if its error < 0.5 × head size; the reported Mean leaves out pelvis and
# thorax (REFERENCES.md "Metrics"; MPII evaluation code, as in pytorch-pose / mmpose `mpii_eval`).
PCKH_ALPHA = 0.5
PCKH_EXCLUDED_JOINTS = ("pelvis", "thorax")
# PCK@0.2 with the bounding-box (or torso) normaliser, LSP style (REFERENCES.md "Metrics").
PCK_ALPHA = 0.2
# Torso diagonals for the LSP-style torso normaliser, MPII joint indices (REFERENCES.md joint order):
# r-shoulder (12) ↔ l-hip (3) and l-shoulder (13) ↔ r-hip (2).
MPII_TORSO_DIAGONALS = ((12, 3), (13, 2))


@dataclass
class PCKResult:
    """mean: % of counted joints within α × normaliser (pooled over joints, as in the MPII Mean);
    per_joint: % per joint name (NaN where a joint never appears); count: joints counted in mean."""

    mean: float
    per_joint: dict[str, float]
    count: int
    alpha: float
    per_joint_count: dict[str, int] = field(default_factory=dict)
    excluded: tuple[str, ...] = ()


def _as_array(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def _joint_names(count: int, names: Sequence[str] | None) -> list[str]:
    if names is None:
        return [f"joint{j}" for j in range(count)]
    if len(names) != count:
        raise CoexploreError(
            f"{len(names)} joint names for {count} joints", field="joint_names", fix="pass one name per joint"
        )
    return list(names)


def joint_distances(pred: Any, gt: Any) -> np.ndarray:
    """Euclidean error per joint, (N, J)."""
    pred_a, gt_a = _as_array(pred), _as_array(gt)
    if pred_a.shape != gt_a.shape or pred_a.ndim != 3 or pred_a.shape[-1] != 2:
        raise CoexploreError(
            f"predictions {pred_a.shape} and ground truth {gt_a.shape} must both be (N, J, 2)",
            field="pred",
        )
    return np.linalg.norm(pred_a - gt_a, axis=-1)


def pck(
    pred: Any,
    gt: Any,
    visible: Any,
    normalizer: Any,
    alpha: float = PCK_ALPHA,
    *,
    joint_names: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
) -> PCKResult:
    """PCK@α: joint correct iff error < α × normaliser (strict, as the MPII evaluation).

    `normalizer` is per sample (N,) (head size, bbox size, torso size) or one number. Samples with a
    normaliser ≤ 0 are skipped. The mean pools all counted joints except the `exclude` names.
    """
    dist = joint_distances(pred, gt)
    n, j = dist.shape
    names = _joint_names(j, joint_names)
    vis = _as_array(visible).reshape(n, j) > 0
    norm = _as_array(normalizer).reshape(-1)
    if norm.size == 1:
        norm = np.full(n, norm[0])
    elif norm.size != n:
        raise CoexploreError(f"{norm.size} normalisers for {n} samples", field="normalizer")
    counted = vis & (norm[:, None] > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        correct = (dist / norm[:, None]) < alpha
    hits = (correct & counted).sum(axis=0)
    totals = counted.sum(axis=0)
    per_joint = {name: (100.0 * hits[k] / totals[k]) if totals[k] else float("nan") for k, name in enumerate(names)}
    keep = np.array([name not in exclude for name in names])
    pooled_total = int(totals[keep].sum())
    mean = 100.0 * hits[keep].sum() / pooled_total if pooled_total else float("nan")
    return PCKResult(
        mean=float(mean),
        per_joint={k: float(v) for k, v in per_joint.items()},
        count=pooled_total,
        alpha=alpha,
        per_joint_count={name: int(totals[k]) for k, name in enumerate(names)},
        excluded=tuple(name for name in names if name in exclude),
    )


def pckh(
    pred: Any,
    gt: Any,
    visible: Any,
    head_size: Any,
    *,
    joint_names: Sequence[str] | None = None,
    alpha: float = PCKH_ALPHA,
) -> PCKResult:
    """PCKh@0.5 as in the MPII evaluation: head-size normaliser, Mean without pelvis and thorax.

    `head_size` is per sample in the same pixels as the joints: the dataset's `normalize`, or
    0.6 × the head-box diagonal (`head_size_from_box`).
    """
    return pck(pred, gt, visible, head_size, alpha, joint_names=joint_names, exclude=PCKH_EXCLUDED_JOINTS)


# MPII evaluation: head size = 0.6 × head-box diagonal (SC_BIAS in the MPII code; REFERENCES.md).
HEAD_BOX_DIAGONAL_FACTOR = 0.6


def head_size_from_box(head_boxes: Any) -> np.ndarray:
    """Head sizes from head boxes (N, 4) as (x1, y1, x2, y2)."""
    boxes = _as_array(head_boxes).reshape(-1, 4)
    return HEAD_BOX_DIAGONAL_FACTOR * np.hypot(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])


def bbox_normalizer(gt: Any, visible: Any) -> np.ndarray:
    """max(width, height) of the box around each sample's annotated joints, (N,) (0 if none)."""
    gt_a = _as_array(gt)
    vis = _as_array(visible) > 0
    lo = np.where(vis[..., None], gt_a, np.inf).min(axis=1)
    hi = np.where(vis[..., None], gt_a, -np.inf).max(axis=1)
    size = (hi - lo).max(axis=-1)
    return np.where(np.isfinite(size), size, 0.0)


def torso_normalizer(gt: Any, visible: Any, diagonals: Sequence[tuple[int, int]] = MPII_TORSO_DIAGONALS) -> np.ndarray:
    """Torso size per sample (N,): mean length of the annotated shoulder↔opposite-hip diagonals."""
    gt_a = _as_array(gt)
    vis = _as_array(visible) > 0
    lengths, valid = [], []
    for a, b in diagonals:
        lengths.append(np.linalg.norm(gt_a[:, a] - gt_a[:, b], axis=-1))
        valid.append(vis[:, a] & vis[:, b])
    length_arr, valid_arr = np.stack(lengths, axis=1), np.stack(valid, axis=1)
    n_valid = valid_arr.sum(axis=1)
    total = (length_arr * valid_arr).sum(axis=1)
    return np.where(n_valid > 0, total / np.maximum(n_valid, 1), 0.0)


# ---------------------------------------------------------------------------------------------------
# COCO: OKS AP through pycocotools


@dataclass
class OKSResult:
    """COCO keypoint AP/AR in %: `ap` is AP@[.50:.95] (the headline number); `stats` the 10 values of
    COCOeval.summarize() in its order (AP, AP50, AP75, APm, APl, AR, AR50, AR75, ARm, ARl)."""

    ap: float
    ap50: float
    ap75: float
    ar: float
    stats: list[float]
    count: int


def coco_results(
    coords: Any,
    scores: Any,
    image_ids: Sequence[int],
    *,
    keypoint_scores: Any | None = None,
    category_id: int = 1,
) -> list[dict[str, Any]]:
    """Predictions (N, J, 2) in original-image pixels → the official COCO keypoint results list."""
    xy = _as_array(coords)
    score_arr = _as_array(scores).reshape(-1)
    kp_scores = np.ones(xy.shape[:2]) if keypoint_scores is None else _as_array(keypoint_scores)
    results = []
    for i, image_id in enumerate(image_ids):
        triples = np.concatenate([xy[i], kp_scores[i][:, None]], axis=1).reshape(-1)
        results.append(
            {
                "image_id": int(image_id),
                "category_id": category_id,
                "keypoints": [round(float(v), 3) for v in triples],
                "score": float(score_arr[i]),
            }
        )
    return results


def write_coco_results(path: str | Path, results: list[dict[str, Any]]) -> Path:
    """Write a results list in the official COCO format (a JSON list)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results))
    return out


def _load_coco(ground_truth: Any) -> Any:
    from pycocotools.coco import COCO

    if isinstance(ground_truth, COCO):
        return ground_truth
    path = Path(ground_truth)
    if not path.is_file():
        raise CoexploreError(f"COCO annotation file {path} not found", field="ground_truth")
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress lines
        try:
            return COCO(str(path))
        except (ValueError, KeyError, json.JSONDecodeError) as exc:
            raise CoexploreError(f"{path}: not a COCO annotation file ({exc})", field="ground_truth") from exc


def oks_ap(
    results: list[dict[str, Any]] | str | Path,
    ground_truth: Any,
    *,
    image_ids: Sequence[int] | None = None,
    verbose: bool = False,
) -> OKSResult:
    """OKS AP of keypoint `results` (list or results-JSON path) against a COCO annotation file / COCO.

    Uses pycocotools' COCOeval with iouType "keypoints" and its per-keypoint sigmas.
    `image_ids` restricts the evaluation (e.g. to the images of a validation split).
    """
    from pycocotools.cocoeval import COCOeval

    coco_gt = _load_coco(ground_truth)
    if isinstance(results, (str, Path)):
        results = json.loads(Path(results).read_text())
    if not results:
        raise CoexploreError("no keypoint predictions to evaluate", field="results")
    sink = contextlib.nullcontext() if verbose else contextlib.redirect_stdout(io.StringIO())
    with sink:
        coco_dt = coco_gt.loadRes([dict(r) for r in results])  # loadRes adds keys to each dict
        evaluator = COCOeval(coco_gt, coco_dt, "keypoints")
        if image_ids is not None:
            evaluator.params.imgIds = sorted({int(i) for i in image_ids})
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    stats = [float(100.0 * s) for s in evaluator.stats]
    return OKSResult(ap=stats[0], ap50=stats[1], ap75=stats[2], ar=stats[5], stats=stats, count=len(results))
