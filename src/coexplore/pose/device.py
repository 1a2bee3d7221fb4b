"""The torch device a run uses, how it is named in results, and how running out of its memory is
recognised (a failed run with a reason, never a crash: a search goes on)."""

from __future__ import annotations

import torch

from coexplore.errors import CoexploreError


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise CoexploreError(
            "CUDA was requested but no CUDA device is available", field="device", fix="use --device cpu or auto"
        )
    return torch.device(name)


def device_label(device: torch.device) -> str:
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} {torch.cuda.get_device_name(index)}"
    return "cpu"


def is_out_of_memory(exc: BaseException) -> bool:
    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text)


def out_of_memory_reason(device: torch.device, batch_size: int, input_res: int) -> str:
    """The failure reason of a run that ran out of memory (frees the CUDA cache for the next one)."""
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return (
        f"out of memory on {device_label(device)} at batch size {batch_size}, input {input_res}px: "
        "lower the batch size or the resolution"
    )
