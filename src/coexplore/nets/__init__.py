"""coexplore.nets: the Stacked Hourglass search space, its PyTorch builder, exact workloads, tracing.

Importing this package does not import torch or onnx (the hardware commands must start fast):
`build`, `trace`, `from_onnx` and the reference twins load on first use.
"""

from __future__ import annotations

from typing import Any

from coexplore.nets.lower import lower
from coexplore.nets.parse import parse_spec
from coexplore.nets.presets import PRESETS, get_preset
from coexplore.nets.resolve import resolve_workload
from coexplore.nets.space import HourglassSpace
from coexplore.nets.spec import HourglassSpec

# name → (module, attribute), imported on first access
_LAZY = {
    "build": ("coexplore.nets.hourglass", "build"),
    "StackedHourglass": ("coexplore.nets.hourglass", "StackedHourglass"),
    "trace": ("coexplore.nets.trace", "trace"),
    "from_onnx": ("coexplore.nets.onnx_import", "from_onnx"),
    "reference_model": ("coexplore.nets.reference_torch", "reference_model"),
}

__all__ = ["HourglassSpec", "HourglassSpace", "PRESETS", "get_preset", "lower", "parse_spec",
           "resolve_workload", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'coexplore.nets' has no attribute {name!r}")
