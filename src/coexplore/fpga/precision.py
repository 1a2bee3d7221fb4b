"""The one table of per-precision constants: word sizes and DSP cost of a MAC per FPGA family.

Sources (REFERENCES.md, "DSP per MAC"):
- fp32 on Xilinx: 5 DSP48 per multiply-add (3 for the multiplier + 2 for the adder of the Vivado HLS
  floating-point cores), as counted by Zhang et al. FPGA'15 (⟨64,7⟩ → 2,240 DSP).
- int16 on Xilinx: one DSP48 per MAC (a 25×18 / 27×18 multiplier with its 48-bit accumulator).
- int8 on UltraScale+: two MACs per DSP48E2 when the two products share an operand (Xilinx WP486,
  "Deep Learning with INT8 Optimization on Xilinx Devices"); on 7-series we count one per DSP48E1,
  the safe figure.
- Intel Arria 10 / Stratix 10: a variable-precision DSP block does one IEEE fp32 multiply-add, or two
  18×19 multipliers (Intel Arria 10 Native Fixed Point DSP IP guide), so int16/int8 get two per block.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from coexplore.errors import choice_error

PrecisionName = Literal["fp32", "int16", "int8"]
Family = Literal["7series", "ultrascale+", "intel"]
FAMILIES: tuple[str, ...] = ("7series", "ultrascale+", "intel")

# Partial sums of the output tile stay on chip across the input-channel loop (Zhang FPGA'15, the
# output buffer accumulates); they are kept at 32 bits for every precision (fp32 sums, int32 sums).
ACCUMULATOR_BITS = 32


@dataclass(frozen=True)
class Precision:
    """Arithmetic precision of the MAC array and of every word moved to or from DRAM."""

    name: str
    bits: int
    dsp_per_mac: dict[str, float]  # by family, see the module docstring for the sources
    accumulator_bits: int = ACCUMULATOR_BITS

    @property
    def bytes_per_word(self) -> int:
        return self.bits // 8


PRECISIONS: dict[str, Precision] = {
    "fp32": Precision("fp32", 32, {"7series": 5.0, "ultrascale+": 5.0, "intel": 1.0}),
    "int16": Precision("int16", 16, {"7series": 1.0, "ultrascale+": 1.0, "intel": 0.5}),
    "int8": Precision("int8", 8, {"7series": 1.0, "ultrascale+": 0.5, "intel": 0.5}),
}


def get_precision(name: str) -> Precision:
    """The precision called `name`; a CoexploreError listing the known ones otherwise."""
    try:
        return PRECISIONS[str(name).lower()]
    except KeyError:
        raise choice_error("precision", name, list(PRECISIONS)) from None
