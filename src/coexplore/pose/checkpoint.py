"""Training checkpoints: everything needed to resume a run exactly, written atomically each epoch,
and read without running any code from the file.

A checkpoint is a dict saved with `torch.save` in `<dir>/last.pt`, holding tensors and plain values
only (str, int, float, bool, None, lists, tuples, dicts), so it is read with
`torch.load(weights_only=True)`: a crafted file that would run code when unpickled is refused before
anything in it runs. Entries:
  format, key (the run's identity hash), spec (the network's label), data (source), config (dict),
  epoch (last finished, 1-based), steps, train_s, train_images, curve, first_loss, input_res,
  joint_names, model (state dict), optimizer (state dict), rng (see `coexplore.pose.rng`).
The finished run's result is written beside it as `result.json`.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from coexplore.errors import CoexploreError
from coexplore.pose.network import NetworkFactory

# 2: weights-only loadable (plain values, the numpy RNG state as a tensor). Format 1 pickled numpy
# objects, so reading it needs unpickling code: it is refused like any other unsafe file.
CHECKPOINT_FORMAT = 2
CHECKPOINT_NAME = "last.pt"
RESULT_NAME = "result.json"
WRITTEN_BY = "pass the last.pt written by `coexplore train --out DIR` (this version; train again for an older one)"
# What every checkpoint must hold, and of which type (first_loss may also be None).
ENTRY_TYPES: dict[str, type | tuple[type, ...]] = {
    "key": str,
    "spec": str,
    "data": str,
    "config": dict,
    "epoch": int,
    "steps": int,
    "train_s": (int, float),
    "train_images": int,
    "curve": list,
    "first_loss": (int, float, type(None)),
    "input_res": int,
    "joint_names": list,
    "model": dict,
    "optimizer": dict,
    "rng": dict,
}
_UNSAFE_GLOBAL = re.compile(r"GLOBAL (\S+) was not an allowed global")
# Parameters named in a mismatch message before "and N more".
_SHOWN_MISMATCHES = 3


def checkpoint_path(directory: str | Path) -> Path:
    return Path(directory) / CHECKPOINT_NAME


def result_path(directory: str | Path) -> Path:
    return Path(directory) / RESULT_NAME


def _atomic_write(path: Path, write: Callable[[Path], Any]) -> None:
    """Write through a temporary file and rename, so an interrupt never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def save_checkpoint(directory: str | Path, state: dict[str, Any]) -> Path:
    """Save a training state (see the module docstring) as `<directory>/last.pt`."""
    path = checkpoint_path(directory)
    payload = {"format": CHECKPOINT_FORMAT, **state}
    _atomic_write(path, lambda tmp: torch.save(payload, tmp))
    return path


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a checkpoint file (or `<dir>/last.pt` when given a directory), on the CPU.

    Reads tensors and plain values only: a file that needs code to unpickle is refused unrun. Every
    problem (missing, unreadable, unsafe, not ours, an entry missing) is one CoexploreError.
    """
    file = Path(path)
    if file.is_dir():
        file = checkpoint_path(file)
    if not file.is_file():
        raise CoexploreError(f"checkpoint {file} not found", field="checkpoint", fix=WRITTEN_BY)
    try:
        with warnings.catch_warnings():  # torch warns about the pickle protocol of a foreign file; the error says it all
            warnings.simplefilter("ignore", UserWarning)
            state = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types (UnpicklingError, RuntimeError, KeyError) for a bad file
        unsafe = _UNSAFE_GLOBAL.search(str(exc)) if isinstance(exc, pickle.UnpicklingError) else None
        if unsafe:
            problem = f"is not a weights-only checkpoint: it holds {unsafe.group(1)}, which reading it would run as code"
        else:
            first_line = next(iter(str(exc).strip().splitlines()), "")
            problem = f"is not a readable checkpoint ({type(exc).__name__}: {first_line})"
        raise CoexploreError(f"{file} {problem}; it was not loaded", field="checkpoint", fix=WRITTEN_BY) from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise CoexploreError(f"{file} is not a coexplore training checkpoint", field="checkpoint", fix=WRITTEN_BY)
    _check_entries(state, file)
    return state


def _check_entries(state: dict[str, Any], file: Path) -> None:
    for name, kind in ENTRY_TYPES.items():
        if name not in state:
            raise CoexploreError(f"{file} has no {name!r} entry", field="checkpoint", fix=WRITTEN_BY)
        if not isinstance(state[name], kind):
            raise CoexploreError(
                f"{file}: entry {name!r} is a {type(state[name]).__name__}", field="checkpoint", fix=WRITTEN_BY
            )
    if not state["spec"].strip():
        raise CoexploreError(f"{file} names no network (its 'spec' is empty)", field="checkpoint", fix=WRITTEN_BY)
    if not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state["model"].items()):
        raise CoexploreError(f"{file}: 'model' is not a state dict of tensors", field="checkpoint", fix=WRITTEN_BY)


def load_weights(model: nn.Module, weights: dict[str, torch.Tensor], *, label: str, source: str | Path) -> None:
    """Load a state dict into `model`, or say in one line how it does not fit (never torch's dump)."""
    expected = model.state_dict()
    missing = [name for name in expected if name not in weights]
    unexpected = [name for name in weights if name not in expected]
    reshaped = [
        f"{name} {tuple(weights[name].shape)} vs {tuple(expected[name].shape)}"
        for name in expected
        if name in weights and weights[name].shape != expected[name].shape
    ]
    problems = [
        f"{len(names)} {kind} ({', '.join(names[:_SHOWN_MISMATCHES])}{', ...' if len(names) > _SHOWN_MISMATCHES else ''})"
        for kind, names in (("missing", missing), ("unexpected", unexpected), ("of another shape", reshaped))
        if names
    ]
    if problems:
        raise CoexploreError(
            f"the weights in {source} do not fit the network {label}: parameters " + "; ".join(problems),
            field="checkpoint",
            fix="the checkpoint's 'spec' must name the network its weights came from; use the last.pt of that run",
        )
    model.load_state_dict(weights)


def restore_model(state: dict[str, Any], network: NetworkFactory, *, source: str | Path) -> nn.Module:
    """A fresh network of the architecture a loaded checkpoint names, holding its weights."""
    model = network.build(network.joints)
    load_weights(model, state["model"], label=network.label, source=source)
    return model


def save_result(directory: str | Path, result: dict[str, Any]) -> Path:
    path = result_path(directory)
    _atomic_write(path, lambda tmp: Path(tmp).write_text(json.dumps(result, indent=1)))
    return path


def load_result(directory: str | Path) -> dict[str, Any] | None:
    path = result_path(directory)
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        return None  # a damaged result only costs a re-run from the checkpoint
