"""Training checkpoints: everything needed to resume a run exactly, written atomically each epoch.

A checkpoint is a dict saved with `torch.save` in `<dir>/last.pt`:
  format, key (the run's identity hash), spec (compact string), data (source), config (dict),
  epoch (last finished, 1-based), steps, train_s, curve, first_loss, model, optimizer, rng.
The finished run's result is written beside it as `result.json`.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from coexplore.errors import CoexploreError

CHECKPOINT_FORMAT = 1
CHECKPOINT_NAME = "last.pt"
RESULT_NAME = "result.json"


def checkpoint_path(directory: str | Path) -> Path:
    return Path(directory) / CHECKPOINT_NAME


def result_path(directory: str | Path) -> Path:
    return Path(directory) / RESULT_NAME


def rng_state() -> dict[str, Any]:
    """Every random generator a training step touches."""
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": np.random.get_state(),
        "python": random.getstate(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _atomic_write(path: Path, write: Any) -> None:
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
    """Load a checkpoint file (or `<dir>/last.pt` when given a directory), on the CPU."""
    file = Path(path)
    if file.is_dir():
        file = checkpoint_path(file)
    if not file.is_file():
        raise CoexploreError(
            f"checkpoint {file} not found",
            field="checkpoint",
            fix="pass the last.pt written by `coexplore train --out DIR`",
        )
    try:
        # weights_only=False: the checkpoint holds numpy / python RNG states, and it is our own file.
        state = torch.load(file, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises many types for a corrupt file
        raise CoexploreError(
            f"{file} is not a readable checkpoint ({type(exc).__name__}: {exc})", field="checkpoint"
        ) from exc
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT or "model" not in state:
        raise CoexploreError(
            f"{file} is not a coexplore training checkpoint",
            field="checkpoint",
            fix="pass the last.pt written by `coexplore train --out DIR`",
        )
    return state


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
