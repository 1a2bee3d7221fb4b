"""coexplore.pose: pose datasets (synthetic figures, MPII, COCO, keypoint arrays), the shared crop
and augmentation affine, joint tables; heatmaps, metrics, the trainer and evaluation, in float or as the accelerator computes it (quantised).

pose trains and scores any network: it takes an `nn.Module` (evaluation) or a `NetworkFactory`
(training) built by its caller, and imports no other coexplore package but the shared modules.

Exports resolve lazily, so `import coexplore.pose` stays cheap (no h5py/pycocotools until used).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "PoseDataset": "coexplore.pose.dataset",
    "SplitRequest": "coexplore.pose.dataset",
    "PoseRecord": "coexplore.pose.records",
    "open_dataset": "coexplore.pose.sources",
    "NetworkFactory": "coexplore.pose.network",
    "TrainConfig": "coexplore.pose.train_config",
    "TrainResult": "coexplore.pose.outcome",
    "EvalResult": "coexplore.pose.outcome",
    "train": "coexplore.pose.trainer",
    "evaluate": "coexplore.pose.evaluation",
    "evaluate_quantized": "coexplore.pose.evaluation",
    "quantize_for": "coexplore.pose.quantization",
    "SyntheticConfig": "coexplore.pose.synthetic",
    "load_mpii_annotations": "coexplore.pose.mpii",
    "load_pose_prior": "coexplore.pose.priors",
    "JointLayout": "coexplore.pose.joints",
    "MPII_JOINTS": "coexplore.pose.joints",
    "COCO_JOINTS": "coexplore.pose.joints",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'coexplore.pose' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
