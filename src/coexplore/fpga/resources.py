"""Resources of a design on a device: DSP, block RAM of the banked buffers, URAM, DRAM bandwidth.

- DSP: `⌈tm·tn × DSP per MAC⌉` (the precision table, by family).
- Buffers (Zhang FPGA'15, banked so the array reads every operand in one cycle): the input buffer is
  `tn` words wide, the weight buffer `tm·tn` words wide (depth K²), the output buffer `tm` partial
  sums wide; each depth is the largest tile any conv of the workload needs under the design. A
  memory of width W bits and depth D costs `min over block shapes (w × d) of ⌈W/w⌉·⌈D/d⌉` blocks,
  ×2 for ping-pong (double) buffering.
- Skip tensors kept on chip go to URAM first (where the part has it), then to block RAM.
- Bandwidth: the board's DDR in words per cycle at the design's clock and precision, × the DDR
  efficiency and the bandwidth utilisation limit; one port is capped by `device.max_port_bits`.

This module is the scalar path; `vectorized.py` has the array twin used by the DSE.
"""

from __future__ import annotations

from dataclasses import dataclass

from coexplore.fpga.design import Design
from coexplore.fpga.devices import BLOCK_SHAPES, Device
from coexplore.fpga.mapping import ConvGeometry, conv_geometry
from coexplore.fpga.precision import Precision
from coexplore.workload import Op, Workload

DOUBLE_BUFFER_COPIES = 2  # ping-pong: one buffer loads while the other computes


