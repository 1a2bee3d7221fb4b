"""Resources of one design, in words: its buffer depths, and what it overruns on a device.

The formulas (DSP, block RAM of the banked buffers, skip storage, bandwidth) are in `kernel.py`;
this module applies them to a `Design` and writes the fit check's messages.
"""

from __future__ import annotations

from coexplore.fpga.design import Design
from coexplore.fpga.kernel import Target, bank_depths, stack
from coexplore.fpga.mapping import PreparedWorkload
from coexplore.workload import Workload


def buffer_depths(workload: Workload | PreparedWorkload, design: Design) -> tuple[int, int, int]:
    """Largest bank depths (input, weight, output) over the conv ops under `design`; a weight bank
    holds q kernel windows when weights are staged (`weight_stage_cycles` = q, see `kernel.py`)."""
    prep = workload if isinstance(workload, PreparedWorkload) else PreparedWorkload(workload)
    geometries = prep.geometries(design.settings.schedule)
    tiles = [design.tile_for(op.name) for op in prep.conv_ops]
    in_depth, w_depth, out_depth = bank_depths(stack(geometries), [t[0] for t in tiles], [t[1] for t in tiles],
                                               design.settings)
    return int(in_depth), int(w_depth) * design.settings.weight_stage_cycles, int(out_depth)


def over_budget(label: str, used: float, device_total: float, limit: float, budget: float, fix: str) -> str:
    return (f"{label}: {used:,.0f} needed > {budget:,.0f} usable ({limit:.0%} of {device_total:,.0f}) "
            f"— over by {used - budget:,.0f}; {fix}")


def fit_problems(design: Design, target: Target, *, dsp: int, bram: int, uram: int, lut: int = 0,
                 ff: int = 0) -> list[str]:
    """Every resource the design overruns, with used vs available and what to change. LUT and FF
    (`fabric.py`) are checked where the board gives their counts."""
    device = target.device
    problems = []
    if dsp > device.budget("dsp"):
        problems.append(over_budget("DSP", dsp, device.dsp, device.limits.dsp, device.budget("dsp"),
                                    "reduce tm·tn"))
    if bram > device.budget("bram"):
        problems.append(over_budget(device.block_ram_kind, bram, device.block_ram, device.limits.bram,
                                    device.budget("bram"), "reduce tm, tn or the tile tr×tc"))
    if uram > device.budget("uram"):
        problems.append(over_budget("URAM", uram, device.uram, device.limits.uram, device.budget("uram"),
                                    "keep fewer skip tensors on chip, or buffer_memory=auto/bram"))
    if device.fabric_known:
        for label, used, key, total in (("LUT", lut, "lut", device.lut), ("FF", ff, "ff", device.ff)):
            if used > device.budget(key):
                problems.append(over_budget(label, used, total, getattr(device.limits, key), device.budget(key),
                                            "reduce tm·tn (or int8/int16 for fp32), or narrow the ports"))
    ports = design.ports_words_per_cycle
    if ports is not None:
        problems += port_problems(ports, target)
    return problems


def port_problems(ports: tuple[float, float, float], target: Target) -> list[str]:
    """What is wrong with a port split on the target: a port wider than the board's, or more
    bandwidth than its DDR gives."""
    device, widest = target.device, target.widest_port_words
    problems = []
    for label, words in zip(("input", "weight", "output"), ports):
        if words > widest + 1e-9:
            problems.append(f"port {label}: {words:g} words/cycle > {widest:g} (the widest port of "
                            f"{device.name} is {device.max_port_bits} bits); narrow it")
    need = target.gbps(sum(ports))
    have = device.bandwidth_budget_gbps() * target.ddr_efficiency
    if need > have + 1e-9:
        problems.append(f"bandwidth: ports need {need:.2f} GB/s > {have:.2f} GB/s of {device.name} "
                        f"— over by {need - have:.2f}; narrow the ports or lower the clock")
    return problems
