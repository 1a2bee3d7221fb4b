"""The hardware side of a candidate: its best design (exact DSE) or a sampled one (joint genes).

`HardwareOracle.best(spec)` lowers the network to the workload IR and runs the exhaustive DSE of
`coexplore.fpga.explore` under the search's `DesignSettings` once per network (memoised: a network
proposed again costs nothing). `HardwareOracle.design(spec, genes)` evaluates one sampled design
(`hw: joint`, as in the reference paper and the RL co-exploration papers) under the same settings.
Both return a `HardwareResult`: the design (its dict, settings included), the compute / memory /
total time split, resources and the fit check, as plain data for the trial record.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from coexplore.errors import CoexploreError
from coexplore.fpga import Design, DesignSettings, OpCost, WorkloadCost, evaluate, explore, get_device, parse_ports
from coexplore.workload import Workload

if TYPE_CHECKING:
    from coexplore.search.config import SearchConfig

# Prefix of the Optuna parameters that hold the hardware genes in `hw: joint` mode.
HW_PARAM_PREFIX = "hw_"
# The columns of a per-op row in the trial record.
OP_ROW_FIELDS = ("name", "kind", "shape", "compute_ms", "memory_ms", "total_ms", "bottleneck", "macs", "traffic_bytes")


@dataclass(frozen=True)
class HardwareResult:
    """One network on one design. `design` is None when no legal design fits the board."""

    design: dict | None
    design_str: str | None
    compute_ms: float | None
    memory_ms: float | None
    total_ms: float | None
    dsp: int | None
    bram18: int | None
    bandwidth_gbps: float | None
    fits: bool
    problems: tuple[str, ...] = field(default=())

    def attrs(self) -> dict[str, Any]:
        """The hardware fields of a `coexplore.results.TrialRecord`."""
        return {
            "design": self.design,
            "design_str": self.design_str,
            "compute_ms": self.compute_ms,
            "memory_ms": self.memory_ms,
            "total_ms": self.total_ms,
            "dsp": self.dsp,
            "bram18": self.bram18,
            "bandwidth_gbps": self.bandwidth_gbps,
            "fits": self.fits,
            "hw_problems": list(self.problems),
        }


def result_from_cost(cost: WorkloadCost) -> HardwareResult:
    """A HardwareResult from the `evaluate()` cost of a design."""
    return HardwareResult(
        design=cost.design.to_dict(), design_str=cost.design.to_string(), compute_ms=cost.compute_ms,
        memory_ms=cost.memory_ms, total_ms=cost.total_ms, dsp=cost.dsp, bram18=cost.bram18,
        bandwidth_gbps=cost.bandwidth_gbps, fits=cost.fits, problems=tuple(cost.fit_problems),
    )


NO_DESIGN = HardwareResult(None, None, None, None, None, None, None, None, False, ("no legal design fits the board",))


def op_cost_dict(row: OpCost) -> dict:
    """One per-op row of the trial record: name, kind, shape, compute/memory/total ms, bottleneck, MACs, DRAM bytes."""
    return {key: getattr(row, key) for key in OP_ROW_FIELDS}


class HardwareOracle:
    """Best designs and sampled designs of networks on one board under one `DesignSettings`,
    memoised per network."""

    def __init__(self, device: str, settings: DesignSettings):
        self.device = get_device(device)
        self.settings = settings
        self._best: dict[str, HardwareResult] = {}
        self._workloads: dict[str, Workload] = {}

    @classmethod
    def from_config(cls, config: SearchConfig) -> "HardwareOracle":
        """The oracle of a `SearchConfig`: its board and its `hardware` settings, as they are."""
        return cls(config.device, config.hardware)

    def device_dict(self) -> dict:
        return self.device.model_dump(mode="json")

    def workload(self, spec: Any) -> Workload:
        key = str(spec)
        if key not in self._workloads:
            from coexplore.nets import lower, parse_spec

            self._workloads[key] = lower(parse_spec(key) if isinstance(spec, str) else spec)
        return self._workloads[key]

    def best(self, spec: Any) -> HardwareResult:
        """The fastest fitting design of the exhaustive DSE for this network (memoised)."""
        key = str(spec)
        if key not in self._best:
            found = explore(self.workload(spec), self.device, self.settings)
            self._best[key] = NO_DESIGN if found.best_cost is None else result_from_cost(found.best_cost)
        return self._best[key]

    def make_design(self, genes: dict[str, Any]) -> Design:
        """A Design from hardware genes (tm, tn, tr, tc, precision, ports as in `Design.parse`) under
        the search's settings. Without a ports gene the design takes the split the settings name,
        else the shared port."""
        genes = dict(genes)
        if "ports" in genes:
            ports = parse_ports(str(genes.pop("ports")), "hw_genes.ports")
        else:
            ports = self.settings.fixed_ports
        return Design(settings=self.settings, ports_words_per_cycle=ports, **genes)

    def evaluate_design(self, spec: Any, design: Design) -> WorkloadCost:
        """One network on one given design, with its per-op rows."""
        return evaluate(self.workload(spec), design, self.device)

    def design(self, spec: Any, genes: dict[str, Any]) -> HardwareResult:
        """A sampled design (`hw: joint`); a design that cannot even be built is a misfit."""
        try:
            design = self.make_design(genes)
        except CoexploreError as exc:
            return dataclasses.replace(NO_DESIGN, problems=(str(exc),))
        try:
            return result_from_cost(self.evaluate_design(spec, design))
        except CoexploreError as exc:  # e.g. a tile larger than the board allows
            return dataclasses.replace(NO_DESIGN, design=design.to_dict(), design_str=design.to_string(),
                                       problems=(str(exc),))

    def per_op(self, spec: Any, design: dict | None) -> list[dict] | None:
        """The per-op cost rows of `spec` on a design given as its dict (None without a design)."""
        if design is None:
            return None
        return [op_cost_dict(row) for row in self.evaluate_design(spec, Design(**design)).ops]
