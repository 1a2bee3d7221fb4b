"""End to end with real training: `coexplore search` on a 2-network space, tiny synthetic data."""

from __future__ import annotations

import json

import pytest
from search_support import TINY_SPACE, coexplore_cli, write_config

from coexplore.results import BUDGET_EVALUATIONS

# two 1-stack F=16 networks at 64×64; one training is a few seconds on one core
SPACE = {**TINY_SPACE, "stacks": [1], "features": [16], "block": ["bottleneck", "dsc"]}
TRAIN = {"epochs": 1, "train_size": 32, "val_size": 16, "batch_size": 16, "threads": 1}


@pytest.mark.slow
def test_search_trains_each_network_once_and_writes_results(tmp_path):
    config = write_config(tmp_path / "search.yaml", name="e2e", space=SPACE, data="synthetic", train=TRAIN,
                          strategies=["coexplore", "sequential"], budget=2, topk=2)
    run = tmp_path / "run"
    done = coexplore_cli("search", "--config", str(config), "--run-dir", str(run), timeout=600)
    assert done.returncode == 0, done.stderr
    assert "top-2 coexplore designs vs the baseline" in done.stdout  # the paper-style table is printed

    results = json.loads((run / "results.json").read_text())
    baseline = results["baseline"]
    assert baseline["spec"] == "hg-s1-o2-f16-m1-bottleneck-k3-nearest-r64-scaled"
    assert baseline["train_device"] == "cpu" and baseline["accuracy"] is not None
    trials = [t for block in results["strategies"].values() for t in block["trials"]]
    trained_now = [t for t in trials if t["evaluation"] == "trained"]
    # the baseline was trained before the strategies; the other network once, by the first strategy
    assert [t["spec"] for t in trained_now] == ["hg-s1-o2-f16-m1-dsc-k3-nearest-r64-scaled"]
    assert trained_now[0]["train_seconds"] > 0 and trained_now[0]["status"] == "complete"
    for block in results["strategies"].values():
        assert block["trainings"] == 2 == sum(t["evaluation"] in BUDGET_EVALUATIONS for t in block["trials"])
    assert results["metric"] == "PCKh@0.5"
    # the trained networks on a front or in the top-k keep their checkpoint, for `coexplore export`
    assert list((run / "checkpoints").glob("*/last.pt"))
    out = tmp_path / "export"
    exported = coexplore_cli("export", str(run), "--rank", "1", "--out", str(out), "--json")
    assert exported.returncode == 0, exported.stderr
    summary = json.loads(exported.stdout)
    assert summary["weights"] == "trained" and summary["spec"] == results["topk"]["rows"][0]["spec"]
    _check_trained_weights(out, summary["spec"])


def _check_trained_weights(out, spec: str) -> None:
    """weights.pt and network.onnx hold the trained weights (not a fresh initialisation)."""
    import numpy as np
    import onnx
    import torch
    from onnx import numpy_helper

    from coexplore.nets import build

    state = torch.load(out / "weights.pt", weights_only=True)
    torch.manual_seed(0)
    fresh = build(spec).state_dict()
    assert any(not torch.equal(state[k], fresh[k]) for k in fresh if state[k].is_floating_point())
    stored = [numpy_helper.to_array(t) for t in onnx.load(str(out / "network.onnx")).graph.initializer]
    # the last heatmap head (no batch norm after it to fold into the conv) is stored as trained
    last_head = [v for k, v in state.items() if k.endswith("weight") and v.dim() == 4][-1].numpy()
    assert any(a.shape == last_head.shape and np.allclose(a, last_head) for a in stored)
