"""The trainer on real data formats: each dataset's main metric (PCK@0.2 for the fly set, OKS AP for COCO)."""

import json

import pytest

from coexplore.pose.checkpoint import load_checkpoint, restore_model
from coexplore.pose.evaluation import evaluate
from coexplore.pose.train_config import TrainConfig
from coexplore.pose.trainer import train
from coexplore.search.networks import hourglass_network

NET = hourglass_network("tiny")


def test_fly_set_trains_and_scores_pck(shared_data):
    data = f"keypoints:{shared_data / 'fly' / 'example_annotation_set.h5'}"
    res = train(NET, data, TrainConfig(epochs=1, batch_size=16, threads=1), progress=False)
    assert res.status == "complete"
    assert res.metric == "PCK@0.2"
    assert len(res.per_joint) == 32 and "head" in res.per_joint
    assert "j32" in res.spec  # the spec was widened to the data's 32 keypoints
    assert 0.0 <= res.accuracy <= 100.0 and 0.0 < res.baseline_accuracy < 100.0


def test_coco_sample_trains_and_writes_official_results(shared_data, tmp_path):
    data = f"coco:{shared_data / 'mmpose_fixtures' / 'coco' / 'test_coco.json'}"
    # 12 persons: use every one in both splits (the fixture is too small for a holdout).
    cfg = TrainConfig(epochs=1, batch_size=4, threads=1, data_options={"holdout": "none"},
                      checkpoint_dir=str(tmp_path / "run"))
    res = train(NET, data, cfg, progress=False)
    assert res.status == "complete" and res.metric == "OKS AP"
    assert res.per_joint_metric == "PCK@0.2" and len(res.per_joint) == 17
    assert 0.0 <= res.accuracy <= 100.0 and res.baseline_accuracy is not None
    assert len(res.details["coco_stats"]) == 10

    out = tmp_path / "results.json"
    state = load_checkpoint(tmp_path / "run")
    assert state["spec"] == res.spec and state["joint_names"][0] == "nose"
    model = restore_model(state, hourglass_network(state["spec"]), source=tmp_path / "run")
    scored = evaluate(model, data, TrainConfig(threads=1, data_options={"holdout": "none"}), label=res.spec,
                      input_res=64, results_json=out)
    assert scored.accuracy == pytest.approx(res.accuracy)
    results = json.loads(out.read_text())
    assert len(results) == 12
    assert set(results[0]) == {"image_id", "category_id", "keypoints", "score"}
    assert len(results[0]["keypoints"]) == 17 * 3
