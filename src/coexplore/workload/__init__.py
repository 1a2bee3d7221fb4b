"""The layer IR (plain data, no torch). See `ir.py`; reference networks in `reference.py`."""

from coexplore.workload.ir import OP_KINDS, LiveRange, Op, UniqueOp, Workload
from coexplore.workload.reference import REFERENCE_WORKLOADS, get_reference, is_reference, reference_names

__all__ = ["OP_KINDS", "LiveRange", "Op", "UniqueOp", "Workload", "REFERENCE_WORKLOADS", "get_reference",
           "is_reference", "reference_names"]
