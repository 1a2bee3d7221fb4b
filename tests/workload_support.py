"""Test helper: structural comparison of two workloads (same ops, shapes and tensor graph; names
ignored).

The tests check `lower(spec)` against `trace(build(spec))` and `from_onnx`, and traced twins against
the hand-written reference workloads.
"""

from __future__ import annotations

from dataclasses import fields

from coexplore.workload import Op, Workload

# Fields that describe what an op computes (everything but its names).
SHAPE_FIELDS = tuple(f.name for f in fields(Op) if f.name not in ("name", "inputs", "output"))


def structure(workload: Workload, *, with_inputs: bool = True) -> list[tuple]:
    """One tuple per op: its shape fields and, optionally, which earlier ops feed it (by index;
    -1 = a network input)."""
    producer = {op.output: i for i, op in enumerate(workload.ops) if op.output}
    rows = []
    for op in workload.ops:
        row = tuple(getattr(op, f) for f in SHAPE_FIELDS)
        if with_inputs:
            row += (tuple(producer.get(t, -1) for t in op.inputs),)
        rows.append(row)
    return rows


def differences(a: Workload, b: Workload, *, with_inputs: bool = True, limit: int = 5) -> list[str]:
    """Human-readable differences (empty if the workloads match op for op)."""
    sa, sb = structure(a, with_inputs=with_inputs), structure(b, with_inputs=with_inputs)
    found = []
    if len(sa) != len(sb):
        found.append(f"{len(sa)} ops in {a.name} vs {len(sb)} in {b.name}")
    for i, (ra, rb) in enumerate(zip(sa, sb)):
        if ra != rb:
            found.append(f"op {i}: {a.ops[i].name} {_describe(ra)} vs {b.ops[i].name} {_describe(rb)}")
            if len(found) >= limit:
                break
    return found


def _describe(row: tuple) -> str:
    named = dict(zip(SHAPE_FIELDS + ("inputs",), row))
    return "{" + ", ".join(f"{k}={v}" for k, v in named.items()) + "}"