def ceil_div(a, b):
    """Ceiling division for ints and numpy integer arrays alike."""
    return -(-a // b)


# --- bandwidth -------------------------------------------------------------------------------------
def ddr_words_per_cycle(device: Device, precision: Precision, clock_mhz: float, ddr_efficiency: float) -> float:
    """Words per clock cycle the board's DRAM delivers (GB/s × 1e9 / (MHz × 1e6) = GB/s × 1e3 / MHz)."""
    bytes_per_cycle = device.bandwidth_budget_gbps() * 1e3 * ddr_efficiency / clock_mhz
    return bytes_per_cycle / precision.bytes_per_word


def max_port_words(device: Device, precision: Precision) -> float:
    """Words per cycle through the widest single port the board offers."""
    return device.max_port_bits / precision.bits


def shared_port_words(device: Device, precision: Precision, clock_mhz: float, ddr_efficiency: float) -> float:
    return min(ddr_words_per_cycle(device, precision, clock_mhz, ddr_efficiency), max_port_words(device, precision))


def gbps_from_words_per_cycle(words: float, precision: Precision, clock_mhz: float) -> float:
    return words * precision.bytes_per_word * clock_mhz / 1e3


# --- buffers ---------------------------------------------------------------------------------------
def effective_tile(design: Design, op: Op, geo: ConvGeometry) -> tuple[int, int]:
    """The (tr, tc) the engine runs `op` with: the design's tile (or override), at most the layer."""
    tr, tc = design.tile_for(op.name)
    return min(tr, geo.rows), min(tc, geo.cols)


def tile_depths(design: Design, op: Op) -> tuple[int, int, int]:
    """Words per bank (input, weight, output) that one tile of `op` needs."""
    geo = conv_geometry(op, design.schedule)
    tr, tc = effective_tile(design, op, geo)
    in_depth, out_depth = io_bank_depths(geo, tr, tc, design.schedule, design.input_halo)
    return in_depth, geo.kernel * geo.kernel, out_depth


def io_bank_depths(geo: ConvGeometry, tr, tc, schedule: str, input_halo: bool):
    """Words per input and per output bank for a tr × tc tile (already clipped to the layer).

    tr and tc are ints (one design) or numpy arrays (a batch of designs in `vectorized`): one
    formula serves both, so the scalar and the vectorised cost models cannot drift apart.
    """
    k, s, up = geo.kernel, geo.stride, geo.upscale
    if schedule == "roofline":
        in_depth = (s * tr + k - s) * (s * tc + k - s) if up == 1 else tr * tc
        out_depth = tr * tc * up * up
    else:
        halo = max(k - s, 0) if input_halo else 0
        in_depth = (tr + halo) * (tc + halo)
        out_depth = ceil_div(tr, s) * ceil_div(tc, s) * up * up
    return in_depth, out_depth


def buffer_depths(convs: Workload | list[Op], design: Design) -> tuple[int, int, int]:
    """Largest bank depths (input, weight, output) over the conv ops (a workload or a list of ops)."""
    ops = convs.convs() if isinstance(convs, Workload) else [op for op in convs if op.is_conv_like]
    depths = [tile_depths(design, op) for op in ops]
    if not depths:
        return 0, 0, 0
    return tuple(max(d[i] for d in depths) for i in range(3))  # type: ignore[return-value]


def memory_blocks(width_bits: int, depth_words: int, kind: str) -> int:
    """Blocks of `kind` for a width × depth memory, at the cheapest aspect ratio."""
    if width_bits <= 0 or depth_words <= 0:
        return 0
    return min(ceil_div(width_bits, w) * ceil_div(depth_words, d) for w, d in BLOCK_SHAPES[kind])


def buffer_blocks(design: Design, device: Device, precision: Precision,
                  convs: Workload | list[Op]) -> dict[str, int]:
    """Block RAMs of each buffer (already ×2 when double-buffered), and their total."""
    in_depth, w_depth, out_depth = buffer_depths(convs, design)
    copies = DOUBLE_BUFFER_COPIES if design.double_buffer else 1
    kind = device.block_ram_kind
    blocks = {
        "input": copies * memory_blocks(design.tn * precision.bits, in_depth, kind),
        "weight": copies * memory_blocks(design.tm * design.tn * precision.bits, w_depth, kind),
        "output": copies * memory_blocks(design.tm * precision.accumulator_bits, out_depth, kind),
    }
    blocks["total"] = sum(blocks.values())
    return blocks


def block_bits(kind: str) -> int:
    """Capacity of one block (its widest shape), for bulk storage."""
    w, d = BLOCK_SHAPES[kind][0]
    return w * d


@dataclass(frozen=True)
class SkipStorage:
    on_chip: bool
    bram: int  # blocks of the device's block-RAM kind
    uram: int
    bytes_needed: int


def skip_storage(bytes_needed: int, device: Device, bram_in_use: int) -> SkipStorage:
    """Place `bytes_needed` of skip tensors in URAM first, then in the block RAM left over."""
    if bytes_needed <= 0:
        return SkipStorage(True, 0, 0, 0)
    bits = bytes_needed * 8
    uram = min(ceil_div(bits, block_bits("URAM")), device.budget("uram"))
    left_bits = max(bits - uram * block_bits("URAM"), 0)
    bram = ceil_div(left_bits, block_bits(device.block_ram_kind))
    fits = bram_in_use + bram <= device.budget("bram")
    return SkipStorage(fits, bram if fits else 0, uram if fits else 0, bytes_needed)


# --- fit -------------------------------------------------------------------------------------------
def over_budget(label: str, used: float, device_total: float, limit: float, budget: float, fix: str) -> str:
    return (f"{label}: {used:,.0f} needed > {budget:,.0f} usable ({limit:.0%} of {device_total:,.0f}) "
            f"— over by {used - budget:,.0f}; {fix}")


def fit_problems(
    *, design: Design, device: Device, precision: Precision, clock_mhz: float, dsp: int, bram: int, uram: int,
) -> list[str]:
    """Every resource the design overruns, with used vs available and what to change."""
    problems = []
    if dsp > device.budget("dsp"):
        problems.append(over_budget("DSP", dsp, device.dsp, device.limits.dsp, device.budget("dsp"),
                                    "reduce tm·tn"))
    if bram > device.budget("bram"):
        problems.append(over_budget(device.block_ram_kind, bram, device.block_ram, device.limits.bram,
                                    device.budget("bram"), "reduce tm, tn or the tile tr×tc"))
    if uram > device.budget("uram"):
        problems.append(over_budget("URAM", uram, device.uram, device.limits.uram, device.budget("uram"),
                                    "keep fewer skip tensors on chip"))
    ports = design.ports_words_per_cycle
    if ports is not None:
        widest = max_port_words(device, precision)
        for label, words in zip(("input", "weight", "output"), ports):
            if words > widest + 1e-9:
                problems.append(f"port {label}: {words:g} words/cycle > {widest:g} (the widest port of "
                                f"{device.name} is {device.max_port_bits} bits); narrow it")
        need = gbps_from_words_per_cycle(sum(ports), precision, clock_mhz)
        have = device.bandwidth_budget_gbps() * design.ddr_efficiency
        if need > have + 1e-9:
            problems.append(f"bandwidth: ports need {need:.2f} GB/s > {have:.2f} GB/s of {device.name} "
                            f"— over by {need - have:.2f}; narrow the ports or lower the clock")
    return problems
