"""Training runs end to end on tiny synthetic data: the loss falls, seeds reproduce, failures are results."""

import math

import pytest
import torch
from torch import nn

from coexplore.pose import trainer
from coexplore.pose.network import NetworkFactory
from coexplore.pose.train_config import TrainConfig
from coexplore.pose.trainer import train
from coexplore.search.networks import hourglass_network

NET = hourglass_network("tiny")  # 1 stack, F = 32, 64×64 input (coexplore.nets.presets)


def _cfg(**changes):
    base = dict(epochs=3, batch_size=16, train_size=64, val_size=32, threads=1, seed=0)
    return TrainConfig(**{**base, **changes})


@pytest.fixture(scope="module")
def reference():
    return train(NET, "synthetic", _cfg(), progress=False)


def test_smoke_training_loss_falls(reference):
    res = reference
    assert res.status == "complete" and res.reason == ""
    losses = [point["train_loss"] for point in res.curve]
    assert len(losses) == 3 and res.epochs_done == 3 and res.steps == 3 * 4
    assert losses[-1] < 0.8 * losses[0]
    assert res.metric == "PCKh@0.5"
    assert len(res.per_joint) == 16 and "pelvis" in res.per_joint
    assert 0.0 <= res.accuracy <= 100.0 and res.accuracy == res.curve[-1]["val_accuracy"]
    assert res.baseline_accuracy is not None and 0.0 <= res.baseline_accuracy < 50.0
    assert res.params > 10_000 and res.device == "cpu"
    assert res.images_per_s > 0 and res.wall_s >= res.train_s > 0


def test_same_seed_gives_identical_numbers(reference):
    again = train(NET, "synthetic", _cfg(), progress=False)
    def numbers(curve):  # everything but the wall-clock seconds
        return [{k: v for k, v in point.items() if k != "seconds"} for point in curve]

    assert numbers(again.curve) == numbers(reference.curve)
    assert again.accuracy == reference.accuracy and again.per_joint == reference.per_joint


def test_another_seed_gives_other_numbers(reference):
    other = train(NET, "synthetic", _cfg(seed=1, epochs=1), progress=False)
    assert other.curve[0]["train_loss"] != reference.curve[0]["train_loss"]


def test_divergent_learning_rate_is_a_failed_result():
    res = train(NET, "synthetic", _cfg(lr=1e6, epochs=2), progress=False)
    assert res.status == "failed"
    assert "loss" in res.reason and "learning rate" in res.reason
    assert res.accuracy is None and res.per_joint == {}


def test_injected_nan_is_a_failed_result(monkeypatch):
    calls = {"n": 0}
    real_loss = trainer.heatmap_loss

    def loss_with_nan(outputs, targets, weights):
        calls["n"] += 1
        loss = real_loss(outputs, targets, weights)
        return loss * float("nan") if calls["n"] == 3 else loss

    monkeypatch.setattr(trainer, "heatmap_loss", loss_with_nan)
    res = train(NET, "synthetic", _cfg(epochs=1), progress=False)
    assert res.status == "failed" and "nan" in res.reason and "step 3" in res.reason


def test_out_of_memory_is_a_failed_result(monkeypatch):
    def out_of_memory(*args):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    monkeypatch.setattr(trainer, "heatmap_loss", out_of_memory)
    res = train(NET, "synthetic", _cfg(epochs=1), progress=False)
    assert res.status == "failed" and "out of memory" in res.reason and "batch size 16" in res.reason


def test_on_epoch_can_prune():
    seen = []

    def stop_after_first(epoch, accuracy):
        seen.append((epoch, accuracy))
        return True

    res = train(NET, "synthetic", _cfg(), progress=False, on_epoch=stop_after_first)
    assert res.status == "pruned" and res.epochs_done == 1 and len(res.curve) == 1
    assert seen == [(1, res.accuracy)]


def test_seconds_budget_stops_training():
    res = train(NET, "synthetic", _cfg(epochs=None, seconds=1.0, train_size=2000), progress=False)
    assert res.status == "complete"
    assert res.epochs_done == 1 and res.steps < 2000 / 16  # cut inside the first epoch
    assert 1.0 <= res.train_s < 1.0 + 2.0  # one more step (< 2 s here) may finish after the budget
    assert math.isfinite(res.accuracy)


def test_progress_bar_runs(capsys):
    res = train(NET, "synthetic", _cfg(epochs=1, train_size=32, val_size=16), progress=True)
    assert res.status == "complete"
    assert "epoch 1" in capsys.readouterr().err


def test_any_network_trains_not_only_the_hourglass():
    """pose builds nothing itself: a caller's factory of plain convs trains and scores the same way."""
    built = []

    def build(joints):
        built.append(joints)
        return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, joints, 4, stride=4))

    network = NetworkFactory(label="plain-conv", input_res=32, heatmap_res=8, joints=1, build=build,
                             label_for=lambda joints: f"plain-conv-j{joints}")
    res = train(network, "synthetic", _cfg(epochs=2, train_size=32, val_size=16), progress=False)
    assert built == [16]  # built once, for the data's 16 joints
    assert res.status == "complete" and res.spec == "plain-conv-j16" and res.epochs_done == 2
    assert res.params == (3 * 9 + 1) * 8 + (8 * 16 + 1) * 16
    assert res.curve[-1]["train_loss"] < res.curve[0]["train_loss"]
    assert 0.0 <= res.accuracy <= 100.0 and len(res.per_joint) == 16
