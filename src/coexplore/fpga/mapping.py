"""How the engine sees a workload: the loop extents of each conv, and what must go through DRAM.

Shared by the scalar reference model (`cost.py`) and the vectorised one (`vectorized.py`); no cost
formula lives here, only the reading of the IR.

- Conv geometry per schedule: the roofline schedule (Zhang FPGA'15) tiles the *output* map; the
  overlap schedule (Jiang et al.) tiles the *input* map and divides by the stride for the output
  tile. A transposed conv runs as a stride-1 conv over its input pixels whose output tile is
  `stride²` times larger; a grouped conv runs group by group on the array (a depthwise conv thus
  uses one MAC of the `tm × tn` array).
- Non-conv ops (pool, upsample, add, concat) only move data: read their operands, write the result.
- Skip tensors: a tensor read by a non-conv op more than one op after it was made (the hourglass's
  full-resolution branch, a residual shortcut) cannot survive in the tile buffers, so it is read back
  from DRAM (its write is the producer's ordinary output transfer). Those read-backs are listed as
  separate "skip" rows; `keep_skips_on_chip` removes them if the on-chip memory can hold the peak
  set of live skip tensors.
"""

from __future__ import annotations

from dataclasses import dataclass

from coexplore.workload import Op, Workload


@dataclass(frozen=True)
class ConvGeometry:
    """Per-group loop extents of a conv/fc op as one schedule sees them."""

    batch: int
    groups: int
    m: int  # output maps per group
    n: int  # input maps per group
    rows: int  # R: tiled rows (output rows for roofline, input rows for overlap)
    cols: int  # C
    kernel: int
    stride: int  # 1 for a transposed conv
    padding: int
    upscale: int  # output pixels per tiled pixel along one axis (stride of a transposed conv)


def conv_geometry(op: Op, schedule: str) -> ConvGeometry:
    if op.transposed:
        rows, cols, stride, upscale = op.in_h, op.in_w, 1, op.stride
    elif schedule == "roofline":
        rows, cols, stride, upscale = op.out_h, op.out_w, op.stride, 1
    else:
        rows, cols, stride, upscale = op.in_h, op.in_w, op.stride, 1
    return ConvGeometry(
        batch=op.batch, groups=op.groups, m=op.out_channels // op.groups, n=op.in_channels // op.groups,
        rows=rows, cols=cols, kernel=op.kernel, stride=stride, padding=op.padding, upscale=upscale,
    )


@dataclass(frozen=True)
class SkipRead:
    """A skip tensor read back from DRAM by a later non-conv op."""

    tensor: str
    producer_index: int
    consumer_index: int
    consumer: str
    elems: int

    @property
    def row_name(self) -> str:
        return f"skip {self.tensor} → {self.consumer}"


@dataclass(frozen=True)
class SkipPlan:
    reads: tuple[SkipRead, ...]
    skip_elems_by_op: dict[int, int]  # op index → elements it reads through skip rows
    peak_live_elems: int  # the most skip-tensor elements alive at once (on-chip storage needed)


def plan_skips(workload: Workload) -> SkipPlan:
    produced: dict[str, tuple[int, int]] = {}
    reads: list[SkipRead] = []
    for index, op in enumerate(workload.ops):
        if not op.is_conv_like:
            for tensor in dict.fromkeys(op.inputs):  # an operand used twice is read once
                if tensor in produced and index - produced[tensor][0] > 1:
                    start, elems = produced[tensor]
                    reads.append(SkipRead(tensor, start, index, op.name, elems))
        if op.output:
            produced[op.output] = (index, op.output_elems)
    by_op: dict[int, int] = {}
    for r in reads:
        by_op[r.consumer_index] = by_op.get(r.consumer_index, 0) + r.elems
    return SkipPlan(tuple(reads), by_op, _peak_live(reads))


def _peak_live(reads: list[SkipRead]) -> int:
    """Held from the producer until the last skip read of the tensor; peak of the sum over time."""
    hold: dict[str, tuple[int, int, int]] = {}
    for r in reads:
        start, end, elems = hold.get(r.tensor, (r.producer_index, r.consumer_index, r.elems))
        hold[r.tensor] = (start, max(end, r.consumer_index), elems)
    events: list[tuple[int, int]] = []
    for start, end, elems in hold.values():
        events += [(start, elems), (end + 1, -elems)]
    peak = live = 0
    for _, delta in sorted(events):
        live += delta
        peak = max(peak, live)
    return peak


def streamed_words(op: Op, skip_elems: int) -> tuple[int, int]:
    """(words read, words written) of a non-conv op, without its skip operands."""
    return max(op.input_elems - skip_elems, 0), op.output_elems
