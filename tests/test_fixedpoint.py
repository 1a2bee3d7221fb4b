"""The integer arithmetic shared by quantisation, the integer reference and the HLS engine."""

from fractions import Fraction

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from coexplore.fixedpoint import frac_bits_for, qrange, quantize, requantize, shift_round


def nearest_ties_even(value: Fraction) -> int:
    # Python's round() on a Fraction is exact and rounds ties to even: an independent reference.
    return round(value)


@given(st.integers(-(2**40), 2**40), st.integers(-8, 30))
def test_shift_round_is_exact_rounding_ties_to_even(value, shift):
    expected = nearest_ties_even(Fraction(value) / Fraction(2) ** shift)
    assert int(shift_round(np.array([value]), shift)[0]) == expected


def test_ties_go_to_even_both_signs():
    assert shift_round(np.array([1, 3, 5, -1, -3, -5]), 1).tolist() == [0, 2, 2, 0, -2, -2]


def test_ranges_and_saturation():
    assert qrange(8) == (-128, 127)
    assert qrange(8, narrow=True) == (-127, 127)
    assert qrange(16) == (-32768, 32767)
    assert requantize(np.array([10**9, -(10**9)]), 4, 8).tolist() == [127, -128]
    assert quantize(np.array([-500.0]), 0, 8, narrow=True).tolist() == [-127]


def test_frac_bits_represent_the_range_without_saturating():
    max_abs = np.array([1.0, 0.3, 200.0, 1e-3])
    frac = frac_bits_for(max_abs, 8)
    assert frac.tolist() == [6, 8, -1, 16]  # 127/1 -> 2**6; 127/0.3=423 -> 2**8; 127/200 -> 2**-1; 127e3 -> 2**16
    assert (np.abs(max_abs * 2.0**frac) <= 127).all()
    assert (np.abs(max_abs * 2.0 ** (frac + 1)) > 127).all()
    assert frac_bits_for(0.0, 8).tolist() == 7
