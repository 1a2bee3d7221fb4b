"""`from_onnx(path)`: the workload of an ONNX model, from `onnx.shape_inference` (no runtime).

Conv / ConvTranspose / Gemm / MatMul become conv and fc ops; MaxPool, AveragePool and the global
pools become pool ops; Resize / Upsample become upsample ops; Add / Sum of two same-shaped feature
maps and channel Concat become add and concat ops. Every other node (BatchNormalization, Relu,
Identity, Reshape, ...) is element-wise or a view: its output keeps its input's tensor name.
A symbolic batch dimension is read as `batch` (default 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from coexplore.errors import CoexploreError
from coexplore.workload import Op, Workload

INPUT_TENSOR = "input"
_POOL_MODES = {"MaxPool": "max", "AveragePool": "avg", "GlobalAveragePool": "avg", "GlobalMaxPool": "max"}
_RESIZE_MODES = {"nearest": "nearest", "linear": "bilinear", "bilinear": "bilinear", "cubic": "bicubic"}


def from_onnx(path: str | Path, *, batch: int = 1, name: str | None = None) -> Workload:
    """Read an ONNX file into a Workload (shapes from ONNX shape inference)."""
    import onnx
    from onnx import numpy_helper, shape_inference

    path = Path(path)
    if not path.is_file():
        raise CoexploreError(f"file not found: {path}", field="onnx")
    try:
        model = onnx.load(str(path))
        model = shape_inference.infer_shapes(model, data_prop=True)
    except Exception as exc:  # a corrupt or unsupported file is a user problem, not a crash
        raise CoexploreError(f"cannot read ONNX model ({type(exc).__name__}: {exc})", field=str(path),
                             fix="pass a valid .onnx file (torch.onnx.export writes one)") from None
    graph = model.graph
    if not graph.node:  # an empty or non-ONNX file parses as an empty protobuf message
        raise CoexploreError("is not a valid ONNX model (no graph nodes)", field=str(path),
                             fix="export the network with torch.onnx.export or a converter, then pass the .onnx")
    weights = {init.name: tuple(init.dims) for init in graph.initializer}
    for node in graph.node:  # constants folded into Constant nodes also count as weights
        if node.op_type == "Constant" and node.attribute and node.attribute[0].HasField("t"):
            weights[node.output[0]] = tuple(numpy_helper.to_array(node.attribute[0].t).shape)
    shapes = _value_shapes(graph, batch)
    inputs = [i.name for i in graph.input if i.name not in weights]
    reader = _OnnxReader(shapes, weights, path)
    for i, tensor in enumerate(inputs):
        reader.names[tensor] = INPUT_TENSOR if len(inputs) == 1 else f"{INPUT_TENSOR}{i}"
    for node in graph.node:
        reader.read(node)
    return Workload(name or graph.name or path.stem, reader.ops)


def _value_shapes(graph: Any, batch: int) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    for info in list(graph.input) + list(graph.value_info) + list(graph.output):
        tensor_type = info.type.tensor_type
        if not tensor_type.HasField("shape"):
            continue
        dims = [d.dim_value if d.HasField("dim_value") else None for d in tensor_type.shape.dim]
        if dims and dims[0] is None:
            dims[0] = batch  # symbolic batch dimension
        if all(d is not None for d in dims):
            shapes[info.name] = tuple(int(d) for d in dims)
    return shapes


class _OnnxReader:
    def __init__(self, shapes: dict[str, tuple[int, ...]], weights: dict[str, tuple[int, ...]], path: Path):
        self.shapes, self.weights, self.path = shapes, weights, path
        self.names: dict[str, str] = {}  # ONNX value name → workload tensor name
        self.ops: list[Op] = []
        self.used: set[str] = set()

    def read(self, node: Any) -> None:
        handler = getattr(self, f"_{node.op_type.lower()}", None)
        op = handler(node) if handler else None
        activations = [t for t in node.input if t and t not in self.weights]
        if op is not None:
            self.ops.append(op)
            for out in node.output:
                self.names[out] = op.output
        elif activations:  # element-wise or view: same tensor for the IR
            for out in node.output:
                self.names[out] = self.tensor(activations[0])

    # --- helpers ------------------------------------------------------------------------------
    def tensor(self, value: str) -> str:
        return self.names.setdefault(value, value)

    def shape(self, value: str, node: Any) -> tuple[int, ...]:
        if value not in self.shapes:
            raise CoexploreError(f"no inferred shape for {value!r} (input/output of {node.op_type} {node.name!r})",
                                 field=str(self.path), fix="export with static input shapes")
        return self.shapes[value]

    def op_name(self, node: Any) -> str:
        base = node.name or node.output[0]
        name, i = base, 1
        while name in self.used:
            name, i = f"{base}_{i}", i + 1
        self.used.add(name)
        return name

    # --- node handlers (ONNX operator name, lower-cased) ----------------------------------------
    def _conv(self, node: Any, transposed: bool = False) -> Op:
        x, out = self.shape(node.input[0], node), self.shape(node.output[0], node)
        attrs = _attributes(node)
        kernel = attrs.get("kernel_shape") or list(self.weights[node.input[1]][2:])
        name = self.op_name(node)
        k = _square(kernel, name, "kernel")
        pads = attrs.get("pads", [0] * 4)
        if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID"):
            pads = [k // 2] * 4
        return Op(name, "conv", x[1], out[1], *_hw(x), *_hw(out), kernel=k,
                  stride=_square(attrs.get("strides", [1, 1]), name, "stride"),
                  padding=_square(pads, name, "padding"), groups=int(attrs.get("group", 1)), batch=x[0],
                  transposed=transposed, inputs=(self.tensor(node.input[0]),), output=name)

    def _convtranspose(self, node: Any) -> Op:
        return self._conv(node, transposed=True)

    def _gemm(self, node: Any) -> Op | None:
        activations = [t for t in node.input[:2] if t not in self.weights]
        if len(activations) != 1:
            return None  # activation × activation (attention): not a layer of the IR
        x, out = self.shape(activations[0], node), self.shape(node.output[0], node)
        name = self.op_name(node)
        return Op(name, "fc", x[-1], out[-1], 1, 1, 1, 1, batch=_prod(x[:-1]),
                  inputs=(self.tensor(activations[0]),), output=name)

    _matmul = _gemm

    def _pool(self, node: Any) -> Op | None:
        x, out = self.shape(node.input[0], node), self.shape(node.output[0], node)
        if len(x) != 4:
            return None
        attrs = _attributes(node)
        name = self.op_name(node)
        kernel = attrs.get("kernel_shape", [x[2] // out[2]])  # global pools: the whole map
        k = _square(kernel, name, "kernel")
        return Op(name, "pool", x[1], out[1], *_hw(x), *_hw(out), kernel=k,
                  stride=_square(attrs.get("strides", [k]), name, "stride"),
                  padding=_square(attrs.get("pads", [0]), name, "padding"), batch=x[0],
                  mode=_POOL_MODES[node.op_type], inputs=(self.tensor(node.input[0]),), output=name)

    _maxpool = _averagepool = _globalaveragepool = _globalmaxpool = _pool

    def _resize(self, node: Any) -> Op:
        x, out = self.shape(node.input[0], node), self.shape(node.output[0], node)
        mode = _attributes(node).get("mode", b"nearest")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        name = self.op_name(node)
        return Op(name, "upsample", x[1], out[1], *_hw(x), *_hw(out), batch=x[0], mode=_RESIZE_MODES.get(mode, mode),
                  inputs=(self.tensor(node.input[0]),), output=name)

    _upsample = _resize

    def _add(self, node: Any) -> Op | None:
        operands = [t for t in node.input if t]
        if len(operands) != 2 or any(t in self.weights for t in operands):
            return None  # a bias or constant add: element-wise, fused
        a, b = (self.shapes.get(t) for t in operands)
        if a is None or a != b or len(a) < 2:
            return None
        name = self.op_name(node)
        return Op(name, "add", a[1], a[1], *_hw(a), *_hw(a), batch=a[0],
                  inputs=tuple(self.tensor(t) for t in operands), output=name)

    _sum = _add

    def _concat(self, node: Any) -> Op | None:
        out = self.shape(node.output[0], node)
        axis = int(_attributes(node).get("axis", 0))
        if len(out) < 2 or axis % len(out) != 1:
            return None
        name = self.op_name(node)
        return Op(name, "concat", out[1], out[1], *_hw(out), *_hw(out), batch=out[0],
                  inputs=tuple(self.tensor(t) for t in node.input), output=name)


def _attributes(node: Any) -> dict[str, Any]:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _hw(shape: Sequence[int]) -> tuple[int, int]:
    return (int(shape[2]), int(shape[3])) if len(shape) >= 4 else (1, 1)


def _prod(values: Sequence[int]) -> int:
    result = 1
    for v in values:
        result *= int(v)
    return result


def _square(values: Sequence[int], name: str, what: str) -> int:
    distinct = {int(v) for v in values}
    if len(distinct) != 1:
        raise CoexploreError(f"non-square {what} {tuple(values)} is not supported by the workload IR",
                             field=f"onnx node {name}")
    return distinct.pop()
