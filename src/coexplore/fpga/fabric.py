"""LUT and FF of a design: the fabric logic around the DSPs and memories, and its fit error.

    LUT = L0 + l_mac[precision]·tm·tn + l_bit·read_bits + l_port·port_bits
    FF  = F0 + f_mac[precision]·tm·tn + f_bit·read_bits + f_port·port_bits + staging

Where each coefficient comes from (sources in `published.py`):

- **L0, F0 and the int8 per-MAC terms: our own least-squares fit** of `fixed + per_mac·MACs` to the
  four DPUCZDX8G sizes of AMD PG338 v1.2 Table 9 (B512..B4096 on the ZCU102: 256..2,048 MACs).
  The DPU's own buffers and AXI ports are inside those totals, so the fit carries them in its
  intercept and slope; adding our buffer and port terms on top errs on the safe (larger) side.
  Fit error: `fit_rows()` (LUT MAPE ≈ 7 %, FF ≈ 6 %; the K26 B3136, outside the fit, ≈ −17 % LUT).
- **fp32 per-MAC terms: calibrated on one point**, Zhang et al. FPGA'15's ⟨64,7⟩ on the VC707
  (186,251 LUT, 205,704 FF): what remains after L0, F0, its buffers and its port, per MAC (the HLS
  floating-point multiply and add cores). Exact there by construction; no independent check.
- **int16 per-MAC terms: an assumption**, twice the int8 ones (operands, adder tree and operand
  registers twice as wide; one MAC per DSP instead of two). No published Zhang-style int16 engine
  at hand.
- **Buffers (structural)**: the array reads `read_bits` per cycle (input tn, weight ⌈tm·tn/q⌉,
  output tm words wide, `kernel.buffer_read_bits`); double buffering selects the ping or the pong
  copy with a 2:1 multiplexer per bit, two per LUT6 (UltraScale CLB, UG574) → 0.5 LUT per bit, and
  the read data is registered → 1 FF per bit.
- **Ports (assumption)**: per bit of each AXI master's data width (at least 32 bits, the AXI4
  minimum) 1 LUT and 2 FF for its data path and FIFOs.
- **Staged weights** (`weight_stage_cycles` > 1): a shadow and an active register per weight,
  2·tm·tn words of FF (DSP48E2's B1/B2 registers could hold them; charged to the fabric to be safe).

Intel parts count ALMs (`Device.lut`); the LUT estimate is compared with them one to one, which is
conservative (an ALM holds up to two LUTs).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from coexplore.fpga.kernel import Ports, Target, buffer_read_bits
from coexplore.fpga.published import DPU_K26_B3136, DPU_PG338, ZHANG, FabricPoint

LUT_PER_MUX_BIT = 0.5  # ping-pong read select, two 2:1 muxes per LUT6 (UG574)
FF_PER_READ_BIT = 1.0  # registered read data
LUT_PER_PORT_BIT, FF_PER_PORT_BIT = 1.0, 2.0  # assumption, see the module docstring
MIN_PORT_BITS = 32  # AXI4's narrowest data bus
INT16_OVER_INT8 = 2.0  # assumption, see the module docstring


@dataclass(frozen=True)
class FabricCoefficients:
    lut_fixed: float
    ff_fixed: float
    lut_per_mac: dict[str, float]
    ff_per_mac: dict[str, float]


@dataclass(frozen=True)
class Fabric:
    """LUT and FF of one design (or arrays over a grid of designs)."""

    lut: object
    ff: object


def port_bits(ports: Ports, target: Target):
    """Data bits of the AXI masters: the one shared port, or the three separate ones."""
    bits = target.precision.bits
    width = lambda words: np.maximum(np.asarray(words) * bits, MIN_PORT_BITS)  # noqa: E731
    if ports.shared:
        return width(ports.input)
    return width(ports.input) + width(ports.weight) + width(ports.output)


def fabric(tm, tn, ports: Ports, target: Target) -> Fabric:
    """LUT and FF of a tm × tn design with these ports on the target (vectorised)."""
    c = coefficients()
    name = target.precision.name
    macs = tm * tn
    read = buffer_read_bits(tm, tn, target)
    mux = LUT_PER_MUX_BIT if target.settings.double_buffer else 0.0
    pbits = port_bits(ports, target)
    staging = 2 * macs * target.precision.bits if target.settings.weight_stage_cycles > 1 else 0
    lut = c.lut_fixed + c.lut_per_mac[name] * macs + mux * read + LUT_PER_PORT_BIT * pbits
    ff = c.ff_fixed + c.ff_per_mac[name] * macs + FF_PER_READ_BIT * read + FF_PER_PORT_BIT * pbits + staging
    return Fabric(np.ceil(lut), np.ceil(ff))


def _linear_fit(points: tuple[FabricPoint, ...], attr: str) -> tuple[float, float]:
    macs = np.array([p.macs for p in points], dtype=np.float64)
    y = np.array([getattr(p, attr) for p in points], dtype=np.float64)
    (fixed, per_mac), *_ = np.linalg.lstsq(np.stack([np.ones_like(macs), macs], axis=1), y, rcond=None)
    return float(fixed), float(per_mac)


@cache
def coefficients() -> FabricCoefficients:
    """The coefficients (see the module docstring): fitted once, then cached."""
    from coexplore.fpga.design import Design
    from coexplore.fpga.devices import get_device

    lut0, lut8 = _linear_fit(DPU_PG338, "lut")
    ff0, ff8 = _linear_fit(DPU_PG338, "ff")
    zhang = Design.parse(ZHANG.design)
    target = Target.of(get_device(ZHANG.device), zhang.settings)
    read = buffer_read_bits(zhang.tm, zhang.tn, target)
    pbits = float(port_bits(target.ports(zhang.ports_words_per_cycle), target))
    lut32 = (ZHANG.lut - lut0 - LUT_PER_MUX_BIT * read - LUT_PER_PORT_BIT * pbits) / ZHANG.macs
    ff32 = (ZHANG.ff - ff0 - FF_PER_READ_BIT * read - FF_PER_PORT_BIT * pbits) / ZHANG.macs
    return FabricCoefficients(lut0, ff0, {"int8": lut8, "int16": INT16_OVER_INT8 * lut8, "fp32": lut32},
                              {"int8": ff8, "int16": INT16_OVER_INT8 * ff8, "fp32": ff32})


def fit_rows() -> list[dict]:
    """The fit and its error: each published point, the model's LUT/FF, the error in % (the DPU
    sizes are the fit set, the K26 B3136 is outside it, Zhang is the fp32 calibration point)."""
    c = coefficients()
    rows = []
    for p, role in [*((p, "fit") for p in DPU_PG338), (DPU_K26_B3136, "held out")]:
        for what, published, fixed, per_mac in (("LUT", p.lut, c.lut_fixed, c.lut_per_mac),
                                                ("FF", p.ff, c.ff_fixed, c.ff_per_mac)):
            if published:
                model = fixed + per_mac[p.precision] * p.macs
                rows.append({"engine": p.name, "what": what, "role": role, "published": published,
                             "model": round(model), "error_pct": 100 * (model - published) / published,
                             "source": p.source})
    return rows
