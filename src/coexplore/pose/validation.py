"""Validation: run a pose network over a split, decode its heatmaps, score with the split's metric.

The main metric follows the dataset's `pck_kind`: "pckh" → PCKh@0.5 (MPII, synthetic), "pck" →
PCK@0.2 with the dataset's normaliser (bbox size, e.g. the fly set), "oks" → COCO OKS AP through
pycocotools. Every score comes with the mean-pose baseline on the same split.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from coexplore.errors import CoexploreError
from coexplore.pose.baseline import mean_pose_predictions
from coexplore.pose.coco import CocoDataset
from coexplore.pose.dataset import PoseDataset
from coexplore.pose.heatmaps import decode_heatmaps, flip_heatmaps
from coexplore.pose.metrics import (
    PCK_ALPHA,
    PCKH_ALPHA,
    coco_results,
    oks_ap,
    pck,
    pckh,
    write_coco_results,
)
from coexplore.pose.outcome import Score

METRIC_NAMES = {"pckh": f"PCKh@{PCKH_ALPHA}", "pck": f"PCK@{PCK_ALPHA}", "oks": "OKS AP"}


@dataclass
class Predictions:
    """Decoded predictions and the matching ground truth of one split, all in input pixels."""

    coords: np.ndarray  # (N, J, 2)
    maxvals: np.ndarray  # (N, J)
    joints: np.ndarray  # (N, J, 2)
    visible: np.ndarray  # (N, J)
    normalizer: np.ndarray  # (N,)
    index: np.ndarray  # (N,)
    transform: np.ndarray  # (N, 2, 3) input px → original-image px


@torch.no_grad()
def predict(
    model: nn.Module,
    loader: Any,
    input_res: int,
    *,
    device: torch.device,
    flip_test: bool = False,
    flip_pairs: list[tuple[int, int]] | None = None,
    joints: int,
) -> Predictions:
    """Run the last stack's heatmaps over a loader; flip test averages with the mirrored image's maps.

    `joints`: how many the data has; a network predicting another number is a CoexploreError."""
    was_training = model.training
    model.eval()
    parts: dict[str, list[np.ndarray]] = {k: [] for k in Predictions.__dataclass_fields__}
    try:
        for batch in loader:
            images = batch["image"].to(device, non_blocking=True)
            heatmaps = _last_stack(model(images))
            if heatmaps.ndim != 4 or heatmaps.shape[1] != joints:
                raise CoexploreError(
                    f"the network outputs heatmaps of shape {tuple(heatmaps.shape)}, the data has {joints} joints",
                    field="data",
                    fix="evaluate on the kind of data the network was trained on (B, joints, H, W heatmaps)",
                )
            if flip_test:
                mirrored = _last_stack(model(images.flip(-1)))
                heatmaps = 0.5 * (heatmaps + flip_heatmaps(mirrored, flip_pairs or []))
            coords, maxvals = decode_heatmaps(heatmaps, input_res)
            parts["coords"].append(coords.cpu().numpy())
            parts["maxvals"].append(maxvals.cpu().numpy())
            parts["joints"].append(batch["joints"].numpy())
            parts["visible"].append(batch["visible"].numpy())
            parts["normalizer"].append(batch["normalizer"].reshape(-1).numpy())
            parts["index"].append(batch["index"].reshape(-1).numpy())
            parts["transform"].append(batch["transform"].numpy())
    finally:
        model.train(was_training)
    if not parts["coords"]:
        raise CoexploreError(
            "the validation split is empty",
            field="data",
            fix="use a larger --val-size or a dataset with validation records",
        )
    return Predictions(**{k: np.concatenate(v).astype(np.float64) for k, v in parts.items()})


def _last_stack(outputs: Any) -> torch.Tensor:
    """The builder returns a list of per-stack heatmaps; a plain tensor is one stack."""
    return outputs[-1] if isinstance(outputs, (list, tuple)) else outputs


def to_original(coords: np.ndarray, transform: np.ndarray) -> np.ndarray:
    """Input-pixel coordinates (N, J, 2) → original-image pixels through each sample's (2, 3) affine."""
    return np.einsum("nij,nkj->nki", transform[:, :, :2], coords) + transform[:, None, :, 2]


