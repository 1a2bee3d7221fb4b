"""The layer IR: plain data describing what a CNN asks of an accelerator.

An `Op` is one layer with its shapes; a `Workload` is the ordered list of ops plus the tensors they
read and write. Tensor names make skip branches visible: a tensor produced early and consumed much
later (the hourglass's full-resolution branch) is "alive" across every op in between, and the cost
model may have to park it in DRAM. No torch here: the IR is built from specs, traced models and ONNX
files alike.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Literal

from coexplore.errors import CoexploreError

OpKind = Literal["conv", "fc", "pool", "upsample", "add", "concat"]
OP_KINDS: tuple[str, ...] = ("conv", "fc", "pool", "upsample", "add", "concat")


# Integer fields of an op; padding may be 0, the others are ≥ 1.
_WHOLE_FIELDS = ("in_channels", "out_channels", "in_h", "in_w", "out_h", "out_w", "kernel", "stride", "padding",
                 "groups", "batch")
_EXACT_COUNT = 2**53  # the largest count a float64 (the cost model's arrays) holds exactly


@dataclass(frozen=True)
class Op:
    """One layer. Channels follow Zhang et al. FPGA'15: N input maps, M output maps.

    `conv` covers grouped and depthwise convolutions (`groups`), and transposed ones (`transposed`,
    the `deconv` upsampling of an hourglass); `fc` is a 1×1 conv on a 1×1 map. For `add` and
    `concat`, `inputs` lists every operand and `in_channels` is the channels of each operand (add)
    or their sum (concat). `mode` is the pooling ("max"/"avg") or upsampling ("nearest"/"bilinear")
    method.
    """

    name: str
    kind: OpKind
    in_channels: int
    out_channels: int
    in_h: int
    in_w: int
    out_h: int
    out_w: int
    kernel: int = 1
    stride: int = 1
    padding: int = 0
    groups: int = 1
    batch: int = 1
    transposed: bool = False
    mode: str = ""
    inputs: tuple[str, ...] = ()
    output: str = ""

    def __post_init__(self) -> None:
        if self.kind not in OP_KINDS:
            raise CoexploreError(
                f"unknown op kind {self.kind!r}", field=f"op {self.name}.kind", fix=f"use one of {OP_KINDS}"
            )
        for name in _WHOLE_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):  # JSON true, 3.5, "3", NaN
                raise CoexploreError(f"must be a whole number, got {value!r}", field=f"op {self.name}.{name}",
                                     fix="write a positive integer")
            low = 0 if name == "padding" else 1
            if value < low:
                raise CoexploreError(f"must be ≥ {low}, got {value}", field=f"op {self.name}.{name}",
                                     fix="check the op's sizes")
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise CoexploreError(
                f"groups={self.groups} must divide in_channels={self.in_channels} and out_channels={self.out_channels}",
                field=f"op {self.name}.groups",
            )
        object.__setattr__(self, "inputs", tuple(self.inputs))
        self._check_shape()

    def _check_shape(self) -> None:
        """Sizes an op of this kind can have; counts a float64 cost model holds exactly."""
        where = f"op {self.name}"
        if self.kind in ("pool", "upsample", "add") and self.out_channels != self.in_channels:
            raise CoexploreError(f"a {self.kind} keeps its channels, got {self.in_channels}→{self.out_channels}",
                                 field=f"{where}.out_channels", fix=f"set out_channels = in_channels = {self.in_channels}")
        if self.kind in ("conv", "pool") and not self.transposed:
            for axis in ("h", "w"):
                size, out = getattr(self, f"in_{axis}"), getattr(self, f"out_{axis}")
                largest = (size + 2 * self.padding - self.kernel + self.stride - 1) // self.stride + 1  # ceil mode
                if self.kernel > size + 2 * self.padding or out > largest:
                    raise CoexploreError(
                        f"a k{self.kernel}s{self.stride}p{self.padding} {self.kind} cannot make {out} "
                        f"from {size} (at most {largest})", field=f"{where}.out_{axis}",
                        fix="out = (in + 2·padding − kernel) / stride + 1")
        if max(self.macs, self.weight_elems, self.input_elems, self.output_elems) >= _EXACT_COUNT:
            raise CoexploreError("is larger than any network an accelerator runs (over 2**53 MACs or elements)",
                                 field=where, fix="check the channel counts and sizes")

    # --- sizes -------------------------------------------------------------------------------
    @property
    def is_conv_like(self) -> bool:
        """Ops that run on the MAC array (conv and fc)."""
        return self.kind in ("conv", "fc")

    @property
    def macs(self) -> int:
        """Multiply-accumulates. Transposed convs: every input pixel meets every kernel tap."""
        if not self.is_conv_like:
            return 0
        per_out_map = (self.in_channels // self.groups) * self.kernel * self.kernel
        if self.transposed:
            return self.batch * self.out_channels * self.in_h * self.in_w * per_out_map
        return self.batch * self.out_channels * self.out_h * self.out_w * per_out_map

    @property
    def weight_elems(self) -> int:
        if not self.is_conv_like:
            return 0
        return self.out_channels * (self.in_channels // self.groups) * self.kernel * self.kernel

    @property
    def input_elems(self) -> int:
        """Elements read from all operands."""
        operands = len(self.inputs) if self.kind == "add" and self.inputs else (2 if self.kind == "add" else 1)
        return self.batch * self.in_channels * self.in_h * self.in_w * operands

    @property
    def output_elems(self) -> int:
        return self.batch * self.out_channels * self.out_h * self.out_w

    def shape_key(self) -> tuple:
        """Everything that decides the cost of the op: identical keys cost the same."""
        return tuple(
            getattr(self, f.name) for f in fields(self) if f.name not in ("name", "inputs", "output")
        ) + ((len(self.inputs) if self.kind == "add" else 0),)

    def shape_str(self) -> str:
        """A short human-readable shape, e.g. `conv 128→256 64×64 k3s1`."""
        core = f"{self.in_channels}→{self.out_channels} {self.in_h}×{self.in_w}"
        if (self.out_h, self.out_w) != (self.in_h, self.in_w):
            core += f"→{self.out_h}×{self.out_w}"
        if self.is_conv_like or self.kind == "pool":
            core += f" k{self.kernel}s{self.stride}"
        if self.groups > 1:
            core += f" g{self.groups}"
        return f"{self.kind} {core}"


@dataclass(frozen=True)
class UniqueOp:
    """One distinct op shape and how many times it occurs (and which ops those are)."""

    op: Op
    count: int
    names: tuple[str, ...]


@dataclass(frozen=True)
class LiveRange:
    """A tensor's life: produced by op `start` (-1 = network input), last read by op `end`."""

    tensor: str
    elems: int
    start: int
    end: int

    @property
    def span(self) -> int:
        return self.end - self.start


