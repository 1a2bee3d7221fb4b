"""`coexplore train` / `coexplore eval`: JSON and tables, config files, resume, one-line errors."""

import json
import subprocess
import sys

import pytest
import torch
from typer.testing import CliRunner

from coexplore.cli import _register, app

runner = CliRunner()
TINY_RUN = ["--net", "tiny", "--data", "synthetic", "--epochs", "1", "--train-size", "32", "--val-size", "16",
            "--threads", "1"]


@pytest.fixture(scope="module")
def cli():
    _register()

    def invoke(*args):
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture(scope="module")
def trained(cli, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "run"
    result = cli("train", *TINY_RUN, "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    return out, json.loads(result.stdout)


def test_train_json(trained):
    out, data = trained
    assert data["status"] == "complete" and data["metric"] == "PCKh@0.5"
    assert len(data["curve"]) == 1 and len(data["per_joint"]) == 16
    assert data["checkpoint"] == str(out / "last.pt") and (out / "result.json").is_file()


def test_train_tables_and_resume(cli, trained):
    out, data = trained
    result = cli("train", *TINY_RUN, "--out", str(out))  # same command: the finished run is reused
    assert result.exit_code == 0
    for text in ("learning curve", "per joint", "mean-pose baseline", "PCKh@0.5", "r_ankle"):
        assert text in result.stdout
    assert f"{data['accuracy']:.1f} %" in result.stdout


def test_eval_uses_the_trained_data_by_default(cli, trained):
    out, data = trained
    result = cli("eval", "--checkpoint", str(out / "last.pt"), "--threads", "1", "--json")
    assert result.exit_code == 0
    scored = json.loads(result.stdout)
    assert scored["data"] == "synthetic" and scored["images"] == 16
    assert scored["accuracy"] == pytest.approx(data["accuracy"])


def test_config_file_with_flag_override(cli, tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text("net: tiny\ndata: synthetic\nepochs: 3\ntrain-size: 32\nval_size: 16\nthreads: 1\nlr: 0.001\n")
    result = cli("train", "--config", str(config), "--epochs", "1", "--out", str(tmp_path / "o"), "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["epochs_done"] == 1  # the flag wins over the file
    assert data["curve"][0]["lr"] < 0.001  # lr from the file (cosine-decayed within the epoch)


def test_res_overrides_the_spec_resolution(cli, tmp_path):
    result = cli("train", *TINY_RUN, "--res", "32", "--out", str(tmp_path / "o"), "--json")
    assert result.exit_code == 0
    assert "r32" in json.loads(result.stdout)["spec"]


def test_failed_run_exits_1_with_the_reason(cli, tmp_path):
    result = cli("train", *TINY_RUN, "--lr", "1e6", "--out", str(tmp_path / "o"))
    assert result.exit_code == 1
    assert "failed" in result.stdout and "learning rate" in result.stdout


def _assert_one_line_exit_2(*args):
    proc = subprocess.run([sys.executable, "-c", "from coexplore.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, (args, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_user_errors_are_one_line_and_exit_2(tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    cases = [
        ["train", "--net", "no-such-net", "--data", "synthetic"],
        ["train", "--net", "tiny", "--data", "nope:x", "--out", str(tmp_path / "o")],
        ["train", "--net", "tiny", "--optimizer", "sgd", "--out", str(tmp_path / "o")],
        ["eval", "--checkpoint", str(tmp_path / "missing.pt")],
        ["train", *TINY_RUN, "--out", str(a_file)],  # refused before training, not after epoch 1
    ]
    for args in cases:
        _assert_one_line_exit_2(*args)
    assert a_file.read_text() == "not a folder"


class _WritesAFile:
    """Unpickling this runs `open(marker, "w")`: the payload of a crafted checkpoint."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_checkpoint_that_would_run_code_is_refused_by_eval_and_resume(trained, tmp_path):
    out, _ = trained
    marker = tmp_path / "pwned"
    state = torch.load(out / "last.pt", weights_only=True)
    state["model"]["stem.conv.conv.weight"] = _WritesAFile(marker)
    crafted = tmp_path / "run"
    crafted.mkdir()
    torch.save(state, crafted / "last.pt")
    line = _assert_one_line_exit_2("eval", "--checkpoint", str(crafted / "last.pt"))
    assert "not a weights-only checkpoint" in line and "not loaded" in line
    line = _assert_one_line_exit_2("train", *TINY_RUN, "--out", str(crafted))  # resuming reads it too
    assert "not a weights-only checkpoint" in line
    assert not marker.exists()


def test_eval_of_a_checkpoint_without_a_spec_or_with_anothers_weights_is_one_line(trained, tmp_path):
    out, _ = trained
    state = torch.load(out / "last.pt", weights_only=True)
    without_spec = {k: v for k, v in state.items() if k != "spec"}
    torch.save(without_spec, tmp_path / "nospec.pt")
    assert "no 'spec' entry" in _assert_one_line_exit_2("eval", "--checkpoint", str(tmp_path / "nospec.pt"))
    torch.save({**state, "spec": "hg-s2-o3-f32-r64-scaled"}, tmp_path / "other.pt")  # tiny has one stack
    line = _assert_one_line_exit_2("eval", "--checkpoint", str(tmp_path / "other.pt"))
    assert "do not fit the network hg-s2-o3-f32" in line and "missing" in line
    torch.save({**state, "spec": "no such net"}, tmp_path / "garbled.pt")
    assert "not a network coexplore can build" in _assert_one_line_exit_2(
        "eval", "--checkpoint", str(tmp_path / "garbled.pt"))


def test_eval_and_train_at_an_integer_precision_print_both_accuracies_and_the_loss(cli, trained):
    out, data = trained
    shown = cli("eval", "--checkpoint", str(out), "--threads", "1", "--precision", "int8")
    assert shown.exit_code == 0, shown.output
    assert "PCKh@0.5 at int8" in shown.stdout and "loss fp32 → int8" in shown.stdout
    as_json = json.loads(cli("eval", "--checkpoint", str(out), "--threads", "1", "--precision", "int8", "--json").stdout)
    assert as_json["precision"] == "int8" and as_json["fp32"]["accuracy"] == pytest.approx(data["accuracy"])
    again = cli("train", *TINY_RUN, "--out", str(out), "--precision", "int16", "--json")  # finished: scored only
    result = json.loads(again.stdout)
    assert result["curve"] == data["curve"] and set(result["quantized_accuracy"]) == {"int16"}
    bad = runner.invoke(app, ["eval", "--checkpoint", str(out), "--precision", "int4"])
    assert bad.exit_code != 0 and "int4" in str(bad.exception) and "int8" in str(bad.exception)
