"""Turning one traced call into a workload `Op`: shared by the two tracing methods (trace.py).

Names tensors and ops uniquely and converts torch's shapes and arguments (square kernels, strides,
"same"/"valid" padding) into the IR's fields.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from coexplore.errors import CoexploreError
from coexplore.workload import Op

INPUT_TENSOR = "input"


class OpBuilder:
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
