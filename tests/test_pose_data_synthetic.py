"""The synthetic figures: contract, determinism, geometry vs pixels, priors, and non-triviality."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from coexplore.errors import CoexploreError
from coexplore.pose import affine, load_pose_prior, open_dataset
from coexplore.pose.dataset import SAMPLE_KEYS
from coexplore.pose.joints import MPII_INDEX, MPII_JOINTS
from coexplore.pose.synthetic import PCKH_HEAD_FACTOR, Scene, SyntheticConfig, render


def test_contract_and_defaults():
    train, val = open_dataset("synthetic", "train", 64), open_dataset("synthetic", "val", 64)
    assert (len(train), len(val)) == (4000, 500)
    assert (train.name, train.num_joints, train.pck_kind, train.joint_names) == (
        "synthetic",
        16,
        "pckh",
        list(MPII_JOINTS),
    )
    sample = train[7]
    assert set(sample) == set(SAMPLE_KEYS)
    assert sample["image"].shape == (3, 64, 64) and sample["image"].dtype == torch.float32
    assert 0 <= float(sample["image"].min()) and float(sample["image"].max()) <= 1
    assert sample["joints"].shape == (16, 2) and sample["visible"].shape == (16,) and sample["normalizer"].shape == ()
    assert int(sample["index"]) == 7 and sample["transform"].shape == (2, 3)
    batch = next(iter(torch.utils.data.DataLoader(train, batch_size=4)))
    assert batch["image"].shape == (4, 3, 64, 64) and batch["normalizer"].shape == (4,)


def test_deterministic_per_seed_split_and_index():
    a = open_dataset("synthetic", "train", 64, seed=1)
    b = open_dataset("synthetic", "train", 64, seed=1)
    for i in (0, 5, 3999):
        x, y = a[i], b[i]
        assert all(torch.equal(x[k], y[k]) for k in SAMPLE_KEYS)
    assert not torch.equal(a[0]["image"], a[1]["image"])
    assert not torch.equal(a[0]["joints"], open_dataset("synthetic", "val", 64, seed=1)[0]["joints"])
    assert not torch.equal(a[0]["joints"], open_dataset("synthetic", "train", 64, seed=2)[0]["joints"])
    cached = open_dataset("synthetic", "train", 64, seed=1, cache=True)
    assert torch.equal(cached[5]["image"], a[5]["image"]) and 5 in cached._images
    assert torch.equal(cached[5]["image"], a[5]["image"])  # served from the cache


def test_any_resolution_is_the_same_scene():
    small, large = open_dataset("synthetic", "val", 64), open_dataset("synthetic", "val", 192)
    for i in range(5):
        # pixel-centre convention: x_192 = (x_64 + 0.5) * 3 - 0.5
        np.testing.assert_allclose(
            large.targets(i)["joints"].numpy(), (small.targets(i)["joints"].numpy() + 0.5) * 3 - 0.5, atol=1e-3
        )


def test_augmentation_is_deterministic_and_varies_by_epoch():
    ds = open_dataset("synthetic", "train", 64, augment=True, seed=4)
    again = open_dataset("synthetic", "train", 64, augment=True, seed=4)
    first, second = ds[3], ds[3]  # the per-index fetch count moves the stream on
    assert not torch.equal(first["joints"], second["joints"])
    replay = again[3]
    assert torch.equal(replay["joints"], first["joints"]) and torch.equal(replay["image"], first["image"])
    ds.set_epoch(0)
    assert torch.equal(ds[3]["joints"], first["joints"])
    plain = open_dataset("synthetic", "train", 64, seed=4)
    scene_joints = plain.scene(3).joints
    for epoch in range(6):
        ds.set_epoch(epoch)
        aug = ds.augmentation(3)
        sample = ds[3]
        m = affine.crop_matrix((31.5, 31.5), 64, 64, aug)
        expected = affine.apply(m, scene_joints)
        if aug.flip:
            expected = expected[ds.layout.flip_permutation()]
        np.testing.assert_allclose(sample["joints"].numpy(), expected, atol=1e-3)
        back = affine.apply(sample["transform"].double().numpy(), sample["joints"].double().numpy())
        target = scene_joints[ds.layout.flip_permutation()] if aug.flip else scene_joints
        assert np.abs(back - target).max() < 0.5


def test_rendering_puts_pixels_where_the_geometry_is():
    # A lone disc on black, rendered through an augmentation: its centroid is the mapped point.
    scene = Scene(
        res=96,
        joints=np.zeros((16, 2)),
        head_diameter_px=10.0,
        occluded=np.zeros(16, bool),
        facing_front=True,
        background=((0, 0, 0),) * 4,
        primitives=[("disc", np.array([[30.0, 55.0]]), 9.0, (255, 255, 255))],
    )
    ys, xs = np.mgrid[:96, :96]
    for aug in (affine.IDENTITY, affine.Augmentation(25.0, 0.8, True)):
        m = affine.crop_matrix((47.5, 47.5), 96, 96, aug)
        pixels = render(scene, m, 96).astype(float)[..., 0]
        centroid = np.array([(pixels * xs).sum(), (pixels * ys).sum()]) / pixels.sum()
        np.testing.assert_allclose(centroid, affine.apply(m, [30.0, 55.0]), atol=0.3)
        area = pixels.sum() / 255
        assert area == pytest.approx(np.pi * (4.5 * affine.zoom_of(m)) ** 2, rel=0.15)


def test_labels_follow_the_mpii_convention():
    ds = open_dataset("synthetic", "val", 64, size=200)
    occluded_seen = False
    for i in range(len(ds)):
        scene, target = ds.scene(i), ds.targets(i)
        inside = affine.inside(scene.joints, 64)
        # only joints off the image are invisible; occluded ones stay annotated (MPII counts them)
        np.testing.assert_array_equal(target["visible"].numpy() > 0, inside)
        occluded_seen |= bool((scene.occluded & inside).any())
        head = np.hypot(*(scene.joints[MPII_INDEX["head_top"]] - scene.joints[MPII_INDEX["upper_neck"]]))
        assert float(target["normalizer"]) == pytest.approx(PCKH_HEAD_FACTOR * np.sqrt(2) * head, rel=1e-5)
    assert occluded_seen


def _mean_pose_pckh(train_targets, val_targets) -> float:
    """PCKh@0.5 of predicting the train split's mean pose on every val image, MPII mean (no pelvis
    or thorax), computed here independently of the trainer's metrics module."""
    visible = train_targets["visible"]
    mean_pose = (train_targets["joints"] * visible[..., None]).sum(0) / visible.sum(0)[:, None]
    dist = (val_targets["joints"] - mean_pose).norm(dim=-1) / val_targets["normalizer"][:, None]
    counted = val_targets["visible"].clone()
    counted[:, [MPII_INDEX["pelvis"], MPII_INDEX["thorax"]]] = 0
    return float(((dist < 0.5).float() * counted).sum() / counted.sum())


