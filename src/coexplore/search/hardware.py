"""The hardware side of a candidate: its best design (exact DSE) or a sampled one (joint genes).

`HardwareOracle.best(spec)` lowers the network to the workload IR and runs the exhaustive DSE of
`coexplore.fpga.explore` once per network (memoised: a network proposed again costs nothing).
`HardwareOracle.design(spec, genes)` evaluates one sampled design (`hw: joint`, as in the reference
paper and the RL co-exploration papers). Both return a `HardwareResult`: the design, the compute /
memory / total time split, resources and the fit check, as plain data for the trial record.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from coexplore.errors import CoexploreError

# Prefix of the Optuna parameters that hold the hardware genes in `hw: joint` mode.
HW_PARAM_PREFIX = "hw_"


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
        """The trial-record fields (records.HARDWARE_FIELDS) plus the fit problems."""
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

    def within(self, latency_budget_ms: float | None) -> bool:
        if self.total_ms is None:
            return False
        return latency_budget_ms is None or self.total_ms <= latency_budget_ms


def design_to_dict(design: Any) -> dict:
    if hasattr(design, "to_dict"):
        return dict(design.to_dict())
    if dataclasses.is_dataclass(design):
        return dataclasses.asdict(design)
    if hasattr(design, "model_dump"):
        return design.model_dump(mode="json")
    return dict(vars(design))


def design_label(design: Any) -> str:
    for name in ("short", "label", "to_string"):
        method = getattr(design, name, None)
        if callable(method):
            return str(method())
    return str(design)


def _num(value: Any, kind: type) -> Any:
    return None if value is None else kind(value)


def result_from_cost(design: Any, cost: Any) -> HardwareResult:
    """A HardwareResult from an fpga `Design` and its `evaluate()` cost."""
    return HardwareResult(
        design=design_to_dict(design),
        design_str=design_label(design),
        compute_ms=_num(cost.compute_ms, float),
        memory_ms=_num(cost.memory_ms, float),
        total_ms=_num(cost.total_ms, float),
        dsp=_num(cost.dsp, int),
        bram18=_num(cost.bram18, int),
        bandwidth_gbps=_num(cost.bandwidth_gbps, float),
        fits=bool(cost.fits),
        problems=tuple(str(p) for p in (getattr(cost, "fit_problems", None) or ())),
    )


NO_DESIGN = HardwareResult(None, None, None, None, None, None, None, None, False, ("no legal design fits the board",))


def op_cost_dict(op_cost: Any) -> dict:
    """One per-op row of the contract: name, kind, shape, compute/memory/total ms, bottleneck."""
    data = op_cost.to_dict() if hasattr(op_cost, "to_dict") else dict(vars(op_cost))
    keep = ("name", "kind", "shape", "compute_ms", "memory_ms", "total_ms", "bottleneck")
    row = {key: data.get(key) for key in keep}
    if row["shape"] is None and hasattr(op_cost, "op"):
        row["shape"] = op_cost.op.shape_str()
    return row


class HardwareOracle:
    """Best designs and sampled designs of networks on one board, memoised per network/design."""

    def __init__(
        self,
        device: str,
        precision: str = "int16",
        clock_mhz: float | None = None,
        *,
        schedule: str = "overlap",
        keep_skips_on_chip: bool = False,
        max_macs: int | None = None,
    ):
        from coexplore.fpga import get_device

        self.device = get_device(device)
        self.precision = precision
        self.clock_mhz = clock_mhz
        self.schedule = schedule
        self.keep_skips_on_chip = keep_skips_on_chip
        self.max_macs = max_macs
        self._best: dict[str, tuple[HardwareResult, Any]] = {}
        self._workloads: dict[str, Any] = {}

    @classmethod
    def from_config(cls, config: Any) -> "HardwareOracle":
        return cls(
            config.device,
            config.precision,
            config.clock_mhz,
            schedule=config.schedule,
            keep_skips_on_chip=config.keep_skips_on_chip,
            max_macs=config.max_macs,
        )

    def device_dict(self) -> dict:
        return design_to_dict(self.device)

    def workload(self, spec: Any) -> Any:
        key = str(spec)
        if key not in self._workloads:
            from coexplore.nets import lower, parse_spec

            self._workloads[key] = lower(parse_spec(key) if isinstance(spec, str) else spec)
        return self._workloads[key]

    def best(self, spec: Any) -> HardwareResult:
        """The fastest fitting design of the exhaustive DSE for this network (memoised)."""
        key = str(spec)
        if key not in self._best:
            from coexplore.fpga import explore

            found = explore(
                self.workload(spec),
                self.device,
                precision=self.precision,
                clock_mhz=self.clock_mhz,
                max_macs=self.max_macs,
                keep_skips_on_chip=self.keep_skips_on_chip,
                schedule=self.schedule,
            )
            if found.best is None:
                self._best[key] = (NO_DESIGN, None)
            else:
                self._best[key] = (result_from_cost(found.best, found.best_cost), found.best)
        return self._best[key][0]

    def best_design(self, spec: Any) -> Any:
        """The fpga Design object behind `best(spec)` (None if nothing fits)."""
        self.best(spec)
        return self._best[str(spec)][1]

    def make_design(self, genes: dict[str, Any]) -> Any:
        """An fpga Design from hardware genes (tm, tn, tr, tc, precision, …) and the search's
        fixed hardware settings (clock, schedule, skips on chip)."""
        from coexplore.fpga import Design
        from coexplore.search.config import parse_ports

        genes = dict(genes)
        if "ports" in genes:
            genes["ports_words_per_cycle"] = parse_ports(str(genes.pop("ports")))
        values = {
            "precision": self.precision,
            "clock_mhz": self.clock_mhz,
            "schedule": self.schedule,
            "keep_skips_on_chip": self.keep_skips_on_chip,
            **genes,
        }
        return Design(**values)

    def evaluate_design(self, spec: Any, design: Any) -> tuple[HardwareResult, Any]:
        """One network on one given design: the result and the raw cost (with per-op rows)."""
        from coexplore.fpga import evaluate

        cost = evaluate(self.workload(spec), design, self.device, **self._evaluate_options())
        return result_from_cost(design, cost), cost

    def _evaluate_options(self) -> dict[str, Any]:
        import inspect

        from coexplore.fpga import evaluate

        params = inspect.signature(evaluate).parameters
        options = {"keep_skips_on_chip": self.keep_skips_on_chip, "schedule": self.schedule}
        return {k: v for k, v in options.items() if k in params}

    def design(self, spec: Any, genes: dict[str, Any]) -> HardwareResult:
        """A sampled design (`hw: joint`); a design that cannot even be built is a misfit."""
        try:
            design = self.make_design(genes)
        except CoexploreError as exc:
            return dataclasses.replace(NO_DESIGN, problems=(str(exc),))
        try:
            return self.evaluate_design(spec, design)[0]
        except CoexploreError as exc:  # e.g. a tile larger than the board allows
            return dataclasses.replace(
                NO_DESIGN, design=design_to_dict(design), design_str=design_label(design), problems=(str(exc),)
            )

    def per_op(self, spec: Any, design: dict | None) -> list[dict] | None:
        """The per-op cost rows of `spec` on a design given as its dict (None without a design)."""
        if design is None:
            return None
        from coexplore.fpga import Design

        _, cost = self.evaluate_design(spec, Design(**design))
        return [op_cost_dict(op) for op in cost.ops]