def score(dataset: PoseDataset, preds: Predictions, *, results_json: str | Path | None = None) -> Score:
    """Score predictions with the dataset's main metric, with a per-joint table and the baseline."""
    kind = dataset.pck_kind
    names = list(dataset.joint_names)
    baseline_coords = mean_pose_predictions(preds.joints, preds.visible)
    if kind == "pckh":
        main = _pckh(preds.coords, preds, names)
        base = _pckh(baseline_coords, preds, names)
        details: dict[str, Any] = {"excluded": list(main.excluded)}
    elif kind == "pck":
        main = pck(preds.coords, preds.joints, preds.visible, preds.normalizer, PCK_ALPHA, joint_names=names)
        base = pck(baseline_coords, preds.joints, preds.visible, preds.normalizer, PCK_ALPHA, joint_names=names)
        details = {}
    elif kind == "oks":
        return _score_oks(dataset, preds, baseline_coords, names, results_json)
    else:
        raise CoexploreError(
            f"dataset {dataset.name} has unknown pck_kind {kind!r}", field="pck_kind", fix="use one of: pckh, pck, oks"
        )
    return Score(
        metric=METRIC_NAMES[kind], accuracy=main.mean, per_joint=main.per_joint, per_joint_metric=METRIC_NAMES[kind],
        count=main.count, baseline_accuracy=base.mean, details=details,
    )  # fmt: skip


def _canonical(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "").replace(" ", "")


def _pckh(coords: np.ndarray, preds: Predictions, names: list[str]) -> Any:
    # Match "pelvis"/"thorax" whatever the spelling of the joint table (r_ankle, r-ankle, ...).
    result = pckh(coords, preds.joints, preds.visible, preds.normalizer, joint_names=[_canonical(n) for n in names])
    result.per_joint = dict(zip(names, result.per_joint.values(), strict=True))
    result.per_joint_count = dict(zip(names, result.per_joint_count.values(), strict=True))
    return result


def _score_oks(
    dataset: PoseDataset,
    preds: Predictions,
    baseline_coords: np.ndarray,
    names: list[str],
    results_json: str | Path | None,
) -> Score:
    if not isinstance(dataset, CocoDataset):
        raise CoexploreError(
            f"OKS AP needs COCO annotations, and dataset {dataset.name} has none",
            field="data",
            fix="open COCO data with coco:PATH",
        )
    ground_truth = dataset.coco
    image_ids = [int(dataset.record_info(int(i))["image_id"]) for i in preds.index]
    scores = preds.maxvals.mean(axis=1)
    results = coco_results(to_original(preds.coords, preds.transform), scores, image_ids, keypoint_scores=preds.maxvals)
    main = oks_ap(results, ground_truth, image_ids=image_ids)
    baseline_results = coco_results(to_original(baseline_coords, preds.transform), np.ones(len(image_ids)), image_ids)
    base = oks_ap(baseline_results, ground_truth, image_ids=image_ids)
    details: dict[str, Any] = {"coco_stats": main.stats}
    if results_json is not None:
        details["results_json"] = str(write_coco_results(results_json, results))
    # OKS AP has no per-joint form; the per-joint table reports PCK@0.2 with the bbox normaliser.
    per_joint = pck(preds.coords, preds.joints, preds.visible, preds.normalizer, PCK_ALPHA, joint_names=names)
    return Score(
        metric=METRIC_NAMES["oks"], accuracy=main.ap, per_joint=per_joint.per_joint, per_joint_metric=METRIC_NAMES["pck"],
        count=per_joint.count, baseline_accuracy=base.ap, details=details,
    )  # fmt: skip
