"""Tracing method `export`: read the ops from the ATen graph that `torch.export` captures.

Ops are named from the graph's `nn_module_stack`. Use it for models whose Python control flow
should be frozen by the exporter, or as an independent cross-check of the `meta` method.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from coexplore.errors import CoexploreError
from coexplore.nets.trace_ops import INPUT_TENSOR, OpBuilder
from coexplore.workload import Op

# ATen overloads (by packet name) → kind, for the `export` method.
_ATEN_KINDS = {
    "conv2d": "conv", "convolution": "conv", "conv_transpose2d": "deconv", "linear": "fc", "addmm": "fc",
    "max_pool2d": "pool", "max_pool2d_with_indices": "pool", "avg_pool2d": "pool",
    "adaptive_avg_pool2d": "pool", "_adaptive_avg_pool2d": "pool", "adaptive_max_pool2d": "pool",
    "upsample_nearest2d": "upsample", "upsample_bilinear2d": "upsample", "_upsample_nearest_exact2d": "upsample",
    "add": "add", "add_": "add", "cat": "concat",
}


def trace_export(model: nn.Module, shape: tuple[int, ...]) -> list[Op]:
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
    builder = OpBuilder()
    names: dict[str, str] = {}  # fx node name → workload tensor name
    user_inputs = set(program.graph_signature.user_inputs)
    for node in program.graph.nodes:
        if node.op == "placeholder" and node.name in user_inputs:
            names[node.name] = INPUT_TENSOR
        elif node.op == "call_function":
            _export_node(node, builder, names)
    return builder.ops


def _export_node(node: Any, b: OpBuilder, names: dict[str, str]) -> None:
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