def _mean_pose_pckh_against(prediction, val_targets) -> float:
    dist = (val_targets["joints"] - prediction["joints"]).norm(dim=-1) / val_targets["normalizer"][:, None]
    counted = val_targets["visible"].clone()
    counted[:, [MPII_INDEX["pelvis"], MPII_INDEX["thorax"]]] = 0
    return float(((dist < 0.5).float() * counted).sum() / counted.sum())


@pytest.mark.parametrize("prior", [False, True])
def test_mean_pose_baseline_is_low(prior, shared_data):
    options = {"pose_prior": shared_data / "mpii" / "valid.h5"} if prior else {}
    train = open_dataset("synthetic", "train", 128, size=1500, **options).all_targets()
    val = open_dataset("synthetic", "val", 128, **options).all_targets()
    score = _mean_pose_pckh(train, val)
    # the task brief asks for < 10 %; a 1-stack F=32 net reached ≈ 22 % after short training on a
    # comparable generator (REFERENCES.md, "Training cost")
    assert 0.01 < score < 0.10
    # the scorer can score high: shifting every true joint by 0.4 head sizes keeps PCKh@0.5 at 100 %
    shifted = {**val, "joints": val["joints"] + 0.4 * val["normalizer"][:, None, None] * torch.tensor([1.0, 0.0])}
    assert _mean_pose_pckh_against(shifted, val) == pytest.approx(1.0)


def test_pose_prior_from_real_mpii_poses(shared_data):
    prior = load_pose_prior(shared_data / "mpii" / "valid.h5")
    assert len(prior) == 2017  # persons of valid.h5 with all 16 joints annotated
    np.testing.assert_allclose(prior.poses[:, MPII_INDEX["pelvis"]], 0.0)
    json_prior = load_pose_prior(shared_data / "mmpose_fixtures" / "mpii" / "test_mpii.json")
    assert len(json_prior) == 3  # two of the five persons miss both ankles
    # body units: the head-top-to-ankle extent of a standing adult is about one person height
    heights = prior.poses[..., 1].max(1) - prior.poses[..., 1].min(1)
    assert 0.6 < float(np.median(heights)) < 1.2
    ds = open_dataset("synthetic", "val", 64, size=20, pose_prior=prior)
    assert ds.prior is prior and ds[0]["image"].shape == (3, 64, 64)


def test_bad_options_are_clear():
    with pytest.raises(CoexploreError, match="unknown option.*colour"):
        open_dataset("synthetic", "train", 64, colour="red")
    with pytest.raises(CoexploreError, match="unknown synthetic option.*fog"):
        open_dataset("synthetic", "train", 64, config={"fog": 1})
    assert open_dataset("synthetic", "train", 64, config={"distractor_prob": 0.0}).config == SyntheticConfig(
        distractor_prob=0.0
    )
    with pytest.raises(CoexploreError, match="split"):
        open_dataset("synthetic", "test", 64)
    with pytest.raises(CoexploreError, match="data source"):
        open_dataset("imagenet:/x", "train", 64)
    with pytest.raises(CoexploreError, match="size"):
        open_dataset("synthetic", "train", 64, size=0)
    with pytest.raises(IndexError):
        open_dataset("synthetic", "train", 64, size=3)[3]
