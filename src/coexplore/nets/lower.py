"""`lower(spec)`: the exact workload of a Stacked Hourglass, computed from the spec alone (no torch).

The op order is the execution order of the PyTorch module that `build(spec)` returns, so
`lower(spec)` and `trace(build(spec), ...)` agree op for op (the property tests check it).
Batch-norm and ReLU are not ops here: they are element-wise and fuse into the convolution
engine's load/store path. Op names say where an op sits:

    stem.conv, stem.res1.conv1, stem.pool, ...
    s0.hg.l1.up.m0.conv2        stack 0, hourglass level 1 (the top), up branch, module 0
    s0.hg.l2.pool / .low1 / .low3 / .upsample / .add, s0.hg.l4.bottom.m0.conv1
    s0.head.res.m0.conv1, s0.head.lin, s0.head.pred, s0.merge.feat, s0.merge.add_feat, ...

Each op's `output` tensor is named after the op; the network input is `input`. The up branch
of every hourglass level and the stack input live across the whole low branch: those are the
skip tensors (`Workload.skip_tensors()`).
"""

from __future__ import annotations

from dataclasses import dataclass

from coexplore.nets.recipe import (
    DECONV_KERNEL,
    DECONV_PADDING,
    DECONV_STRIDE,
    INPUT_CHANNELS,
    POOL_KERNEL,
    STEM_CONV_KERNEL,
    STEM_CONV_STRIDE,
    UPSAMPLE_FACTOR,
    block_steps,
    box_channels,
    skip_step,
    stem_widths,
)
from coexplore.nets.spec import HourglassSpec
from coexplore.workload import Op, Workload

INPUT_TENSOR = "input"


@dataclass(frozen=True)
class _Tensor:
    name: str
    channels: int
    res: int


class _Emitter:
    """Appends ops in execution order and hands back the tensor each one produces."""

    def __init__(self, batch: int):
        self.batch = batch
        self.ops: list[Op] = []

    def _emit(self, name: str, kind: str, x: _Tensor, out_channels: int, out_res: int, **extra) -> _Tensor:
        inputs = extra.pop("inputs", (x.name,))
        self.ops.append(Op(name, kind, x.channels, out_channels, x.res, x.res, out_res, out_res,
                           batch=self.batch, inputs=inputs, output=name, **extra))
        return _Tensor(name, out_channels, out_res)

    def conv(self, name: str, x: _Tensor, out_channels: int, kernel: int, *, stride: int = 1,
             groups: int = 1) -> _Tensor:
        padding = kernel // 2
        out_res = (x.res + 2 * padding - kernel) // stride + 1
        return self._emit(name, "conv", x, out_channels, out_res, kernel=kernel, stride=stride,
                          padding=padding, groups=groups)

    def deconv(self, name: str, x: _Tensor) -> _Tensor:
        out_res = (x.res - 1) * DECONV_STRIDE - 2 * DECONV_PADDING + DECONV_KERNEL
        return self._emit(name, "conv", x, x.channels, out_res, kernel=DECONV_KERNEL, stride=DECONV_STRIDE,
                          padding=DECONV_PADDING, transposed=True)

    def max_pool(self, name: str, x: _Tensor) -> _Tensor:
        return self._emit(name, "pool", x, x.channels, x.res // POOL_KERNEL, kernel=POOL_KERNEL,
                          stride=POOL_KERNEL, mode="max")

    def upsample(self, name: str, x: _Tensor, mode: str) -> _Tensor:
        return self._emit(name, "upsample", x, x.channels, x.res * UPSAMPLE_FACTOR, mode=mode)

    def add(self, name: str, a: _Tensor, b: _Tensor) -> _Tensor:
        return self._emit(name, "add", a, a.channels, a.res, inputs=(a.name, b.name))


class _HourglassLowering:
    """Walks the network in the same order as `StackedHourglass.forward`."""

    def __init__(self, spec: HourglassSpec, batch: int):
        self.spec = spec
        self.out = _Emitter(batch)

    def residual(self, prefix: str, x: _Tensor, in_channels: int, out_channels: int) -> _Tensor:
        y = x
        for step in block_steps(self.spec.block, in_channels, out_channels, self.spec.kernel):
            y = self.out.conv(f"{prefix}.{step.name}", y, step.out_channels, step.kernel, groups=step.groups)
        skip = skip_step(in_channels, out_channels)
        shortcut = self.out.conv(f"{prefix}.{skip.name}", x, skip.out_channels, skip.kernel) if skip else x
        return self.out.add(f"{prefix}.add", y, shortcut)

    def box(self, prefix: str, x: _Tensor, in_channels: int, out_channels: int) -> _Tensor:
        for j, (n, m) in enumerate(box_channels(in_channels, out_channels, self.spec.modules)):
            x = self.residual(f"{prefix}.m{j}", x, n, m)
        return x

    def stem(self, x: _Tensor) -> _Tensor:
        first, second = stem_widths(self.spec.stem, self.spec.features)
        x = self.out.conv("stem.conv", x, first, STEM_CONV_KERNEL, stride=STEM_CONV_STRIDE)
        x = self.residual("stem.res1", x, first, second)
        x = self.out.max_pool("stem.pool", x)
        x = self.residual("stem.res2", x, second, second)
        return self.residual("stem.res3", x, second, self.spec.features)

    def hourglass(self, prefix: str, x: _Tensor, level: int) -> _Tensor:
        widths = self.spec.level_features
        here, below = widths[level - 1], widths[level]
        name = f"{prefix}.l{level}"
        up = self.box(f"{name}.up", x, here, here)
        low = self.out.max_pool(f"{name}.pool", x)
        low = self.box(f"{name}.low1", low, here, below)
        if level < self.spec.order:
            low = self.hourglass(prefix, low, level + 1)
        else:
            low = self.box(f"{name}.bottom", low, below, below)
        low = self.box(f"{name}.low3", low, below, here)
        if self.spec.upsample == "deconv":
            low = self.out.deconv(f"{name}.upsample", low)
        else:
            low = self.out.upsample(f"{name}.upsample", low, self.spec.upsample)
        return self.out.add(f"{name}.add", up, low)

    def stack(self, i: int, x: _Tensor) -> _Tensor:
        spec, last = self.spec, i == self.spec.stacks - 1
        features = self.hourglass(f"s{i}.hg", x, 1)
        features = self.box(f"s{i}.head.res", features, spec.features, spec.features)
        lin = self.out.conv(f"s{i}.head.lin", features, spec.features, 1)
        pred = self.out.conv(f"s{i}.head.pred", lin, spec.joints, 1) if (last or spec.supervision) else None
        if last:
            return x
        x = self.out.add(f"s{i}.merge.add_feat", x, self.out.conv(f"s{i}.merge.feat", lin, spec.features, 1))
        if pred is not None:
            x = self.out.add(f"s{i}.merge.add_pred", x, self.out.conv(f"s{i}.merge.pred", pred, spec.features, 1))
        return x

    def run(self) -> list[Op]:
        x = self.stem(_Tensor(INPUT_TENSOR, INPUT_CHANNELS, self.spec.input_res))
        for i in range(self.spec.stacks):
            x = self.stack(i, x)
        return self.out.ops


def lower(spec: HourglassSpec | str, *, batch: int = 1) -> Workload:
    """The workload of `spec` (a spec, preset name or compact string) at `batch` images."""
    if isinstance(spec, str):
        from coexplore.nets.parse import parse_spec

        spec = parse_spec(spec)
    return Workload(str(spec), _HourglassLowering(spec, batch).run())
