"""The mean-pose baseline: predict the same pose for every image.

A trained network must beat this by a wide margin, or its accuracy signal is noise. The mean is
fitted on the very split it is scored on, so it is the strongest constant predictor in the
least-squares sense: the margin a network shows over it is a conservative one.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def mean_pose(joints: Any, visible: Any) -> np.ndarray:
    """Per-joint mean position over the samples where the joint is annotated, (J, 2).

    A joint never annotated gets the mean of all annotated joints (somewhere in the middle).
    """
    xy = np.asarray(joints, dtype=np.float64)
    vis = np.asarray(visible, dtype=np.float64) > 0
    counts = vis.sum(axis=0)  # (J,)
    sums = (xy * vis[..., None]).sum(axis=0)  # (J, 2)
    fallback = xy[vis].mean(axis=0) if vis.any() else xy.reshape(-1, 2).mean(axis=0)
    safe_counts = np.maximum(counts, 1)[:, None]
    return np.where(counts[:, None] > 0, sums / safe_counts, fallback)


def mean_pose_predictions(joints: Any, visible: Any) -> np.ndarray:
    """The mean pose repeated for every sample, (N, J, 2): the baseline's predictions."""
    xy = np.asarray(joints, dtype=np.float64)
    return np.broadcast_to(mean_pose(xy, visible), xy.shape).copy()
