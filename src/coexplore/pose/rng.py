"""Every random generator a training step touches: seeding, and its state as plain values.

The state is tensors, ints, floats, strings and tuples only, so a checkpoint can hold it and still be
read with `torch.load(weights_only=True)` (no pickled numpy objects: loading runs no code).
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch

NUMPY_BIT_GENERATOR = "MT19937"  # the legacy np.random global state


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def rng_state() -> dict[str, Any]:
    """The state of the torch, numpy, python (and CUDA) generators, as plain values."""
    _, keys, position, has_gauss, cached_gaussian = np.random.get_state()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {
            "keys": torch.from_numpy(keys.astype(np.int64)),
            "position": int(position),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached_gaussian),
        },
        "python": random.getstate(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    """Put every generator back where `rng_state` found it."""
    numpy_state = state["numpy"]
    torch.set_rng_state(state["torch"])
    np.random.set_state(
        (
            NUMPY_BIT_GENERATOR,
            numpy_state["keys"].numpy().astype(np.uint32),
            numpy_state["position"],
            numpy_state["has_gauss"],
            numpy_state["cached_gaussian"],
        )
    )
    version, internal, gauss_next = state["python"]
    random.setstate((version, tuple(internal), gauss_next))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
