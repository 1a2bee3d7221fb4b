"""Generic images + keypoints loader on the real DeepPoseKit fly set (and .npz / broken inputs)."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from coexplore.errors import CoexploreError
from coexplore.pose import affine, open_dataset


@pytest.fixture(scope="module")
def fly_h5(shared_data):
    return shared_data / "fly" / "example_annotation_set.h5"


@pytest.fixture(scope="module")
def fly_raw(fly_h5):
    with h5py.File(fly_h5, "r") as f:
        return f["images"][()], f["annotations"][()]


def test_fixed_split_and_layout(fly_h5, monkeypatch):
    monkeypatch.setenv("COEXPLORE_FLY", str(fly_h5))
    train, val = open_dataset("fly", "train", 192), open_dataset("fly", "val", 192)
    assert (train.name, train.num_joints, train.pck_kind) == ("fly", 32, "pck")
    assert (len(train), len(val)) == (80, 20)  # fly/FORMAT.md: 100 frames; i % 5 == 4 → val
    assert [val.record_info(k)["frame"] for k in range(3)] == [4, 9, 14]
    assert train.joint_names[12] == "midlegR3" and len(train.flip_pairs) == 14
    same = open_dataset(f"keypoints:{fly_h5}", "val", 192)
    assert same.name == "keypoints" and same.record_info(0) == val.record_info(0)


def test_identity_crop_keeps_pixels_and_keypoints(fly_h5, fly_raw):
    images, keypoints = fly_raw
    ds = open_dataset(f"keypoints:{fly_h5}", "train", 192)
    sample = ds[0]
    # 192 → 192: the crop is the identity, the image is the grayscale frame replicated to RGB
    np.testing.assert_allclose(sample["joints"].numpy(), keypoints[0], atol=1e-4)
    np.testing.assert_allclose(sample["image"][0].numpy() * 255, images[0, :, :, 0], atol=0.51)
    assert (sample["image"][0] == sample["image"][2]).all()
    # normaliser = bounding box of the keypoints, max(w, h)
    extent = keypoints[0].max(axis=0) - keypoints[0].min(axis=0)
    assert float(sample["normalizer"]) == pytest.approx(extent.max(), rel=1e-5)
    assert sample["visible"].sum() == 32


def test_keypoints_sit_on_the_fly_after_augmentation(fly_h5):
    # fly/FORMAT.md: 94 % of keypoints lie on pixels > 20 (the fly), against 19 % of all pixels.
    ds = open_dataset(f"keypoints:{fly_h5}", "train", 96, augment=True, seed=5)
    on_fly = total = 0
    for i in range(0, 80, 4):
        sample = ds[i]
        xy = np.round(sample["joints"].numpy()).astype(int)
        keep = sample["visible"].numpy() > 0
        values = sample["image"][0].numpy()[xy[keep, 1], xy[keep, 0]] * 255
        on_fly += int((values > 20).sum())
        total += int(keep.sum())
    assert on_fly / total > 0.85


def test_flip_swaps_left_and_right_legs(fly_h5):
    ds = open_dataset(f"keypoints:{fly_h5}", "train", 192)
    plain = ds._sample(0, affine.IDENTITY, with_image=True)
    flipped = ds._sample(0, affine.Augmentation(0.0, 1.0, True), with_image=True)
    np.testing.assert_array_equal(flipped["image"], plain["image"][:, ::-1])
    perm = ds.layout.flip_permutation()
    mirrored = plain["joints"][perm] * np.array([-1.0, 1.0]) + np.array([191.0, 0.0])
    np.testing.assert_allclose(flipped["joints"], mirrored, atol=1e-9)
    # flipping twice is the identity on labels (the swap is an involution)
    assert [perm[p] for p in perm] == list(range(32))


def test_npz_layout_without_names_never_flips(tmp_path, fly_raw):
    images, keypoints = fly_raw
    keypoints = keypoints[:10].copy()
    keypoints[3, 7] = np.nan  # a missing keypoint
    path = tmp_path / "set.npz"
    np.savez(path, images=images[:10, :, :, 0], keypoints=keypoints)
    ds = open_dataset(f"keypoints:{path}", "train", 64, augment=True, holdout="none")
    assert len(ds) == 10 and ds.flip_pairs == [] and not ds.flip_allowed
    assert not any(ds.augmentation(i).flip for i in range(10))
    assert ds[3]["visible"][7] == 0 and ds[3]["visible"].sum() == 31
    names = [f"leg{k // 2}{'L' if k % 2 else 'R'}" for k in range(32)]
    named = open_dataset(f"keypoints:{path}", "train", 64, holdout="none", joint_names=names)
    assert named.flip_allowed and named.flip_pairs == [(k, k + 1) for k in range(0, 32, 2)]


def test_broken_keypoint_files(tmp_path, fly_raw):
    images, keypoints = fly_raw
    mismatch = tmp_path / "mismatch.h5"
    with h5py.File(mismatch, "w") as f:
        f["images"], f["annotations"] = images[:5], keypoints[:4]
    with pytest.raises(CoexploreError, match="mismatch.h5.*4 keypoint rows for 5 images"):
        open_dataset(f"keypoints:{mismatch}", "train", 64)
    names = tmp_path / "names.h5"
    with h5py.File(names, "w") as f:
        f["images"], f["annotations"] = images[:5], keypoints[:5]
    with pytest.raises(CoexploreError, match="3 joint names for 32 keypoints"):
        open_dataset(f"keypoints:{names}", "train", 64, joint_names=["a", "b", "c"])
    no_images = tmp_path / "noimages.h5"
    with h5py.File(no_images, "w") as f:
        f["annotations"] = keypoints[:5]
    with pytest.raises(CoexploreError, match="noimages.h5.*needs arrays 'images' and 'annotations'"):
        open_dataset(f"keypoints:{no_images}", "train", 64)
    garbage = tmp_path / "garbage.h5"
    garbage.write_bytes(b"not hdf5 at all")
    with pytest.raises(CoexploreError, match="garbage.h5.*not a readable HDF5"):
        open_dataset(f"keypoints:{garbage}", "train", 64)
    one = tmp_path / "one.h5"
    with h5py.File(one, "w") as f:
        f["images"], f["annotations"] = images[:1], keypoints[:1]
    with pytest.raises(CoexploreError, match="one.h5: the val split has no records"):
        open_dataset(f"keypoints:{one}", "val", 64)  # frame 0 is train under the fixed rule
