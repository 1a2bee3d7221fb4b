"""COCO keypoints loader on mmpose's real fixture (4 val2017 images, 14 person annotations)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from coexplore.errors import CoexploreError
from coexplore.pose import affine, open_dataset
from coexplore.pose.coco import BBOX_PADDING, square_box


@pytest.fixture(scope="module")
def coco_json(shared_data):
    return shared_data / "mmpose_fixtures" / "coco" / "test_coco.json"


@pytest.fixture(scope="module")
def coco_all(coco_json):
    return open_dataset(f"coco:{coco_json}", "val", 128, holdout="none")


def test_persons_without_keypoints_are_dropped(coco_all):
    # mmpose_fixtures/FORMAT.md: 14 annotations, 2 with num_keypoints = 0 (ids 1202706, 508900)
    assert (coco_all.name, coco_all.num_joints, coco_all.pck_kind, len(coco_all)) == ("coco", 17, "oks", 12)
    ids = [coco_all.record_info(i)["annotation_id"] for i in range(len(coco_all))]
    assert 1202706 not in ids and 508900 not in ids and len(set(ids)) == 12
    per_image = {}
    for i in range(len(coco_all)):
        per_image.setdefault(coco_all.record_info(i)["image_id"], []).append(i)
    assert {k: len(v) for k, v in per_image.items()} == {785: 1, 40083: 2, 196141: 4, 197388: 5}


def test_record_info_identifies_the_annotation(coco_all):
    info = coco_all.record_info(0)
    assert info["image_id"] == 785 and info["annotation_id"] == 442619 and info["image_file"] == "000000000785.jpg"
    assert info["area"] == pytest.approx(27789.11055) and info["category_id"] == 1
    json.dumps(info)  # JSON-able for the results file


def test_labelled_joint_counts_and_visibility(coco_all, coco_json):
    # FORMAT.md: v2 164 + v1 17 labelled keypoints, all on the 12 usable persons
    labelled = sum(int(coco_all.records[i].annotated.sum()) for i in range(len(coco_all)))
    assert labelled == 164 + 17
    raw = {a["id"]: a for a in json.loads(coco_json.read_text())["annotations"]}
    for i in range(len(coco_all)):
        v = np.array(raw[coco_all.record_info(i)["annotation_id"]]["keypoints"]).reshape(17, 3)[:, 2]
        visible = coco_all.targets(i)["visible"].numpy()
        assert not (visible[v == 0]).any()  # unlabelled → 0


def test_bbox_crop_is_square_padded_and_centred(coco_all):
    # annotation 442619, bbox [280.79, 44.73, 218.7, 346.68] in a 640×425 image
    record = coco_all.records[0]
    centre, box, normalizer = square_box([280.79, 44.73, 218.7, 346.68], 640, 425)
    np.testing.assert_allclose(record.center, centre)
    assert record.box_px == pytest.approx(box) and box == pytest.approx(BBOX_PADDING * normalizer)
    # HRNet-style clipping: the box is 346.68 - 1 px tall after the `w - 1` sanitising
    assert normalizer == pytest.approx(345.68)
    sample = coco_all[0]
    assert float(sample["normalizer"]) == pytest.approx(345.68 * 128 / (1.25 * 345.68))
    # the nose (367, 81) lands inside the crop and maps back exactly
    back = affine.apply(sample["transform"].double().numpy(), sample["joints"].double().numpy())
    np.testing.assert_allclose(back[0], [367.0, 81.0], atol=1e-3)


def test_every_sample_round_trips_and_the_image_is_real(coco_all):
    for i in range(len(coco_all)):
        sample = coco_all[i]
        original, annotated = coco_all.original_joints(i)
        visible = sample["visible"].numpy() > 0
        back = affine.apply(sample["transform"].double().numpy(), sample["joints"].double().numpy())
        assert np.abs(back[visible] - original[visible]).max() < 0.5
        assert float(sample["image"].std()) > 0.05  # not a black crop


def test_hash_holdout_keeps_images_whole(coco_json):
    train = open_dataset(f"coco:{coco_json}", "train", 64)
    val_ids = set()
    try:
        val = open_dataset(f"coco:{coco_json}", "val", 64)
        val_ids = {val.record_info(i)["image_id"] for i in range(len(val))}
    except CoexploreError as exc:  # with 4 images the val split may be empty: that must say so
        assert "val split has no records" in str(exc)
    train_ids = {train.record_info(i)["image_id"] for i in range(len(train))}
    assert not train_ids & val_ids and train_ids | val_ids == {785, 40083, 196141, 197388}


def test_broken_coco_files(tmp_path, coco_json):
    data = json.loads(coco_json.read_text())
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data)[:-20])
    with pytest.raises(CoexploreError, match="broken.json.*not valid JSON"):
        open_dataset(f"coco:{broken}", "val", 64, holdout="none")
    short = json.loads(coco_json.read_text())
    short["annotations"][3]["keypoints"] = short["annotations"][3]["keypoints"][:-3]
    bad = tmp_path / "short.json"
    bad.write_text(json.dumps(short))
    with pytest.raises(
        CoexploreError, match=f"short.json: annotation {short['annotations'][3]['id']}.*16 keypoints, expected 17"
    ):
        open_dataset(f"coco:{bad}", "val", 64, holdout="none", image_dir=coco_json.parent)
    no_images = tmp_path / "elsewhere.json"
    no_images.write_text(json.dumps(data))
    with pytest.raises(CoexploreError, match="elsewhere.json: record 0: image file .*000000000785.jpg not found"):
        open_dataset(f"coco:{no_images}", "val", 64, holdout="none")
    not_coco = tmp_path / "list.json"
    not_coco.write_text("[]")
    with pytest.raises(CoexploreError, match="not a COCO annotation file"):
        open_dataset(f"coco:{not_coco}", "val", 64)


def test_official_folder_layout(tmp_path, coco_json):
    # annotations/person_keypoints_val2017.json beside val2017/ (the COCO download layout)
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "person_keypoints_val2017.json").write_text(coco_json.read_text())
    (tmp_path / "val2017").mkdir()
    for jpg in coco_json.parent.glob("*.jpg"):
        (tmp_path / "val2017" / jpg.name).symlink_to(jpg)
    ds = open_dataset(f"coco:{tmp_path}", "val", 64)
    assert len(ds) == 12 and ds.annotation_file.name == "person_keypoints_val2017.json"
    with pytest.raises(CoexploreError, match="person_keypoints_train"):
        open_dataset(f"coco:{tmp_path}", "train", 64)
