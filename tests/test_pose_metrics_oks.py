"""OKS AP through pycocotools, cross-checked on the real COCO sample (mmpose fixture).

Predictions are the ground truth moved so that each person's OKS is a chosen value e, computed
independently from the OKS definition (COCO keypoint evaluation):
    OKS = Σ_i exp(-d_i² / (2 s² k_i²)) / #labelled,  s² = the annotation's area, k_i = 2σ_i.
Moving every labelled keypoint by d_i = sqrt(-2 s² k_i² ln e) gives OKS = e exactly. AP over the
thresholds 0.50:0.05:0.95 is then the share of thresholds ≤ e (each threshold gives AP 1 or 0).
"""

import json
import math

import numpy as np
import pytest

from coexplore.errors import CoexploreError
from coexplore.pose.metrics import coco_results, oks_ap, write_coco_results

# pycocotools' per-keypoint sigmas (cocoeval.py, COCO 17-keypoint order).
COCO_SIGMAS = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89]) / 10.0
THRESHOLDS = np.linspace(0.5, 0.95, 10)


@pytest.fixture(scope="module")
def coco_file(shared_data):
    return shared_data / "mmpose_fixtures" / "coco" / "test_coco.json"


def _people(coco_file):
    anns = json.loads(coco_file.read_text())["annotations"]
    return [a for a in anns if a["num_keypoints"] > 0]  # COCOeval ignores persons without keypoints


def _results_at_oks(coco_file, target_oks):
    results = []
    for k, ann in enumerate(_people(coco_file)):
        kps = np.array(ann["keypoints"], dtype=float).reshape(17, 3)
        labelled = kps[:, 2] > 0
        shift = np.sqrt(-2.0 * ann["area"] * (2 * COCO_SIGMAS) ** 2 * math.log(target_oks))
        xy = kps[:, :2] + np.stack([shift, np.zeros(17)], axis=1) * labelled[:, None]
        results.append({"image_id": ann["image_id"], "category_id": 1,
                        "keypoints": np.concatenate([xy, np.ones((17, 1))], axis=1).reshape(-1).tolist(),
                        "score": 1.0 - 0.01 * k})
    return results


def test_perfect_predictions_give_ap_100(coco_file):
    res = oks_ap(_results_at_oks(coco_file, 1.0), coco_file)
    assert res.ap == pytest.approx(100.0)
    assert res.ap50 == pytest.approx(100.0) and res.ar == pytest.approx(100.0)
    assert res.count == 12


@pytest.mark.parametrize("target_oks", [0.72, 0.52, 0.88])
def test_ap_matches_the_oks_definition(coco_file, target_oks):
    expected_ap = 100.0 * (THRESHOLDS <= target_oks + 1e-9).mean()  # 0.72 → 5 of 10 thresholds
    res = oks_ap(_results_at_oks(coco_file, target_oks), coco_file)
    assert res.ap == pytest.approx(expected_ap, abs=1e-6)


def test_results_json_round_trip(coco_file, tmp_path):
    people = _people(coco_file)
    coords = np.array([np.array(p["keypoints"], float).reshape(17, 3)[:, :2] for p in people])
    results = coco_results(coords, np.ones(len(people)), [p["image_id"] for p in people])
    assert set(results[0]) == {"image_id", "category_id", "keypoints", "score"}
    assert len(results[0]["keypoints"]) == 51
    path = write_coco_results(tmp_path / "res.json", results)
    # Unlabelled keypoints (v = 0) sit at (0, 0) in the ground truth and do not count: still AP 100.
    assert oks_ap(path, coco_file).ap == pytest.approx(100.0)


def test_restricting_to_image_ids(coco_file):
    results = _results_at_oks(coco_file, 1.0)
    first_image = results[0]["image_id"]
    wrong = [dict(r, keypoints=[v + 200 for v in r["keypoints"]]) if r["image_id"] != first_image else r
             for r in results]
    assert oks_ap(wrong, coco_file).ap < 50.0
    assert oks_ap(wrong, coco_file, image_ids=[first_image]).ap == pytest.approx(100.0)


def test_bad_inputs_are_user_errors(tmp_path, coco_file):
    with pytest.raises(CoexploreError, match="not found"):
        oks_ap([{"image_id": 1}], tmp_path / "missing.json")
    with pytest.raises(CoexploreError, match="no keypoint predictions"):
        oks_ap([], coco_file)
