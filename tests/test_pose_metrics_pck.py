"""PCK / PCKh golden tests: predictions built so that the score is known by construction."""

import math

import h5py
import numpy as np
import pytest

from coexplore.errors import CoexploreError
from coexplore.pose.baseline import mean_pose, mean_pose_predictions
from coexplore.pose.metrics import (
    bbox_normalizer,
    head_size_from_box,
    pck,
    pckh,
    torso_normalizer,
)

# MPII joint order (REFERENCES.md "Metrics"): 6 pelvis, 7 thorax.
MPII_NAMES = ["r_ankle", "r_knee", "r_hip", "l_hip", "l_knee", "l_ankle", "pelvis", "thorax",
              "upper_neck", "head_top", "r_wrist", "r_elbow", "r_shoulder", "l_shoulder", "l_elbow", "l_wrist"]


def _offset(gt, fractions, normalizer, rng):
    """Move every joint by fractions[n, j] × normalizer[n] in a random direction."""
    angle = rng.uniform(0, 2 * math.pi, size=fractions.shape)
    step = fractions * normalizer[:, None]
    return gt + np.stack([step * np.cos(angle), step * np.sin(angle)], axis=-1)


def test_pck_counts_hits_below_alpha_times_normaliser():
    rng = np.random.default_rng(0)
    gt = rng.uniform(0, 100, size=(10, 4, 2))
    norm = rng.uniform(10, 30, size=10)
    # Joint 0 always right (0.1), joint 1 always wrong (0.3), joint 2 right in the first 7 samples.
    fractions = np.array([[0.1, 0.3, 0.1 if n < 7 else 0.3, 0.15] for n in range(10)])
    pred = _offset(gt, fractions, norm, rng)
    res = pck(pred, gt, np.ones((10, 4)), norm, alpha=0.2, joint_names=list("abcd"))
    assert res.per_joint == pytest.approx({"a": 100.0, "b": 0.0, "c": 70.0, "d": 100.0})
    assert res.mean == pytest.approx(100 * (10 + 0 + 7 + 10) / 40)
    assert res.count == 40


def test_pck_is_strict_at_the_threshold():
    # MPII evaluation: correct iff dist / normalizer < alpha; exactly at the threshold is wrong.
    gt = np.zeros((2, 1, 2))
    pred = np.array([[[5.0, 0.0]], [[4.999, 0.0]]])
    res = pck(pred, gt, np.ones((2, 1)), np.array([10.0, 10.0]), alpha=0.5)
    assert res.mean == pytest.approx(50.0)


def test_invisible_joints_and_zero_normalisers_are_not_counted():
    gt = np.zeros((3, 2, 2))
    pred = np.zeros((3, 2, 2))
    pred[:, 1] = 100.0  # joint 1 always wrong...
    visible = np.array([[1, 0], [1, 0], [1, 1]])  # ...but counted only in sample 2
    norm = np.array([10.0, 10.0, 0.0])  # and sample 2 has no normaliser: skipped
    res = pck(pred, gt, visible, norm, joint_names=["a", "b"])
    assert res.per_joint["a"] == 100.0
    assert math.isnan(res.per_joint["b"])
    assert res.count == 2 and res.mean == 100.0


def test_pckh_mean_excludes_pelvis_and_thorax_and_pools_joints():
    rng = np.random.default_rng(1)
    n = 20
    gt = rng.uniform(0, 200, size=(n, 16, 2))
    head = rng.uniform(20, 40, size=n)
    fractions = np.full((n, 16), 0.2)
    fractions[:, 6] = fractions[:, 7] = 0.9  # pelvis and thorax always wrong: must not lower the Mean
    fractions[:10, 0] = 0.8  # r_ankle right in half the samples
    visible = np.ones((n, 16))
    visible[:15, 9] = 0  # head_top annotated in 5 samples only: pooled mean weights it by 5
    pred = _offset(gt, fractions, head, rng)
    res = pckh(pred, gt, visible, head, joint_names=MPII_NAMES)
    assert res.per_joint["pelvis"] == 0.0 and res.per_joint["thorax"] == 0.0
    assert res.per_joint["r_ankle"] == pytest.approx(50.0)
    assert res.per_joint["head_top"] == 100.0
    counted = 13 * n + 5  # 14 joints, head_top in 5 samples only
    assert res.count == counted
    assert res.mean == pytest.approx(100.0 * (counted - 10) / counted)
    assert set(res.excluded) == {"pelvis", "thorax"}


def test_pckh_on_real_mpii_normalisers(shared_data):
    """Real MPII validation joints and `normalize` (valid.h5), predictions moved by known fractions of
    the head size: PCKh@0.5 equals the share of joints moved by less than 0.5 (by construction)."""
    with h5py.File(shared_data / "mpii" / "valid.h5", "r") as f:
        gt = f["part"][:300]
        visible = f["visible"][:300]
        normalize = f["normalize"][:300]
    rng = np.random.default_rng(2)
    fractions = rng.choice([0.25, 0.75], size=visible.shape)
    pred = _offset(gt, fractions, normalize, rng)
    res = pckh(pred, gt, visible, normalize, joint_names=MPII_NAMES)
    keep = np.ones(16, bool)
    keep[[6, 7]] = False
    counted = visible[:, keep] > 0
    expected = 100.0 * (fractions[:, keep][counted] < 0.5).mean()
    assert res.mean == pytest.approx(expected)
    assert res.count == counted.sum()


def test_normalisers():
    gt = np.array([[[0, 0], [30, 10], [10, 40], [99, 99]]], dtype=float)
    visible = np.array([[1, 1, 1, 0]])
    assert bbox_normalizer(gt, visible)[0] == pytest.approx(40.0)  # max(w 30, h 40); joint 3 ignored
    # 0.6 × head-box diagonal (MPII evaluation, REFERENCES.md "Metrics"): a 30×40 box → 0.6 × 50.
    assert head_size_from_box([[10, 10, 40, 50]])[0] == pytest.approx(30.0)
    joints = np.zeros((1, 16, 2))
    joints[0, 12] = [0, 0]   # r_shoulder
    joints[0, 3] = [30, 40]  # l_hip: diagonal 50
    joints[0, 13] = [10, 0]  # l_shoulder
    joints[0, 2] = [10, 30]  # r_hip: diagonal 30
    vis = np.ones((1, 16))
    assert torso_normalizer(joints, vis)[0] == pytest.approx(40.0)
    vis[0, 2] = 0
    assert torso_normalizer(joints, vis)[0] == pytest.approx(50.0)


def test_shape_errors_are_user_errors():
    with pytest.raises(CoexploreError, match="pred"):
        pck(np.zeros((2, 3, 2)), np.zeros((2, 4, 2)), np.ones((2, 4)), 1.0)
    with pytest.raises(CoexploreError, match="joint_names"):
        pck(np.zeros((2, 3, 2)), np.zeros((2, 3, 2)), np.ones((2, 3)), 1.0, joint_names=["a"])


def test_mean_pose_baseline_is_the_per_joint_mean_of_annotated_joints():
    gt = np.array([[[0, 0], [10, 10]], [[2, 4], [99, 99]], [[4, 8], [20, 30]]], dtype=float)
    visible = np.array([[1, 1], [1, 0], [1, 1]])
    assert mean_pose(gt, visible) == pytest.approx(np.array([[2, 4], [15, 20]]))
    preds = mean_pose_predictions(gt, visible)
    assert preds.shape == gt.shape and (preds[0] == preds[2]).all()
