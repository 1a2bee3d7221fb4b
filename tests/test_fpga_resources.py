"""DSP per precision and family, block-RAM mapping of the banked buffers, fit messages."""

import pytest

from coexplore.fpga import Design, DesignSettings, Device, evaluate, get_device
from coexplore.fpga.kernel import Target, dsp_count, memory_blocks
from coexplore.fpga.resources import buffer_depths
from coexplore.workload import get_reference


@pytest.mark.parametrize("precision, family, dsp", [
    ("fp32", "7series", 5 * 448),      # 5 DSP48 per fp32 MAC (Zhang FPGA'15: ⟨64,7⟩ → 2,240)
    ("int16", "ultrascale+", 448),     # one DSP per 16-bit MAC
    ("int8", "ultrascale+", 224),      # two int8 MACs per DSP48E2 (Xilinx WP486)
    ("int8", "7series", 448),          # one per DSP48E1, the safe figure
    ("fp32", "intel", 448),            # one fp32 multiply-add per Arria 10 DSP block
    ("int16", "intel", 224),           # two 18×19 multipliers per block
])
def test_dsp_per_mac_table(precision, family, dsp):
    board = Device(name="b", part="P", family=family, dsp=9999, bram18=100, bandwidth_gbps=10, clock_mhz=100)
    assert dsp_count(64, 7, Target.of(board, DesignSettings(precision=precision))) == dsp


def test_block_ram_mapping_picks_the_cheapest_aspect_ratio():
    # BRAM18 shapes 36×512, 18×1K, 9×2K, 4×4K, 2×8K, 1×16K (UG573)
    assert memory_blocks(32, 512, "BRAM18") == 1
    assert memory_blocks(32, 513, "BRAM18") == 2
    assert memory_blocks(16, 1024, "BRAM18") == 1
    assert memory_blocks(448 * 32, 121, "BRAM18") == 399  # Zhang's weight buffer: ⌈14,336 / 36⌉
    assert memory_blocks(224, 2601, "BRAM18") == 39  # 13 wide × 3 deep at 18×1K beats 7 × 6 at 36×512
    assert memory_blocks(40, 512, "M20K") == 1 and memory_blocks(72, 4096, "URAM") == 1
    assert memory_blocks(0, 100, "BRAM18") == 0


def test_zhang_buffers():
    d = Design(tm=64, tn=7, tr=13, tc=13, precision="fp32", schedule="roofline",
               layer_tiles=(("conv1_*", 11, 11), ("conv2_*", 27, 27)))
    w = get_reference("alexnet")
    # input (4·11+7)² = 2,601 words (conv1); weights 11² = 121; output 27² = 729 partial sums (conv2)
    assert buffer_depths(w, d) == (2601, 121, 729)
    cost = evaluate(w, d, "vc707")
    # ×2 ping-pong: input 39, weights 399, output ⌈64·32/18⌉ = 114 (18×1K) → 1,104 (paper: 1,024)
    assert cost.bram_breakdown == {"input": 78, "weight": 798, "output": 228, "total": 1104, "skips": 0}
    single = evaluate(w, d.replace(double_buffer=False), "vc707")
    assert single.bram18 == 1104 // 2


def test_fit_problems_name_the_resource_and_the_overrun():
    cost = evaluate(get_reference("vgg16"), Design(tm=128, tn=32, tr=56, tc=56, precision="fp32"), "pynq-z2")
    assert not cost.fits
    text = " ".join(cost.fit_problems)
    assert "DSP: 20,480 needed > 176 usable (80% of 220) — over by 20,304" in text
    assert "BRAM18" in text and "usable (80% of 280)" in text


def test_explicit_ports_are_checked_against_the_board():
    # at the peak bandwidth (ddr_efficiency 1.0), as the arithmetic below
    d = Design(tm=8, tn=8, tr=8, tc=8, precision="fp32", ports_words_per_cycle=(4, 1, 1), ddr_efficiency=1.0)
    problems = evaluate(get_reference("alexnet"), d, "pynq-z2").fit_problems
    # a Zynq-7000 HP port is 64 bits = 2 fp32 words; 6 words × 4 B × 100 MHz = 2.4 GB/s > 2.1 GB/s
    assert any(p.startswith("port input: 4 words/cycle > 2") for p in problems)
    assert any(p.startswith("bandwidth: ports need 2.40 GB/s > 2.10 GB/s") for p in problems)


def test_utilisation_limits_are_settable():
    dev = get_device("zcu102").with_limits(dsp=1.0, bram=0.5)
    assert dev.budget("dsp") == 2520 and dev.budget("bram") == 912
    d = Design(tm=64, tn=36, tr=14, tc=14)  # 2,304 int16 MACs: over 80 %, under 100 % of 2,520 DSP
    w = get_reference("resnet18")
    assert any(p.startswith("DSP") for p in evaluate(w, d, "zcu102").fit_problems)
    assert not any(p.startswith("DSP") for p in evaluate(w, d, dev).fit_problems)


def test_intel_block_ram_is_counted_in_m20k():
    cost = evaluate(get_reference("alexnet"), Design(tm=32, tn=8, tr=13, tc=13, precision="fp32"), "arria10")
    dev = get_device("arria10")
    assert dev.block_ram_kind == "M20K" and dev.block_ram == 2713
    assert cost.dsp == 256 and cost.fits
