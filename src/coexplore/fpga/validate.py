"""The model against published measurements (`coexplore validate`).

Two parts, kept apart on purpose:

- **same architecture**: published designs whose architecture the model describes (the loop-tiled
  engine of Zhang et al. FPGA'15: AlexNet on the VC707), quantity by quantity — per-layer cycles,
  latency, throughput, bandwidth, DSP, block RAM, LUT, FF — with the error of each and the mean
  absolute percentage error (MAPE) over the rows that are checks. Rows the model was calibrated on
  (Zhang's LUT/FF set the fp32 coefficients of `fabric.py`) are shown but left out of the MAPE.
  The LUT/FF fit against the DPU sizes it was fitted to (and one held out) follows.
- **plausibility, another architecture**: production engines that are not Zhang-style (the Vitis AI
  DPU), compared on the fraction of their peak they attain on a similar network vs the fraction our
  DSE's best design attains on the same board. Not a validation: a sanity range.

Published numbers come from `published.py`. `fpga` imports no `nets`: the caller passes a function
that builds the plausibility networks by name (the CLI uses the nets resolver).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable

from coexplore.fpga.cost import WorkloadCost, evaluate
from coexplore.fpga.design import Design
from coexplore.fpga.dse import explore
from coexplore.fpga.fabric import fit_rows
from coexplore.fpga.published import DPU_THROUGHPUT, ZHANG
from coexplore.fpga.settings import DesignSettings
from coexplore.workload import Workload, get_reference

ZHANG_SOURCE = "Zhang et al. FPGA'15 (REFERENCES.md)"


@dataclass
class Row:
    """One published quantity against the model; `role` is "check" (in the MAPE) or "calibrated"."""

    design: str
    quantity: str
    published: float
    model: float
    role: str
    source: str

    @property
    def error_pct(self) -> float:
        return 100.0 * (self.model - self.published) / self.published

    def to_dict(self) -> dict:
        return {**asdict(self), "error_pct": self.error_pct}


@dataclass
class PlausibilityRow:
    engine: str
    device: str
    published_net: str
    net: str
    published_fraction: float  # of the engine's peak, end to end
    our_design: str
    our_fraction: float  # of our design's peak (2·tm·tn·clock)
    our_ms: float
    source: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Validation:
    rows: list[Row]
    fabric_fit: list[dict]
    plausibility: list[PlausibilityRow] = field(default_factory=list)

    @property
    def mape_pct(self) -> float:
        checks = [abs(r.error_pct) for r in self.rows if r.role == "check"]
        return sum(checks) / len(checks) if checks else 0.0

    def to_dict(self) -> dict:
        return {"same_architecture": [r.to_dict() for r in self.rows], "mape_pct": self.mape_pct,
                "fabric_fit": self.fabric_fit,
                "plausibility_other_architecture": [p.to_dict() for p in self.plausibility]}


def zhang_rows() -> list[Row]:
    """Zhang FPGA'15 AlexNet/VC707: the published figures against `evaluate` of the same design."""
    design = Design.parse(ZHANG.design)
    cost = evaluate(get_reference("alexnet"), design, ZHANG.device)
    name = f"Zhang AlexNet ⟨{design.tm},{design.tn}⟩ {ZHANG.device}"

    def row(quantity: str, published: float, model: float, role: str = "check") -> Row:
        return Row(name, quantity, published, model, role, ZHANG_SOURCE)

    rows = [row(f"{layer} cycles per group", cycles, cost.op(f"{layer}_g0").compute_cycles)
            for layer, cycles in ZHANG.per_group_cycles]
    rows.append(row("conv1-5 cycles per group", ZHANG.all_five_cycles,
                    sum(r.compute_cycles for r in cost.ops if r.name.endswith("_g0"))))
    rows.append(row("latency ms (measured)", ZHANG.measured_ms, cost.total_ms))
    rows.append(row("GFLOPS (measured)", ZHANG.gflops, cost.gops))
    rows.append(row("bandwidth GB/s conv3-5", ZHANG.required_gbps, _bandwidth(cost, ("conv3", "conv4", "conv5"))))
    rows.append(row("DSP", ZHANG.dsp, cost.dsp))
    rows.append(row("BRAM18", ZHANG.bram18, cost.bram18))
    rows.append(row("LUT", ZHANG.lut, cost.lut, "calibrated"))
    rows.append(row("FF", ZHANG.ff, cost.ff, "calibrated"))
    return rows


def _bandwidth(cost: WorkloadCost, layers: tuple[str, ...]) -> float:
    rows = [r for r in cost.ops if r.name.split("_")[0] in layers]
    return sum(r.traffic_bytes for r in rows) / (sum(r.total_ms for r in rows) / 1e3) / 1e9


def plausibility_rows(workload_of: Callable[[str], Workload]) -> list[PlausibilityRow]:
    """Each published engine's fraction of peak against our DSE's best design on the same board,
    int8 at the engine's clock (default settings otherwise)."""
    rows = []
    best: dict[tuple, tuple[Design, WorkloadCost]] = {}
    for e in DPU_THROUGHPUT:
        key = (e.net, e.device, e.clock_mhz)
        if key not in best:
            res = explore(workload_of(e.net), e.device, DesignSettings(precision="int8", clock_mhz=e.clock_mhz))
            best[key] = (res.best, res.best_cost)
        design, cost = best[key]
        peak_gops = 2 * design.tm * design.tn * cost.clock_mhz / 1e3
        rows.append(PlausibilityRow(e.engine, e.device, e.published_net, e.net, e.fraction_of_peak,
                                    design.to_string(), cost.gops / peak_gops, cost.total_ms, e.source))
    return rows


def validate(workload_of: Callable[[str], Workload] | None = None) -> Validation:
    """The whole table; the plausibility part only when `workload_of` can build its networks."""
    return Validation(zhang_rows(), fit_rows(), plausibility_rows(workload_of) if workload_of else [])