@dataclass
class Workload:
    """An ordered list of ops; the order is the execution order on the accelerator."""

    name: str
    ops: list[Op] = field(default_factory=list)

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for op in self.ops:
            if op.name in seen:
                raise CoexploreError(f"duplicate op name {op.name!r}", field=f"workload {self.name}",
                                     fix="give every op its own name")
            seen.add(op.name)
        self._check_order()

    def _check_order(self) -> None:
        """Ops run in list order: none may read a tensor that it or a later op makes (a cycle)."""
        made_at = {}
        for i, op in enumerate(self.ops):
            if op.output:
                made_at.setdefault(op.output, i)
        for i, op in enumerate(self.ops):
            for tensor in op.inputs:
                if made_at.get(tensor, -1) >= i:
                    maker = self.ops[made_at[tensor]].name
                    loop = "its own output" if maker == op.name else f"{tensor!r}, made later by op {maker!r}"
                    raise CoexploreError(f"reads {loop}: the ops form a cycle", field=f"workload {self.name}: op {op.name}",
                                         fix="list the ops in execution order, each reading only earlier outputs")

    def __len__(self) -> int:
        return len(self.ops)

    def __iter__(self):
        return iter(self.ops)

    # --- views -------------------------------------------------------------------------------
    @property
    def macs(self) -> int:
        return sum(op.macs for op in self.ops)

    @property
    def params(self) -> int:
        """Weights of conv/fc layers (biases and batch-norm not counted)."""
        return sum(op.weight_elems for op in self.ops)

    def convs(self) -> list[Op]:
        return [op for op in self.ops if op.is_conv_like]

    def unique(self) -> list[UniqueOp]:
        """Group identical op shapes with their multiplicity, in order of first appearance."""
        groups: dict[tuple, list[Op]] = {}
        for op in self.ops:
            groups.setdefault(op.shape_key(), []).append(op)
        return [UniqueOp(ops[0], len(ops), tuple(o.name for o in ops)) for ops in groups.values()]

    def kind_counts(self) -> Counter:
        return Counter(op.kind for op in self.ops)

    def live_ranges(self) -> list[LiveRange]:
        """Every tensor with the op that makes it and the last op that reads it."""
        produced: dict[str, tuple[int, int]] = {}
        last_use: dict[str, int] = {}
        for i, op in enumerate(self.ops):
            for t in op.inputs:
                if t not in produced:  # a network input
                    produced[t] = (-1, op.input_elems // max(len(op.inputs), 1))
                last_use[t] = i
            if op.output:
                produced[op.output] = (i, op.output_elems)
        return [
            LiveRange(t, elems, start, last_use[t])
            for t, (start, elems) in produced.items()
            if t in last_use
        ]

    def skip_tensors(self) -> list[LiveRange]:
        """Tensors that stay alive across other ops (not consumed by the very next op only).

        These are the skip branches: a streaming accelerator cannot keep them in its tile buffers
        and must write them to DRAM and read them back, unless it reserves on-chip memory for them.
        """
        return [lr for lr in self.live_ranges() if lr.start >= 0 and lr.span > 1]

    def with_batch(self, batch: int) -> "Workload":
        return Workload(self.name, [replace(op, batch=batch) for op in self.ops])

    # --- serialisation ------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"name": self.name, "ops": [_op_to_dict(op) for op in self.ops]}

    @classmethod
    def from_dict(cls, data: dict) -> "Workload":
        if not data.get("ops"):
            raise CoexploreError("has no ops", field="workload", fix="give a list of ops as written by `net show --out`")
        try:
            ops = [Op(**{**raw, "inputs": tuple(raw.get("inputs", ()))}) for raw in data["ops"]]
            return cls(data["name"], ops)
        except (KeyError, TypeError, AttributeError) as exc:
            raise CoexploreError(
                f"malformed workload ({type(exc).__name__}: {exc})", field="workload",
                fix="expected {name, ops: [{name, kind, in_channels, ...}]} as written by `net show --out`",
            ) from None

    def to_json(self, path: str | Path | None = None) -> str:
        text = json.dumps(self.to_dict(), indent=1)
        if path is not None:
            Path(path).write_text(text)
        return text


def _op_to_dict(op: Op) -> dict:
    d = asdict(op)
    d["inputs"] = list(op.inputs)
    return d
