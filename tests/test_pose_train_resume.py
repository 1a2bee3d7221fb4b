"""Checkpoints: an interrupted run resumes to the same numbers; evaluate() re-scores a checkpoint;
loading one runs no code from the file, and a bad one is one clear error."""

import pytest
import torch

from coexplore.errors import CoexploreError
from coexplore.nets import build, parse_spec
from coexplore.pose.checkpoint import load_checkpoint, restore_model
from coexplore.pose.evaluation import evaluate
from coexplore.pose.train_config import TrainConfig
from coexplore.pose.trainer import train
from coexplore.search.networks import hourglass_network

NET = hourglass_network("tiny")


def _evaluate_checkpoint(path, data, cfg):
    state = load_checkpoint(path)
    network = hourglass_network(state["spec"])
    model = restore_model(state, network, source=path)
    return evaluate(model, data, cfg, label=network.label, input_res=network.input_res)


def _cfg(directory, **changes):
    base = dict(epochs=2, batch_size=16, train_size=48, val_size=32, threads=1, seed=3,
                checkpoint_dir=str(directory))
    return TrainConfig(**{**base, **changes})


def _numbers(curve):
    return [{k: v for k, v in point.items() if k != "seconds"} for point in curve]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    directory = tmp_path_factory.mktemp("uninterrupted")
    return directory, train(NET, "synthetic", _cfg(directory), progress=False)


def test_interrupted_run_resumes_to_the_same_result(uninterrupted, tmp_path):
    reference_dir, reference = uninterrupted

    def ctrl_c_after_first_epoch(epoch, accuracy):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(NET, "synthetic", _cfg(tmp_path), progress=False, on_epoch=ctrl_c_after_first_epoch)
    state = load_checkpoint(tmp_path / "last.pt")
    assert state["epoch"] == 1 and len(state["curve"]) == 1

    resumed = train(NET, "synthetic", _cfg(tmp_path), progress=False)
    assert resumed.status == "complete" and resumed.epochs_done == 2
    assert _numbers(resumed.curve) == _numbers(reference.curve)
    assert resumed.accuracy == reference.accuracy and resumed.steps == reference.steps
    weights = load_checkpoint(tmp_path / "last.pt")["model"]
    reference_weights = load_checkpoint(reference_dir / "last.pt")["model"]
    assert all(torch.equal(weights[k], reference_weights[k]) for k in reference_weights)


def test_finished_run_returns_its_stored_result(uninterrupted):
    directory, reference = uninterrupted
    again = train(NET, "synthetic", _cfg(directory), progress=False)
    assert again == reference  # nothing retrained: even the wall time is the stored one


def test_checkpoint_of_a_finished_run_without_its_result_is_rescored(uninterrupted, tmp_path):
    # A crash between the last checkpoint and result.json: nothing left to train, only to score.
    directory, reference = uninterrupted
    (tmp_path / "last.pt").write_bytes((directory / "last.pt").read_bytes())
    again = train(NET, "synthetic", _cfg(tmp_path), progress=False)
    assert again.status == "complete" and again.steps == reference.steps
    assert again.accuracy == reference.accuracy and _numbers(again.curve) == _numbers(reference.curve)


def test_checkpoint_of_another_run_is_refused(uninterrupted, tmp_path):
    directory, _ = uninterrupted
    (tmp_path / "last.pt").write_bytes((directory / "last.pt").read_bytes())
    with pytest.raises(CoexploreError, match="another run"):
        train(NET, "synthetic", _cfg(tmp_path, lr=1e-3), progress=False)
    # resume=False starts over instead.
    fresh = train(NET, "synthetic", _cfg(tmp_path, lr=1e-3, epochs=1, resume=False), progress=False)
    assert fresh.status == "complete" and fresh.epochs_done == 1


def test_evaluate_reproduces_the_trainers_score(uninterrupted):
    directory, reference = uninterrupted
    cfg = TrainConfig(val_size=32, seed=3, threads=1)
    scored = _evaluate_checkpoint(directory / "last.pt", "synthetic", cfg)
    assert scored.metric == reference.metric
    assert scored.accuracy == pytest.approx(reference.accuracy)
    assert scored.per_joint == pytest.approx(reference.per_joint, nan_ok=True)
    assert scored.baseline_accuracy == pytest.approx(reference.baseline_accuracy)
    assert scored.images == 32 and not scored.flip_test


def test_flip_test_averages_the_mirrored_prediction(uninterrupted):
    directory, reference = uninterrupted
    flipped = _evaluate_checkpoint(directory, "synthetic", TrainConfig(val_size=32, seed=3, threads=1, flip_test=True))
    assert flipped.flip_test and 0.0 <= flipped.accuracy <= 100.0
    assert flipped.baseline_accuracy == pytest.approx(reference.baseline_accuracy)


def test_evaluating_a_bare_model():
    spec = parse_spec("tiny")
    result = evaluate(build(spec), "synthetic", TrainConfig(val_size=16, threads=1), label="mine", input_res=64)
    assert result.images == 16 and result.spec == "mine" and len(result.per_joint) == 16
    with pytest.raises(CoexploreError, match="16 joints"):  # a model predicting 5 joints for 16-joint data
        evaluate(torch.nn.Conv2d(3, 5, 1), "synthetic", TrainConfig(val_size=16), label="five", input_res=64)


def test_missing_or_foreign_checkpoint_is_a_user_error(tmp_path):
    with pytest.raises(CoexploreError, match="not found"):
        load_checkpoint(tmp_path / "nope.pt")
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(CoexploreError, match="not a coexplore training checkpoint"):
        load_checkpoint(tmp_path / "other.pt")
    (tmp_path / "garbage.pt").write_bytes(b"not a checkpoint at all")
    with pytest.raises(CoexploreError, match="not a readable checkpoint"):
        load_checkpoint(tmp_path / "garbage.pt")


class _WritesAFile:
    """Unpickling this runs `open(marker, "w")`: what a crafted checkpoint would do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_checkpoint_that_would_run_code_is_refused_unrun(uninterrupted, tmp_path):
    directory, _ = uninterrupted
    marker = tmp_path / "pwned"
    state = torch.load(directory / "last.pt", weights_only=True)
    state["curve"] = [_WritesAFile(marker)]  # the payload hides among the plain entries
    run = tmp_path / "run"
    run.mkdir()
    torch.save(state, run / "last.pt")
    with pytest.raises(CoexploreError, match="not a weights-only checkpoint: it holds .*open.* it was not loaded"):
        load_checkpoint(run / "last.pt")
    with pytest.raises(CoexploreError, match="not a weights-only checkpoint"):  # resuming reads it the same way
        train(NET, "synthetic", _cfg(run), progress=False)
    assert not marker.exists()


def test_a_checkpoint_without_a_spec_or_with_anothers_weights_is_one_clear_error(uninterrupted, tmp_path):
    directory, _ = uninterrupted
    state = torch.load(directory / "last.pt", weights_only=True)
    del state["spec"]
    torch.save(state, tmp_path / "nospec.pt")
    with pytest.raises(CoexploreError, match="has no 'spec' entry"):
        load_checkpoint(tmp_path / "nospec.pt")
    state = load_checkpoint(directory / "last.pt")
    wider = hourglass_network("hg-s1-o3-f64-r64-scaled")  # tiny is F = 32
    with pytest.raises(CoexploreError, match=r"do not fit the network hg-s1-o3-f64.*of another shape") as error:
        restore_model(state, wider, source=directory / "last.pt")
    assert "\n" not in str(error.value)
