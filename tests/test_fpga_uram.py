"""Buffers in URAM (issue 12): placement over BRAM18 and URAM, identical in `evaluate` and the DSE.

Block counts are computed by hand from the block geometries (UG573: BRAM18 36×512 … 1×16K,
URAM288 72×4,096) and the buffer widths of the model (Zhang FPGA'15 banking): input tn words,
weights tm·tn words (depth K²), output tm partial sums (int8 accumulates in 32 bits).
"""

import pytest

from coexplore.errors import CoexploreError
from coexplore.fpga import Design, DesignSettings, evaluate, explore, get_device
from coexplore.nets.resolve import resolve_workload


@pytest.fixture(scope="module")
def newell1():
    return resolve_workload("newell1")


def test_auto_puts_the_output_buffer_in_uram_on_zcu104(newell1):
    # tm=64, tn=16, 16×16 tiles, int8, ×2 ping-pong. Usable: 499 BRAM18, 76 URAM (80 %).
    #   input  128 b × 256:  BRAM ⌈128/36⌉ = 4 → 8;      URAM ⌈128/72⌉ = 2 → 4
    #   weight 8,192 b × 9:  BRAM ⌈8192/36⌉ = 228 → 456; URAM 114 → 228 (> 76: never)
    #   output 2,048 b × 256: BRAM ⌈2048/36⌉ = 57 → 114; URAM 29 → 58
    # Fitting placements: output in URAM (464 BRAM + 58 URAM: 0.930 + 0.763 = 1.693 of the budgets)
    # beats input and output in URAM (456 + 62: 0.914 + 0.816 = 1.730); all in BRAM (578) does not fit.
    d = Design(tm=64, tn=16, tr=16, tc=16, precision="int8", clock_mhz=300)
    cost = evaluate(newell1, d, "zcu104")
    assert cost.bram_breakdown == {"input": 8, "weight": 456, "output": 0, "total": 464, "skips": 0}
    assert cost.uram_breakdown == {"input": 0, "weight": 0, "output": 58, "skips": 0}
    assert cost.fits and cost.bram18 == 464 and cost.uram == 58
    bram_only = evaluate(newell1, d.replace(buffer_memory="bram"), "zcu104")
    assert bram_only.bram18 == 578 and bram_only.uram == 0 and not bram_only.fits
    all_uram = evaluate(newell1, d.replace(buffer_memory="uram"), "zcu104")
    assert all_uram.uram == 4 + 228 + 58 and not all_uram.fits
    assert any("URAM: 290 needed > 76 usable" in p for p in all_uram.fit_problems)
    assert cost.total_cycles == bram_only.total_cycles  # placement changes resources, not latency


def test_a_part_without_uram_keeps_the_published_block_ram(newell1):
    d = Design(tm=32, tn=8, tr=16, tc=16, precision="int8")
    assert evaluate(newell1, d, "zcu102").uram == 0  # XCZU9EG has no URAM (DS891)
    assert evaluate(newell1, d, "zcu102").bram18 == evaluate(newell1, d.replace(buffer_memory="bram"),
                                                             "zcu102").bram18


def test_dse_uses_uram_and_is_faster_than_block_ram_only(newell1):
    # before issue 12 (all buffers in BRAM18): ⟨64,13⟩ 16×16, 416 DSP, 490 BRAM18, 27.877 ms
    s = DesignSettings(precision="int8", clock_mhz=300, weight_stage_cycles=1)  # URAM alone, Zhang's banks
    before = explore(newell1, "zcu104", s.model_copy(update={"buffer_memory": "bram"}))
    after = explore(newell1, "zcu104", s)
    assert (before.best.tm, before.best.tn, before.best_cost.dsp) == (64, 13, 416)
    assert before.best_cost.total_ms == pytest.approx(27.877, abs=1e-3) and before.best_cost.uram == 0
    assert (after.best.tm, after.best.tn, after.best_cost.dsp) == (64, 16, 512)
    assert after.best_cost.total_ms == pytest.approx(23.763, abs=1e-3)
    assert after.best_cost.uram == 58 and after.best_cost.fits
    assert after.best.settings.buffer_memory == "auto"


def test_buffer_memory_round_trips_and_bad_values_name_the_field():
    d = Design(tm=8, tn=8, tr=8, tc=8, buffer_memory="uram")
    assert "buffers=uram" in d.to_string() and Design.parse(d.to_string()) == d
    with pytest.raises(CoexploreError) as err:
        Design.parse("tm=8,tn=8,tile=8,buffers=sram")
    assert "buffer_memory" in str(err.value) and "auto, bram, uram" in str(err.value)
