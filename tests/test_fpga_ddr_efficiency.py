"""DDR efficiency per board (issue 12, item 2): published figures, used by default, shown everywhere.

Sources (REFERENCES.md, "Boards today"; each also in `devices.py`): ZCU102 PS DDR4 75 % of peak
(Manev et al., FPT'19), Ultra96 92.5 % (same paper), Zynq-7000 PS DDR3 mixed traffic 79–87 % (UG585),
U250 DDR4 52.2 of 77 GB/s (Vitis_Accel_Examples), U280 HBM2 421 of 460 GB/s.
"""

import pytest

from coexplore.errors import CoexploreError
from coexplore.fpga import Design, DesignSettings, evaluate, get_device, list_devices
from coexplore.fpga.kernel import Target
from coexplore.workload import get_reference


@pytest.mark.parametrize("board, efficiency", [("zcu102", 0.75), ("zcu104", 0.75), ("kv260", 0.75),
                                               ("ultra96", 0.925), ("pynq-z2", 0.83), ("u200", 0.68),
                                               ("u280", 0.92)])
def test_presets_carry_the_published_figure(board, efficiency):
    device = get_device(board)
    assert device.ddr_efficiency == efficiency and device.ddr_efficiency_source


def test_every_preset_states_its_source():
    assert all(0 < d.ddr_efficiency < 1 and d.ddr_efficiency_source for d in list_devices())


def test_the_board_figure_is_the_default_and_settings_override_it():
    # ZCU102, int16 at 200 MHz: 19.2 GB/s × 0.75 / (200 MHz × 2 B) = 36 words/cycle (48 at the peak)
    zcu102 = get_device("zcu102")
    assert Target.of(zcu102, DesignSettings(precision="int16", clock_mhz=200)).ddr_words == pytest.approx(36)
    peak = DesignSettings(precision="int16", clock_mhz=200, ddr_efficiency=1.0)
    assert Target.of(zcu102, peak).ddr_words == pytest.approx(48)


def test_estimates_report_the_efficiency_and_memory_time_scales_with_it():
    w = get_reference("vgg16")
    d = Design(tm=32, tn=32, tr=28, tc=28, precision="int16", schedule="roofline", clock_mhz=200)
    board = evaluate(w, d, "zcu102")
    peak = evaluate(w, d.replace(ddr_efficiency=1.0), "zcu102")
    assert board.ddr_efficiency == 0.75 and peak.ddr_efficiency == 1.0
    assert board.to_dict()["ddr_efficiency"] == 0.75
    # the roofline's memory time is traffic / (bandwidth × efficiency): exactly 1 / 0.75 longer
    assert board.memory_cycles == pytest.approx(peak.memory_cycles / 0.75, rel=1e-12)


def test_a_bad_efficiency_names_the_field():
    with pytest.raises(CoexploreError, match="ddr_efficiency"):
        Design.parse("tm=4,tn=4,tile=4,ddr_eff=1.5")
