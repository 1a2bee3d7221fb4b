"""How the engine sees a workload: the loop extents of each conv, and what must go through DRAM.

Read by the cost kernel (`kernel.py`) for `evaluate` and for the DSE; no cost formula lives here,
only the reading of the IR.

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

from collections import Counter
from dataclasses import dataclass

from coexplore.workload import Op, Workload


@dataclass(frozen=True)
class ConvGeometry:
    """Per-group loop extents of a conv/fc op as one schedule sees them. Ints for one op; the cost
    kernel stacks several into one geometry of int arrays (`kernel.stack`)."""

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
    halo: int  # input rows/cols a tile reads beyond stride × tile: K − S (roofline), max(K − S, 0) (overlap)
    swept_rows: int  # extent the MAC array sweeps for one tile: R + 2·pad (overlap), R for a transposed conv
    swept_cols: int


def transposed_halo(kernel: int, stride: int, padding: int) -> int:
    """Input rows beyond an r-row input tile that its S·r output rows read: output o gathers the
    inputs i with i·S − pad + k = o (0 ≤ k < K), i.e. i from ⌈(o + pad − K + 1)/S⌉ to ⌊(o + pad)/S⌋.
    0 when K = S and pad = 0; 2 for the hourglass's 4×4 stride-2 pad-1 upsampling (one row each
    side). Found by the generated engine's port counts (issue 14)."""
    return (padding + stride - 1) // stride + (kernel - 1 - padding) // stride


def conv_geometry(op: Op, schedule: str) -> ConvGeometry:
    """The loop extents of `op` under `schedule`. A transposed conv is tiled over its input pixels,
    each meeting every tap, so its sweep is the tile itself; its halo is `transposed_halo`."""
    pad = 0 if op.transposed else op.padding
    if op.transposed:
        rows, cols, stride, upscale = op.in_h, op.in_w, 1, op.stride
    elif schedule == "roofline":
        rows, cols, stride, upscale = op.out_h, op.out_w, op.stride, 1
    else:
        rows, cols, stride, upscale = op.in_h, op.in_w, op.stride, 1
    if op.transposed:
        halo = transposed_halo(op.kernel, op.stride, op.padding)
    elif schedule == "roofline":
        halo = op.kernel - stride
    else:
        halo = max(op.kernel - stride, 0)
    return ConvGeometry(
        batch=op.batch, groups=op.groups, m=op.out_channels // op.groups, n=op.in_channels // op.groups,
        rows=rows, cols=cols, kernel=op.kernel, stride=stride, padding=op.padding, upscale=upscale,
        halo=halo, swept_rows=rows + 2 * pad, swept_cols=cols + 2 * pad,
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


@dataclass(frozen=True)
class OpEntry:
    """One op of the workload as the cost model sees it, with the skip read-backs charged before it."""

    op: Op
    skip_reads: tuple[SkipRead, ...]
    streamed: tuple[int, int] | None  # (words read, words written) of a non-conv op; None for a conv


class PreparedWorkload:
    """What the cost model reads from a workload, computed once (the DSE costs many designs of one
    net, and `evaluate` is called for every design it reports)."""

    def __init__(self, workload: Workload):
        self.workload = workload
        self.skips = plan_skips(workload)
        reads: dict[int, list[SkipRead]] = {}
        for r in self.skips.reads:
            reads.setdefault(r.consumer_index, []).append(r)
        self.entries: list[OpEntry] = []
        for index, op in enumerate(workload.ops):
            streamed = None if op.is_conv_like else streamed_words(op, self.skips.skip_elems_by_op.get(index, 0))
            self.entries.append(OpEntry(op, tuple(reads.get(index, ())), streamed))
        self.conv_ops = [e.op for e in self.entries if e.streamed is None]
        self.streamed_counts = list(Counter(e.streamed for e in self.entries if e.streamed is not None).items())
        self.skip_read_elems = [r.elems for r in self.skips.reads]
        self.macs = workload.macs
        self._geometries: dict[str, list[ConvGeometry]] = {}
        self._conv_counts: dict[str, list[tuple[ConvGeometry, int]]] = {}

    def geometries(self, schedule: str) -> list[ConvGeometry]:
        """The geometry of every conv op, in workload order."""
        if schedule not in self._geometries:
            self._geometries[schedule] = [conv_geometry(op, schedule) for op in self.conv_ops]
        return self._geometries[schedule]

    def conv_counts(self, schedule: str) -> list[tuple[ConvGeometry, int]]:
        """The distinct conv geometries with how many ops share each (an hourglass repeats a few)."""
        if schedule not in self._conv_counts:
            self._conv_counts[schedule] = list(Counter(self.geometries(schedule)).items())
        return self._conv_counts[schedule]
