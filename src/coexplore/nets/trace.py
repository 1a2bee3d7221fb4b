"""`trace(model, input_shape)`: the workload of any `nn.Module`, without running the computation.

Two methods, same result:

- `meta` (default, fast; trace_meta.py): the model runs on the meta device under a
  `TorchFunctionMode` that sees every torch call, and module hooks name each op.
- `export` (trace_export.py): `torch.export` captures the ATen graph symbolically; ops are read
  from the graph. Use it for models whose Python control flow the exporter should freeze, or as
  an independent cross-check of `meta`.

Both turn calls into `Op`s with the same builder (trace_ops.py).

Batch-norm, activations, views and other element-wise ops are not workload ops: their output
keeps the name of their input, so the tensor graph (and the skip tensors) stay connected.
Element-wise adds count only between two same-shaped feature maps (not scalar or bias adds).
The model is put in eval mode while tracing and restored afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager

from torch import nn

from coexplore.errors import CoexploreError, choice_error
from coexplore.nets.trace_export import trace_export
from coexplore.nets.trace_meta import trace_meta
from coexplore.workload import Workload

METHODS = {"meta": trace_meta, "export": trace_export}


def trace(model: nn.Module, input_shape: Sequence[int], *, method: str = "meta", name: str | None = None) -> Workload:
    """The workload of `model` on an input of `input_shape` (e.g. `(1, 3, 256, 256)`)."""
    if method not in METHODS:
        raise choice_error("method", method, tuple(METHODS))
    shape = tuple(int(s) for s in input_shape)
    if len(shape) < 2 or any(s < 1 for s in shape):
        raise CoexploreError(f"expected (batch, channels, ...) with positive sizes, got {shape}", field="input_shape")
    with _eval_mode(model):
        ops = METHODS[method](model, shape)
    return Workload(name or type(model).__name__, ops)


@contextmanager
def _eval_mode(model: nn.Module):
    # BN in training mode rejects 1×1 maps at batch 1 and updates running stats; eval is what a
    # deployed accelerator runs anyway.
    flags = {m: m.training for m in model.modules()}
    model.eval()
    try:
        yield
    finally:
        for module, flag in flags.items():
            module.training = flag

