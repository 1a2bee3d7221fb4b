"""TrainConfig, the loss, the LR schedule and TrainResult: the trainer's pieces without training."""

import math

import pytest
import torch

from coexplore.errors import CoexploreError
from coexplore.pose.device import resolve_device
from coexplore.pose.outcome import TrainResult
from coexplore.pose.recipe import STEP_GAMMA, STEP_MILESTONES, heatmap_loss, lr_factor, zero_heatmap_heads
from coexplore.pose.train_config import TrainConfig


def test_key_changes_with_what_changes_the_result_only():
    base = TrainConfig()
    assert base.key() == TrainConfig().key()
    assert TrainConfig(lr=1e-3).key() != base.key()
    assert TrainConfig(data_options={"pose_prior": "x.h5"}).key() != base.key()
    # Bookkeeping does not change the trained network.
    assert TrainConfig(checkpoint_dir="/tmp/x", resume=False, num_workers=2).key() == base.key()


def test_bad_options_become_one_clear_error():
    with pytest.raises(CoexploreError, match="optimizer"):
        TrainConfig.from_options(optimizer="sgd")
    with pytest.raises(CoexploreError, match="lr"):
        TrainConfig.from_options(lr=-1)
    with pytest.raises(CoexploreError, match="budget"):
        TrainConfig.from_options(epochs=None, seconds=None)
    with pytest.raises(CoexploreError, match="bogus"):
        TrainConfig.from_options(bogus=1)


def test_lr_schedules():
    assert lr_factor("none", 0.7) == 1.0
    assert lr_factor("cosine", 0.0) == pytest.approx(1.0)
    assert lr_factor("cosine", 0.5) == pytest.approx(0.5)
    assert lr_factor("cosine", 1.0) == pytest.approx(0.0, abs=1e-12)
    assert lr_factor("step", STEP_MILESTONES[0] - 1e-9) == 1.0
    assert lr_factor("step", STEP_MILESTONES[0]) == pytest.approx(STEP_GAMMA)
    assert lr_factor("step", 1.0) == pytest.approx(STEP_GAMMA**2)


def test_loss_is_visibility_weighted_and_summed_over_stacks():
    targets = torch.zeros(1, 2, 4, 4)
    out = torch.zeros(1, 2, 4, 4)
    out[0, 0] = 1.0  # joint 0 wrong everywhere
    out[0, 1] = 3.0  # joint 1 even more wrong, but not visible
    weights = torch.tensor([[1.0, 0.0]])
    one = heatmap_loss([out], targets, weights)
    assert one.item() == pytest.approx(1.0 * 16 / 32)  # mean over all B·J·H·W cells
    assert heatmap_loss([out, out], targets, weights).item() == pytest.approx(2 * one.item())
    assert heatmap_loss(out, targets, weights).item() == pytest.approx(one.item())  # a bare tensor


def test_result_round_trip():
    result = TrainResult(status="complete", accuracy=41.5, metric="PCKh@0.5", per_joint={"r_ankle": 30.0},
                         curve=[{"epoch": 1, "train_loss": 0.1, "val_accuracy": 41.5, "seconds": 3.0}],
                         params=1234, wall_s=3.2, device="cpu", images_per_s=100.0, baseline_accuracy=5.0)
    again = TrainResult.from_dict(result.to_dict())
    assert again == result
    failed = TrainResult(status="failed", reason="loss became nan")
    assert TrainResult.from_dict(failed.to_dict()).accuracy is None


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_request_without_cuda_is_a_user_error():
    with pytest.raises(CoexploreError, match="CUDA"):
        resolve_device("cuda")
    assert resolve_device("auto").type == "cpu"
    assert math.isfinite(lr_factor("cosine", 2.0))  # progress past the budget clamps


def test_zero_heatmap_heads_zeroes_every_stack_head_and_nothing_else():
    from coexplore.nets import build, parse_spec

    torch.manual_seed(0)
    model = build(parse_spec("hg-s2-o2-f16-r64-scaled"))  # F = 16 = joints: merge_pred is 16 → 16 too
    before = {k: v.clone() for k, v in model.state_dict().items()}
    assert zero_heatmap_heads(model) == 2
    after = model.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed == {"stacks.0.pred.weight", "stacks.0.pred.bias", "stacks.1.pred.weight", "stacks.1.pred.bias"}
    outputs = model(torch.rand(1, 3, 64, 64))
    assert all(out.abs().max() == 0 for out in outputs)
