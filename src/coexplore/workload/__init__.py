"""The layer IR (plain data, no torch). See `ir.py`."""

from coexplore.workload.ir import OP_KINDS, LiveRange, Op, UniqueOp, Workload

__all__ = ["OP_KINDS", "LiveRange", "Op", "UniqueOp", "Workload"]
