"""Tracing method `meta`: run the model on the meta device and record every torch call.

Shapes only, no arithmetic, no weight copy: `torch.func.functional_call` with meta stand-ins for
every parameter, under a `TorchFunctionMode` that sees module convs and functional ones, `+`,
`torch.cat`, pools and `F.interpolate`, and forward hooks that name each op after its module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from coexplore.errors import CoexploreError
from coexplore.nets.trace_ops import INPUT_TENSOR, OpBuilder
from coexplore.workload import Op

# Python-level torch functions (by __name__) → workload op kind, for the `meta` method.
_FUNCTION_KINDS = {
    "conv2d": "conv", "conv_transpose2d": "deconv", "linear": "fc",
    **{name: "pool" for name in (
        "max_pool2d", "_max_pool2d", "max_pool2d_with_indices", "avg_pool2d",
        "adaptive_avg_pool2d", "adaptive_max_pool2d", "adaptive_max_pool2d_with_indices")},
    "interpolate": "upsample",
    "add": "add", "add_": "add", "__add__": "add", "__iadd__": "add", "__radd__": "add",
    "cat": "concat", "concat": "concat", "concatenate": "concat",
}
# Pool functions by __name__ → (mode, names of the arguments after the input); adaptive pools
# give an output size instead of a window.
_POOL_SIGNATURES = {
    **{n: ("max", ("kernel_size", "stride", "padding")) for n in ("max_pool2d", "_max_pool2d", "max_pool2d_with_indices")},
    "avg_pool2d": ("avg", ("kernel_size", "stride", "padding")),
    "adaptive_avg_pool2d": ("avg", ("output_size",)),
    **{n: ("max", ("output_size",)) for n in ("adaptive_max_pool2d", "adaptive_max_pool2d_with_indices")},
}


def _is_feature_add(a: Any, b: Any) -> bool:
    """An add the accelerator must run: two feature maps of the same shape (not a bias or counter)."""
    return (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.dim() >= 2
            and tuple(a.shape) == tuple(b.shape))


class _MetaTracer(TorchFunctionMode):
    def __init__(self, builder: OpBuilder):
        super().__init__()
        self.b = builder
        self.names: dict[int, str] = {}
        self.keep: list[torch.Tensor] = []  # keeps ids unique while tracing
        self.module_stack: list[tuple[str, bool]] = []  # (path, is_leaf)

    def name_of(self, t: torch.Tensor) -> str:
        if id(t) not in self.names:
            self.set_name(t, self.b.unique("external"))
        return self.names[id(t)]

    def set_name(self, t: Any, name: str) -> None:
        if isinstance(t, torch.Tensor):
            self.names[id(t)] = name
            self.keep.append(t)
        elif isinstance(t, list | tuple):
            for item in t:
                self.set_name(item, name)

    def entering(self, path: str, is_leaf: bool) -> Callable:
        def hook(module: nn.Module, args: Any) -> None:
            self.module_stack.append((path, is_leaf))
        return hook

    def leaving(self, module: nn.Module, args: Any, output: Any) -> None:
        self.module_stack.pop()  # returns None: a forward hook's return value would replace the output

    def op_name(self, kind: str) -> str:
        path, is_leaf = self.module_stack[-1] if self.module_stack else ("", False)
        if is_leaf and path and path not in self.b.used:
            return self.b.unique(path)
        return self.b.unique(f"{path}.{kind}" if path else kind)

    def __torch_function__(self, func: Callable, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        func_name = getattr(func, "__name__", "")
        kind = _FUNCTION_KINDS.get(func_name)
        if kind == "pool":
            recorded = self._on_pool(func_name, args, kwargs, out)
        else:
            handler = getattr(self, f"_on_{kind}", None) if kind else None
            recorded = handler is not None and handler(args, kwargs, out)
        if not recorded:
            first = next((a for a in _flat(args) if isinstance(a, torch.Tensor)), None)
            if first is not None and isinstance(out, torch.Tensor | list | tuple) and out is not first:
                self.set_name(out, self.name_of(first))  # element-wise / view: same tensor for the IR
        return out

    def _record(self, op: Op, out: torch.Tensor) -> bool:
        self.set_name(out, op.output)
        return True

    def _on_conv(self, args, kwargs, out, transposed: bool = False) -> bool:
        # conv2d(input, weight, bias, stride, padding, dilation, groups) and
        # conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups): groups is 6th
        x, w = args[0], _arg(args, kwargs, 1, "weight")
        name = self.op_name("deconv" if transposed else "conv")
        return self._record(self.b.conv(name, x.shape, out.shape, w.shape, _arg(args, kwargs, 3, "stride", 1),
                                        _arg(args, kwargs, 4, "padding", 0), _arg(args, kwargs, 6, "groups", 1),
                                        transposed, (self.name_of(x),)), out)

    def _on_deconv(self, args, kwargs, out) -> bool:
        return self._on_conv(args, kwargs, out, transposed=True)

    def _on_fc(self, args, kwargs, out) -> bool:
        x = args[0]
        return self._record(self.b.fc(self.op_name("fc"), x.shape, out.shape, (self.name_of(x),)), out)

    def _on_pool(self, func_name: str, args, kwargs, out) -> bool:
        x = args[0]
        result = out[0] if isinstance(out, tuple) else out  # *_with_indices returns (values, indices)
        if x.dim() != 4:
            return False
        mode, arg_names = _POOL_SIGNATURES[func_name]
        params = {n: _arg(args, kwargs, i + 1, n) for i, n in enumerate(arg_names)}
        adaptive = "output_size" in params
        op = self.b.pool(self.op_name("pool"), x.shape, result.shape, mode,
                         None if adaptive else params["kernel_size"], params.get("stride"),
                         params.get("padding") or 0, (self.name_of(x),))
        self.set_name(out, op.output)
        return True

    def _on_upsample(self, args, kwargs, out) -> bool:
        x = args[0]
        mode = kwargs.get("mode", args[3] if len(args) > 3 else "nearest")
        return self._record(self.b.upsample(self.op_name("upsample"), x.shape, out.shape, mode,
                                            (self.name_of(x),)), out)

    def _on_add(self, args, kwargs, out) -> bool:
        a, b = args[0], _arg(args, kwargs, 1, "other")
        if not _is_feature_add(a, b):
            return False
        return self._record(self.b.add(self.op_name("add"), a.shape, (self.name_of(a), self.name_of(b))), out)

    def _on_concat(self, args, kwargs, out) -> bool:
        tensors = list(_arg(args, kwargs, 0, "tensors"))
        dim = _arg(args, kwargs, 1, "dim", 0)
        if out.dim() < 2 or dim % out.dim() != 1:
            return False  # only channel concatenation is a workload op
        return self._record(self.b.concat(self.op_name("concat"), out.shape, tuple(self.name_of(t) for t in tensors)),
                            out)


def _arg(args: tuple, kwargs: dict, index: int, name: str, default: Any = None) -> Any:
    if len(args) > index:
        return args[index]
    return kwargs.get(name, default)


def _flat(args: Any):
    for a in args:
        if isinstance(a, list | tuple):
            yield from _flat(a)
        else:
            yield a


def trace_meta(model: nn.Module, shape: tuple[int, ...]) -> list[Op]:
    builder = OpBuilder()
    tracer = _MetaTracer(builder)
    state = {k: torch.empty_like(v, device="meta") for k, v in
             list(model.named_parameters(remove_duplicate=False)) + list(model.named_buffers(remove_duplicate=False))}
    handles = []
    for path, module in model.named_modules():
        if not path:
            continue
        is_leaf = next(module.children(), None) is None
        handles.append(module.register_forward_pre_hook(tracer.entering(path, is_leaf)))
        handles.append(module.register_forward_hook(tracer.leaving))
    x = torch.empty(shape, device="meta")
    tracer.set_name(x, INPUT_TENSOR)
    try:
        with tracer:
            torch.func.functional_call(model, state, (x,), strict=False, tie_weights=True)
    except CoexploreError:
        raise
    except Exception as exc:  # a model that cannot run on shapes alone: say which and how to go on
        raise CoexploreError(f"tracing {type(model).__name__} on the meta device failed ({type(exc).__name__}: {exc})",
                             field="trace", fix="try method='export', or check the input shape") from exc
    finally:
        for handle in handles:
            handle.remove()
    return builder.ops
