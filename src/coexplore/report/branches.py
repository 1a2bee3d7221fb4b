"""Time by hourglass branch: in which part of the network the accelerator spends its time.

The branch of an op comes from its name in the lowered workload (`coexplore.nets.lower`, as
`coexplore net show` prints them):

    stem.*                                   stem
    s{i}.hg.l{L}.up.*                        level L skip   (the full-resolution box beside the dip)
    s{i}.hg.l{L}.pool, s{i}.hg.l{L}.low1.*   level L down   (pool and the box after it)
    s{i}.hg.l{L}.bottom.*                    level L bottom (the innermost box)
    s{i}.hg.l{L}.low3.*, .upsample, .add     level L up     (back up, and the add with the skip)
    s{i}.head.*                              head           (the heatmap head)
    s{i}.merge.*                             merge          (back into the next stack)

A skip read-back row ("skip A → B") is charged where the tensor is read, to B's branch. Ops of other
networks (AlexNet, ONNX files) fall into "other".
"""

from __future__ import annotations

import re
from typing import Any

from coexplore.report.tables import is_memory_bound, time_split
from coexplore.results import TrialRecord

STEM, OTHER = "stem", "other"
_LEVEL_OP = re.compile(r"^s(\d+)\.hg\.l(\d+)\.([a-z0-9]+)")
_STACK_OP = re.compile(r"^s(\d+)\.(head|merge)\.")
_PATH_OF_PART = {"up": "skip", "pool": "down", "low1": "down", "bottom": "bottom", "low3": "up", "upsample": "up",
                 "add": "up"}  # fmt: skip
_PATH_ORDER = {"skip": 0, "down": 1, "bottom": 2, "up": 3}
BRANCH_COLUMNS = ["stack", "branch", "ops", "compute_ms", "memory_ms", "total_ms", "exposed_memory_ms",
                  "memory_bound_ops", "share_of_total_pct"]  # fmt: skip


def branch_of(op_name: str) -> tuple[int | None, str]:
    """(stack index or None, branch label) of one op of a lowered hourglass."""
    name = op_name.split(" → ", 1)[1] if op_name.startswith("skip ") and " → " in op_name else op_name
    if name == STEM or name.startswith(STEM + "."):
        return None, STEM
    if match := _LEVEL_OP.match(name):
        path = _PATH_OF_PART.get(match.group(3))
        if path is not None:
            return int(match.group(1)), f"level {match.group(2)} {path}"
    if match := _STACK_OP.match(name):
        return int(match.group(1)), match.group(2)
    return None, OTHER


def branch_sort_key(branch: str) -> tuple[int, int, int]:
    """Stem first, then the levels from the outside in (skip, down, bottom, up), then head, merge, other."""
    if branch == STEM:
        return (0, 0, 0)
    if branch.startswith("level "):
        _, level, path = branch.split(" ")
        return (1, int(level), _PATH_ORDER[path])
    return (2, {"head": 0, "merge": 1}.get(branch, 2), 0)


def time_by_branch(record: TrialRecord | None) -> list[dict[str, Any]]:
    """Per (stack, branch): ops, compute / memory / total ms, the memory time not hidden by compute,
    memory-bound ops and the share of the network's time; stem first, stacks in order."""
    ops = (record.per_op or []) if record else []
    total_ms = sum(op.total_ms for op in ops)
    groups: dict[tuple[int | None, str], dict[str, Any]] = {}
    for op in ops:
        stack, branch = branch_of(op.name)
        group = groups.setdefault((stack, branch), {
            "stack": stack, "branch": branch, "ops": 0, "compute_ms": 0.0, "memory_ms": 0.0, "total_ms": 0.0,
            "exposed_memory_ms": 0.0, "memory_bound_ops": 0})  # fmt: skip
        group["ops"] += 1
        group["compute_ms"] += op.compute_ms
        group["memory_ms"] += op.memory_ms
        group["total_ms"] += op.total_ms
        group["exposed_memory_ms"] += time_split(op.compute_ms, op.total_ms)[1]
        group["memory_bound_ops"] += is_memory_bound(op.bottleneck, op.compute_ms, op.memory_ms)
    for group in groups.values():
        group["share_of_total_pct"] = 100.0 * group["total_ms"] / total_ms if total_ms else 0.0
    return sorted(groups.values(), key=lambda g: (-1 if g["stack"] is None else g["stack"], branch_sort_key(g["branch"])))


def time_by_branch_over_stacks(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`time_by_branch` rows summed over the stacks (one row per branch label), in branch order."""
    summed: dict[str, dict[str, Any]] = {}
    for row in rows:
        total = summed.setdefault(row["branch"], {"branch": row["branch"], "stacks": 0, **{
            key: 0 for key in ("ops", "compute_ms", "memory_ms", "total_ms", "exposed_memory_ms", "memory_bound_ops",
                               "share_of_total_pct")}})  # fmt: skip
        total["stacks"] += 1
        for key in ("ops", "compute_ms", "memory_ms", "total_ms", "exposed_memory_ms", "memory_bound_ops",
                    "share_of_total_pct"):  # fmt: skip
            total[key] += row[key]
    return sorted(summed.values(), key=lambda r: branch_sort_key(r["branch"]))
