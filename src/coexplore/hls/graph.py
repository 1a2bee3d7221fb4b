"""The tensors of a workload as the engine runs it: each op's operands, every tensor's shape, which
tensors come from outside (network inputs) and which leave (network outputs).

The workload IR names tensors; the engine needs them resolved and checked: a conv reads one tensor
of exactly its input shape, an add reads same-shaped operands, a concat stacks channels. With
`isolate=True` every op reads fresh inputs of its declared shape instead (for workloads whose ops
are not chained, such as Zhang's AlexNet groups, whose pooling layers are left out).
"""

from __future__ import annotations

from dataclasses import dataclass

from coexplore.errors import CoexploreError
from coexplore.workload import Op, Workload

Shape = tuple[int, int, int, int]  # batch, channels, rows, cols

ENGINE_KINDS = ("conv", "fc", "pool", "upsample", "add", "concat")
MAX_OPERANDS = 4  # add / concat operands the engine's descriptor holds


@dataclass(frozen=True)
class Graph:
    workload: Workload
    operands: tuple[tuple[str, ...], ...]  # per op, the tensors it reads
    outputs: tuple[str, ...]  # per op, the tensor it writes
    shapes: dict[str, Shape]
    inputs: tuple[str, ...]  # network inputs, in order of first use
    results: tuple[str, ...]  # tensors no op reads: what the network hands back

    @property
    def ops(self) -> list[Op]:
        return self.workload.ops


def output_shape(op: Op) -> Shape:
    return op.batch, op.out_channels, op.out_h, op.out_w


def _operand_shapes(op: Op, count: int, known: list[Shape | None]) -> list[Shape]:
    """The shape each operand must have (concat: its own channels, known from its producer)."""
    if op.kind == "concat":
        if any(s is None for s in known):
            raise CoexploreError("a concat operand that is a network input has no known channel count",
                                 field=f"op {op.name}.inputs", fix="make every concat operand the output of an op")
        return [s for s in known if s is not None]
    return [(op.batch, op.in_channels, op.in_h, op.in_w)] * count


def build_graph(workload: Workload, *, isolate: bool = False) -> Graph:
    shapes: dict[str, Shape] = {}
    produced: set[str] = set()
    operands: list[tuple[str, ...]] = []
    outputs: list[str] = []
    inputs: list[str] = []
    previous = "input"
    for op in workload.ops:
        _check_supported(op)
        names = tuple(op.inputs) or (previous,)
        if isolate:  # a conv reads its N input maps as one tensor
            names = tuple(f"{op.name}.in{i}" for i in range(1 if op.is_conv_like else len(names)))
        if op.is_conv_like and len(names) != 1:
            raise CoexploreError(f"a conv reads one tensor, this one reads {len(names)}", field=f"op {op.name}.inputs",
                                 fix="concat the operands first, or cost the layer alone (isolate)")
        if op.kind == "add" and len(names) < 2 or len(names) > MAX_OPERANDS:
            raise CoexploreError(f"{op.kind} with {len(names)} operands", field=f"op {op.name}.inputs",
                                 fix=f"give an add 2..{MAX_OPERANDS} operands")
        wanted = _operand_shapes(op, len(names), [shapes.get(n) for n in names])
        for name, shape in zip(names, wanted):
            if name not in shapes:
                shapes[name] = shape
                inputs.append(name)
            elif shapes[name] != shape:
                raise CoexploreError(f"reads {name!r} as {shape[1:]} (C, H, W) but it is {shapes[name][1:]}",
                                     field=f"op {op.name}", fix="chain ops of matching shapes, or isolate the layers")
        if op.kind == "concat" and sum(s[1] for s in wanted) != op.out_channels:
            raise CoexploreError("out_channels is not the sum of the operands' channels", field=f"op {op.name}")
        out = op.output or op.name
        if out in shapes:
            raise CoexploreError(f"writes {out!r}, which already exists", field=f"op {op.name}.output",
                                 fix="give every op its own output tensor")
        shapes[out] = output_shape(op)
        produced.add(out)
        operands.append(names)
        outputs.append(out)
        previous = out
    read = {n for names in operands for n in names}
    results = tuple(o for o in outputs if o not in read)
    return Graph(workload, tuple(operands), tuple(outputs), shapes, tuple(inputs), results)


def _check_supported(op: Op) -> None:
    where = f"op {op.name}"
    if op.kind not in ENGINE_KINDS:
        raise CoexploreError(f"the engine has no {op.kind!r} op", field=where)
    if op.is_conv_like and op.transposed and (op.kernel % op.stride or op.groups > 1 or
                                              op.out_h != (op.in_h - 1) * op.stride - 2 * op.padding + op.kernel):
        raise CoexploreError("the engine runs a transposed conv whose kernel is a multiple of its stride, "
                             "ungrouped, without output padding", field=where,
                             fix="use kernel = 2·stride (the hourglass deconv) or nearest upsampling")
    if op.kind == "upsample" and (op.mode or "nearest") != "nearest":
        raise CoexploreError(f"the engine upsamples by nearest neighbour only, not {op.mode!r}", field=where,
                             fix="use upsample=nearest")
    if op.kind == "upsample" and (op.out_h % op.in_h or op.out_w % op.in_w or op.out_h // op.in_h != op.out_w // op.in_w):
        raise CoexploreError("upsampling needs one whole factor for rows and cols", field=where)
    if op.kind == "pool":
        if op.padding or (op.in_h - op.kernel) // op.stride + 1 != op.out_h or \
                (op.in_w - op.kernel) // op.stride + 1 != op.out_w:
            raise CoexploreError("the engine pools without padding, floor mode", field=where)
        if (op.mode or "max") not in ("max", "avg"):
            raise CoexploreError(f"unknown pooling {op.mode!r}", field=where, fix="max or avg")
        area = op.kernel * op.kernel
        if op.mode == "avg" and area & (area - 1):
            raise CoexploreError("an average pool needs a power-of-two window (its division is a shift)", field=where)
    if op.kind in ("add", "concat") and (op.in_h, op.in_w) != (op.out_h, op.out_w):
        raise CoexploreError(f"an {op.kind} keeps the map size", field=where)
