"""MPII loaders on the real files: valid.h5 (hourglass layout) and mmpose's test_mpii.json + images."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
import torch
from PIL import Image

from coexplore.errors import CoexploreError
from coexplore.pose import affine, load_mpii_annotations, open_dataset
from coexplore.pose.dataset import SAMPLE_KEYS
from coexplore.pose.joints import MPII_INDEX


@pytest.fixture(scope="module")
def valid_h5(shared_data):
    return shared_data / "mpii" / "valid.h5"


@pytest.fixture(scope="module")
def mpii_json(shared_data):
    return shared_data / "mmpose_fixtures" / "mpii" / "test_mpii.json"


def test_h5_annotations_counts_and_annotated_rule(valid_h5):
    ann = load_mpii_annotations(valid_h5)
    # mpii/FORMAT.md: 2,958 persons, 3,088 missing joints stored as (0, 0), 10,243 occluded annotated
    assert len(ann) == 2958 and ann.joints.shape == (2958, 16, 2)
    assert (~ann.annotated).sum() == 3088
    assert (ann.annotated & ~ann.visible).sum() == 10243
    # the border case: row 1856 head top at (0, 121) is real, although `x > 0` would drop it
    assert ann.annotated[1856, MPII_INDEX["head_top"]]
    np.testing.assert_allclose(ann.joints[1856, MPII_INDEX["head_top"]], [-1.0, 120.0])  # 0-based
    assert (ann.annotated.sum(axis=1) >= 5).all()
    np.testing.assert_allclose(ann.normalize, 20 * ann.scale, rtol=1e-12)  # FORMAT.md
    assert ann.image_names[0] == "005808361.jpg"


def test_h5_and_json_give_the_same_crops_for_rows_0_to_4(valid_h5, mpii_json):
    h5 = load_mpii_annotations(valid_h5)
    js = load_mpii_annotations(mpii_json)
    assert js.image_names == h5.image_names[:5]
    # pose-hg-train adjustment applied to the JSON's raw objpos/scale (FORMAT.md)
    np.testing.assert_allclose(js.center, h5.center[:5], atol=1e-5)
    np.testing.assert_allclose(js.scale, h5.scale[:5], rtol=1e-6)
    np.testing.assert_allclose(js.normalize, h5.normalize[:5], rtol=1e-6)
    np.testing.assert_array_equal(js.annotated, h5.annotated[:5])  # both ankles missing in rows 2 and 3
    assert (~js.annotated).sum() == 4
    # the same joints within the h5's integer truncation of neck/head top (< 1 px)
    both = js.annotated
    assert np.abs(js.joints[both] - h5.joints[:5][both]).max() < 1.0
    # so both crops put every joint at the same input position: exactly, except neck and head
    # top, which differ by the h5's truncation (< 1 original px, times the crop zoom)
    truncated = np.zeros(16, bool)
    truncated[[MPII_INDEX["upper_neck"], MPII_INDEX["head_top"]]] = True
    for r in range(5):
        m_json = affine.crop_matrix(js.center[r], js.box_px[r], 128)
        m_h5 = affine.crop_matrix(h5.center[r], h5.box_px[r], 128)
        diff = np.abs(affine.apply(m_json, js.joints[r]) - affine.apply(m_h5, h5.joints[r]))
        assert diff[both[r] & ~truncated].max() < 1e-3
        assert diff[both[r] & truncated].max() < affine.zoom_of(m_h5)


def test_json_dataset_samples_follow_the_contract(mpii_json):
    ds = open_dataset(f"mpii:{mpii_json}", "train", 128, holdout="none")
    assert (ds.name, ds.num_joints, ds.pck_kind, len(ds)) == ("mpii", 16, "pckh", 5)
    sample = ds[2]
    assert set(sample) == set(SAMPLE_KEYS)
    assert sample["image"].shape == (3, 128, 128) and sample["image"].dtype == torch.float32
    assert 0.0 <= float(sample["image"].min()) and float(sample["image"].max()) <= 1.0
    assert sample["joints"].shape == (16, 2) and sample["visible"].shape == (16,)
    assert sample["index"].dtype == torch.long and int(sample["index"]) == 2
    assert sample["transform"].shape == (2, 3)
    # 051423444.jpg: both ankles missing → visible 0; the rest annotated (occluded included)
    assert sample["visible"].tolist() == [0.0] + [1.0] * 4 + [0.0] + [1.0] * 10
    # normaliser: 20 × 1.25 × raw scale px, zoomed by 128 / (200 × 1.25 × raw scale) → 12.8 px
    assert float(sample["normalizer"]) == pytest.approx(12.8, rel=1e-5)
    assert ds.record_info(2)["image_file"] == "051423444.jpg"


@pytest.mark.parametrize("augment", [False, True])
def test_joints_round_trip_through_transform(valid_h5, shared_data, augment):
    ds = open_dataset(
        f"mpii:{valid_h5}",
        "val",
        128,
        size=5,
        holdout="none",
        image_dir=shared_data / "mmpose_fixtures" / "mpii",
        augment=augment,
        seed=3,
    )
    perm = np.array(ds.layout.flip_permutation())
    for i in range(len(ds)):
        aug = ds.augmentation(i)
        sample = ds[i]
        original, annotated = ds.original_joints(i)
        if aug.flip:
            original, annotated = original[perm], annotated[perm]
        back = affine.apply(sample["transform"].double().numpy(), sample["joints"].double().numpy())
        on_crop = sample["visible"].numpy() > 0
        assert np.abs(back[on_crop] - original[on_crop]).max() < 0.5
        assert not (on_crop & ~annotated).any()


def test_h5_and_json_crops_show_the_same_pixels(valid_h5, mpii_json, shared_data):
    images = shared_data / "mmpose_fixtures" / "mpii"
    from_h5 = open_dataset(f"mpii:{valid_h5}", "val", 64, size=5, holdout="none", image_dir=images)
    from_json = open_dataset(f"mpii:{mpii_json}", "val", 64, holdout="none")
    for i in range(5):
        a, b = from_h5[i]["image"], from_json[i]["image"]
        assert float((a - b).abs().mean()) < 0.01
    assert float((from_h5[0]["image"] - from_h5[1]["image"]).abs().mean()) > 0.05  # different people differ


def _marker_json(tmp_path, joints_1based: np.ndarray, size=(640, 480)) -> tuple:
    """A fake MPII JSON record whose image has a red, green and blue blob at joints 0, 9 and 15."""
    image = np.zeros((size[1], size[0], 3), np.uint8)
    for channel, j in enumerate((0, 9, 15)):
        x, y = joints_1based[j] - 1.0  # 0-based pixel centre
        image[int(y) - 3 : int(y) + 4, int(x) - 3 : int(x) + 4, channel] = 255
    Image.fromarray(image).save(tmp_path / "marker.png")
    record = {
        "image": "marker.png",
        "joints": joints_1based.tolist(),
        "joints_vis": [1] * 16,
        "center": [321.0, 200.0],
        "scale": 1.6,
    }
    path = tmp_path / "markers.json"
    path.write_text(json.dumps([record]))
    return path, (0, 9, 15)


def test_augmented_crops_keep_pixels_and_labels_together(tmp_path):
    rng = np.random.default_rng(0)
    joints = np.round(rng.uniform([220, 130], [420, 330], (16, 2))) + 1.0  # integer 0-based centres
    path, marked = _marker_json(tmp_path, joints)
    ds = open_dataset(f"mpii:{path}", "train", 96, holdout="none", augment=True, seed=0)
    perm = ds.layout.flip_permutation()
    flips = 0
    for epoch in range(8):
        ds.set_epoch(epoch)
        aug = ds.augmentation(0)
        flips += aug.flip
        sample = ds[0]
        image = sample["image"].numpy()
        for channel, j in enumerate(marked):
            label = perm[j] if aug.flip else j  # a mirrored right ankle is labelled left ankle
            weights = image[channel]
            ys, xs = np.mgrid[:96, :96]
            centroid = np.array([(weights * xs).sum(), (weights * ys).sum()]) / weights.sum()
            assert np.abs(centroid - sample["joints"][label].numpy()).max() < 0.5
    assert 0 < flips < 8  # both branches were exercised


def test_h5_without_images_fails_clearly_but_annotations_still_load(valid_h5):
    with pytest.raises(CoexploreError) as err:
        open_dataset(f"mpii:{valid_h5}", "val", 128)
    message = str(err.value)
    assert "valid.h5" in message and "not found" in message and "record" in message and "image_dir" in message
    assert len(load_mpii_annotations(valid_h5)) == 2958


def test_hash_holdout_splits_by_image(valid_h5, shared_data):
    ann = load_mpii_annotations(valid_h5)
    from coexplore.pose.records import holdout_split

    train = holdout_split(ann.image_names, "train", "hash")
    val = holdout_split(ann.image_names, "val", "hash")
    assert sorted(train + val) == list(range(len(ann)))
    assert 0.15 < len(val) / len(ann) < 0.25
    assert not {ann.image_names[i] for i in train} & {ann.image_names[i] for i in val}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON"),
        ('{"a": 1}', "expected a JSON list"),
        ("[]", "empty"),
        (
            '[{"image": "x.jpg", "joints": [[1, 2]], "joints_vis": [1], "center": [1, 2], "scale": 1}]',
            r"record 0.*joints has shape \(1, 2\)",
        ),
        ('[{"image": "x.jpg", "joints_vis": [1], "center": [1, 2], "scale": 1}]', "record 0.*missing key.*joints"),
    ],
)
def test_broken_json_names_the_file_and_record(tmp_path, content, expected):
    path = tmp_path / "broken.json"
    path.write_text(content)
    with pytest.raises(CoexploreError, match=expected) as err:
        open_dataset(f"mpii:{path}", "train", 64)
    assert "broken.json" in str(err.value)


def test_broken_h5_and_missing_image_and_empty_split(tmp_path, mpii_json, valid_h5):
    bad = tmp_path / "bad.h5"
    with h5py.File(bad, "w") as f:
        f["part"] = np.zeros((3, 15, 2))
        for key in ("visible",):
            f[key] = np.zeros((3, 15))
        f["center"], f["scale"], f["normalize"] = np.zeros((3, 2)), np.ones(3), np.ones(3)
        f["imgname"] = np.array([b"a.jpg"] * 3)
    with pytest.raises(CoexploreError, match=r"bad.h5: part.*\(N, 16, 2\)"):
        open_dataset(f"mpii:{bad}", "train", 64)
    no_key = tmp_path / "nokey.h5"
    with h5py.File(no_key, "w") as f:
        f["part"] = np.zeros((3, 16, 2))
    with pytest.raises(CoexploreError, match="nokey.h5.*missing dataset"):
        open_dataset(f"mpii:{no_key}", "train", 64)
    # a record whose image is gone: named by record number and file
    records = json.loads(mpii_json.read_text())
    records[1]["image"] = "gone.jpg"
    moved = tmp_path / "moved.json"
    moved.write_text(json.dumps(records))
    with pytest.raises(CoexploreError, match=r"record 1: image file .*gone.jpg not found"):
        open_dataset(f"mpii:{moved}", "train", 64, holdout="none", image_dir=mpii_json.parent)
    # a single record, hashed into train: the val split is empty
    one = tmp_path / "one.json"
    one.write_text(json.dumps(records[:1]))
    from coexplore.pose.records import holdout_split

    empty_split = "val" if not holdout_split([records[0]["image"]], "val", "hash") else "train"
    with pytest.raises(CoexploreError, match=f"the {empty_split} split has no records"):
        open_dataset(f"mpii:{one}", empty_split, 64, image_dir=mpii_json.parent)


def test_a_folder_with_split_files_picks_the_file_by_split(tmp_path, mpii_json):
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "mpii_val.json").write_text(mpii_json.read_text())
    (tmp_path / "images").mkdir()
    for jpg in mpii_json.parent.glob("*.jpg"):
        (tmp_path / "images" / jpg.name).symlink_to(jpg)
    val = open_dataset(f"mpii:{tmp_path}", "val", 64)
    assert len(val) == 5  # a split file is used whole, images found in images/ beside it
    with pytest.raises(CoexploreError, match="no train annotation file"):
        open_dataset(f"mpii:{tmp_path}", "train", 64)
