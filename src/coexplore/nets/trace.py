"""`trace(model, input_shape)`: the workload of any `nn.Module`, without running the computation.

Two methods, same result:

- `meta` (default, fast): the model runs on the meta device (shapes only, no arithmetic, no weight
  copy: `torch.func.functional_call` with meta stand-ins for every parameter) under a
  `TorchFunctionMode` that sees every torch call — module convs and functional ones, `+`, `torch.cat`,
  pools, `F.interpolate` — and forward hooks that name each op after the module that ran it.
- `export`: `torch.export` captures the ATen graph symbolically; ops are read from the graph and
  named from its `nn_module_stack`. Use it for models whose Python control flow should be frozen
  by the exporter, or as an independent cross-check of `meta`.

Batch-norm, activations, views and other element-wise ops are not workload ops: their output
keeps the name of their input, so the tensor graph (and the skip tensors) stay connected.
Element-wise adds count only between two same-shaped feature maps (not scalar or bias adds).
The model is put in eval mode while tracing and restored afterwards.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from coexplore.errors import CoexploreError, choice_error
from coexplore.workload import Op, Workload

INPUT_TENSOR = "input"
METHODS = ("meta", "export")

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
# ATen overloads (by packet name) → kind, for the `export` method.
_ATEN_KINDS = {
    "conv2d": "conv", "convolution": "conv", "conv_transpose2d": "deconv", "linear": "fc", "addmm": "fc",
    "max_pool2d": "pool", "max_pool2d_with_indices": "pool", "avg_pool2d": "pool",
    "adaptive_avg_pool2d": "pool", "_adaptive_avg_pool2d": "pool", "adaptive_max_pool2d": "pool",
    "upsample_nearest2d": "upsample", "upsample_bilinear2d": "upsample", "_upsample_nearest_exact2d": "upsample",
    "add": "add", "add_": "add", "cat": "concat",
}
# Pool functions by __name__ → (mode, names of the arguments after the input); adaptive pools
# give an output size instead of a window.
_POOL_SIGNATURES = {
    **{n: ("max", ("kernel_size", "stride", "padding")) for n in ("max_pool2d", "_max_pool2d", "max_pool2d_with_indices")},
    "avg_pool2d": ("avg", ("kernel_size", "stride", "padding")),
    "adaptive_avg_pool2d": ("avg", ("output_size",)),
    **{n: ("max", ("output_size",)) for n in ("adaptive_max_pool2d", "adaptive_max_pool2d_with_indices")},
}


def trace(model: nn.Module, input_shape: Sequence[int], *, method: str = "meta", name: str | None = None) -> Workload:
    """The workload of `model` on an input of `input_shape` (e.g. `(1, 3, 256, 256)`)."""
    if method not in METHODS:
        raise choice_error("method", method, METHODS)
    shape = tuple(int(s) for s in input_shape)
    if len(shape) < 2 or any(s < 1 for s in shape):
        raise CoexploreError(f"expected (batch, channels, ...) with positive sizes, got {shape}", field="input_shape")
    with _eval_mode(model):
        ops = _trace_meta(model, shape) if method == "meta" else _trace_export(model, shape)
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


# --- shared: turning one call into an Op -----------------------------------------------------------
class _OpBuilder:
    """Names tensors, names ops uniquely, and turns (kind, shapes, arguments) into `Op`s."""

    def __init__(self) -> None:
        self.ops: list[Op] = []
        self.used: set[str] = set()

    def unique(self, base: str) -> str:
        name, i = base, 1
        while name in self.used:
            name, i = f"{base}_{i}", i + 1
        self.used.add(name)
        return name

    def conv(self, name: str, x: Sequence[int], out: Sequence[int], weight: Sequence[int], stride: Any,
             padding: Any, groups: int, transposed: bool, inputs: tuple[str, ...]) -> Op:
        kernel = _square(name, "kernel", weight[2:])
        return self._add(Op(name, "conv", x[1], out[1], *_hw(x), *_hw(out), kernel=kernel,
                            stride=_square(name, "stride", stride), padding=_padding(name, padding, kernel),
                            groups=int(groups), batch=x[0], transposed=transposed, inputs=inputs, output=name))

    def fc(self, name: str, x: Sequence[int], out: Sequence[int], inputs: tuple[str, ...]) -> Op:
        return self._add(Op(name, "fc", x[-1], out[-1], 1, 1, 1, 1, batch=math.prod(x[:-1]), inputs=inputs,
                            output=name))

    def pool(self, name: str, x: Sequence[int], out: Sequence[int], mode: str, kernel: Any, stride: Any,
             padding: Any, inputs: tuple[str, ...]) -> Op:
        if kernel is None:  # adaptive pooling: the window that maps in to out
            kernel = stride = max(1, x[2] // out[2])
            padding = 0
        k = _square(name, "kernel", kernel)
        s = _square(name, "stride", stride if stride not in (None, [], ()) else k)
        return self._add(Op(name, "pool", x[1], out[1], *_hw(x), *_hw(out), kernel=k, stride=s,
                            padding=_padding(name, padding, k), batch=x[0], mode=mode, inputs=inputs, output=name))

    def upsample(self, name: str, x: Sequence[int], out: Sequence[int], mode: str, inputs: tuple[str, ...]) -> Op:
        return self._add(Op(name, "upsample", x[1], out[1], *_hw(x), *_hw(out), batch=x[0], mode=mode,
                            inputs=inputs, output=name))

    def add(self, name: str, x: Sequence[int], inputs: tuple[str, ...]) -> Op:
        return self._add(Op(name, "add", _channels(x), _channels(x), *_hw(x), *_hw(x), batch=x[0], inputs=inputs,
                            output=name))

    def concat(self, name: str, out: Sequence[int], inputs: tuple[str, ...]) -> Op:
        return self._add(Op(name, "concat", _channels(out), _channels(out), *_hw(out), *_hw(out), batch=out[0],
                            inputs=inputs, output=name))

    def _add(self, op: Op) -> Op:
        self.ops.append(op)
        return op


def _hw(shape: Sequence[int]) -> tuple[int, int]:
    return (int(shape[2]), int(shape[3])) if len(shape) >= 4 else (1, 1)


def _channels(shape: Sequence[int]) -> int:
    return int(shape[1]) if len(shape) >= 2 else 1


def _square(name: str, what: str, value: Any) -> int:
    values = [int(v) for v in value] if isinstance(value, list | tuple) else [int(value)]
    if len(set(values)) != 1:
        raise CoexploreError(f"non-square {what} {tuple(values)} is not supported by the workload IR",
                             field=f"op {name}", fix="use square kernels/strides, or describe the layer by hand")
    return values[0]


def _padding(name: str, padding: Any, kernel: int) -> int:
    if isinstance(padding, str):  # conv2d(padding="same" | "valid")
        return kernel // 2 if padding == "same" else 0
    return _square(name, "padding", padding)


def _is_feature_add(a: Any, b: Any) -> bool:
    """An add the accelerator must run: two feature maps of the same shape (not a bias or counter)."""
    return (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.dim() >= 2
            and tuple(a.shape) == tuple(b.shape))


# --- method `meta`: TorchFunctionMode + module hooks -------------------------------------------------
class _MetaTracer(TorchFunctionMode):
    def __init__(self, builder: _OpBuilder):
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


def _trace_meta(model: nn.Module, shape: tuple[int, ...]) -> list[Op]:
    builder = _OpBuilder()
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


# --- method `export`: torch.export graph --------------------------------------------------------------
def _trace_export(model: nn.Module, shape: tuple[int, ...]) -> list[Op]:
    try:
        device = next(model.parameters()).device
    except StopIteration:
        device = torch.device("cpu")
    example = torch.zeros(shape, device=device) if device.type != "meta" else torch.empty(shape, device="meta")
    try:
        program = torch.export.export(model, (example,), strict=False)
    except Exception as exc:  # unsupported Python in forward: tell the user, do not crash
        raise CoexploreError(f"torch.export failed on {type(model).__name__} ({type(exc).__name__}: {exc})",
                             field="trace", fix="use method='meta'") from exc
    builder = _OpBuilder()
    names: dict[str, str] = {}  # fx node name → workload tensor name
    user_inputs = set(program.graph_signature.user_inputs)
    for node in program.graph.nodes:
        if node.op == "placeholder" and node.name in user_inputs:
            names[node.name] = INPUT_TENSOR
        elif node.op == "call_function":
            _export_node(node, builder, names)
    return builder.ops


def _export_node(node: Any, b: _OpBuilder, names: dict[str, str]) -> None:
    target = getattr(node.target, "_overloadpacket", None)
    packet = getattr(target, "__name__", str(node.target))
    kind = _ATEN_KINDS.get(packet)
    params = _schema_args(node)
    val = node.meta.get("val")
    out = val[0] if isinstance(val, list | tuple) else val

    def shape(n: Any) -> tuple[int, ...]:
        return tuple(n.meta["val"].shape)

    def tname(n: Any) -> str:
        return names.setdefault(n.name, b.unique("external"))

    first = next((a for a in node.args if hasattr(a, "meta") and "val" in a.meta), None)
    stack = list(node.meta.get("nn_module_stack", {}).values())
    path = stack[-1][0] if stack else ""

    def op_name(suffix: str) -> str:
        leaf_ok = path and path not in b.used and _is_leaf_module_type(stack[-1][1] if stack else "")
        return b.unique(path if leaf_ok else (f"{path}.{suffix}" if path else suffix))

    op = None
    if kind in ("conv", "deconv") and out is not None:
        x, w = params["input"], params["weight"]
        transposed = kind == "deconv" or bool(params.get("transposed", False))
        op = b.conv(op_name("conv"), shape(x), tuple(out.shape), shape(w), params.get("stride", 1),
                    params.get("padding", 0), params.get("groups", 1), transposed, (tname(x),))
    elif kind == "fc":
        x = params.get("input") if packet == "linear" else params.get("mat1")
        op = b.fc(op_name("fc"), shape(x), tuple(out.shape), (tname(x),))
    elif kind == "pool" and out is not None and len(tuple(out.shape)) == 4:
        x = params.get("self", first)
        adaptive = "adaptive" in packet
        mode = "max" if "max" in packet else "avg"
        op = b.pool(op_name("pool"), shape(x), tuple(out.shape), mode, None if adaptive else params.get("kernel_size"),
                    None if adaptive else params.get("stride"), 0 if adaptive else params.get("padding", 0), (tname(x),))
    elif kind == "upsample":
        x = params.get("input", params.get("self", first))
        op = b.upsample(op_name("upsample"), shape(x), tuple(out.shape), "bilinear" if "bilinear" in packet else "nearest",
                        (tname(x),))
    elif kind == "add":
        a, other = params.get("self"), params.get("other")
        if hasattr(a, "meta") and hasattr(other, "meta") and _same_feature_shape(shape(a), shape(other)):
            op = b.add(op_name("add"), shape(a), (tname(a), tname(other)))
    elif kind == "concat":
        tensors, dim = params.get("tensors", []), params.get("dim", 0)
        if len(tuple(out.shape)) >= 2 and dim % len(tuple(out.shape)) == 1:
            op = b.concat(op_name("concat"), tuple(out.shape), tuple(tname(t) for t in tensors))
    if op is not None:
        names[node.name] = op.output
    elif first is not None:
        names[node.name] = tname(first)  # element-wise / view: same tensor for the IR


def _is_leaf_module_type(type_name: str) -> bool:
    leaf_types = ("Conv", "Linear", "Pool", "Upsample", "ConvTranspose")
    return any(t in type_name.rsplit(".", 1)[-1] for t in leaf_types)


def _same_feature_shape(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return len(a) >= 2 and a == b


def _schema_args(node: Any) -> dict[str, Any]:
    """Arguments of an ATen call by name, with the schema's defaults filled in."""
    schema = getattr(node.target, "_schema", None)
    if schema is None:
        return {}
    values: dict[str, Any] = {}
    for i, arg in enumerate(schema.arguments):
        if i < len(node.args):
            values[arg.name] = node.args[i]
        elif arg.name in node.kwargs:
            values[arg.name] = node.kwargs[arg.name]
        elif arg.has_default_value():
            values[arg.name] = arg.default_value
    return values
