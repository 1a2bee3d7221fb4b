"""LUT/FF model (fpga/fabric.py), its fit check, and staged weights (`weight_stage_cycles`).

Published figures (REFERENCES.md, "Boards today"; fpga/published.py): AMD PG338 v1.2 Table 9, the
DPUCZDX8G on the ZCU102 (B512..B4096 LUT / FF); Zhang et al. FPGA'15 ⟨64,7⟩ fp32 on the VC707:
186,251 LUT, 205,704 FF. FINN's utilisation ceilings: LUT 0.7, FF 0.5.
"""

import numpy as np
import pytest

from coexplore.fpga import Design, DesignSettings, evaluate, explore, get_device
from coexplore.fpga.fabric import coefficients, fit_rows
from coexplore.fpga.kernel import Target, buffer_placement
from coexplore.workload import get_reference

ZHANG = Design.parse("tm=64,tn=7,tr=13,tc=13,precision=fp32,clock=100,p=20,schedule=roofline,"
                     "tiles=conv1_*:11x11|conv2_*:27x27")


def test_the_dpu_fit_is_within_its_stated_error():
    fit = [r for r in fit_rows() if r["role"] == "fit"]
    assert len(fit) == 8  # four DPU sizes × LUT, FF
    for what, bound in (("LUT", 8.0), ("FF", 6.0)):  # MAPE 7.1 % and 5.6 % (fabric.py docstring)
        errors = [abs(r["error_pct"]) for r in fit if r["what"] == what]
        assert np.mean(errors) < bound and max(errors) < 13.0
    c = coefficients()
    assert 5 < c.lut_per_mac["int8"] < 20 and c.lut_fixed > 10_000  # fixed control dominates small engines


def test_zhang_design_reproduces_its_published_lut_ff_and_fits_the_vc707():
    cost = evaluate(get_reference("alexnet"), ZHANG, "vc707")
    assert (cost.lut, cost.ff) == (186_251, 205_704)  # Zhang FPGA'15, the fp32 calibration point
    assert cost.fits, cost.fit_problems
    assert cost.to_dict()["lut"] == 186_251


def test_default_limits_are_finns():
    limits = get_device("zcu102").limits
    assert (limits.lut, limits.ff) == (0.7, 0.5)
    assert get_device("zcu102").budget("lut") == int(274_080 * 0.7)


def _small_fabric_board():
    return get_device("zcu102").model_copy(update={"lut": 40_000, "ff": 80_000, "name": "tiny-fabric"})


def test_a_design_that_overruns_lut_is_rejected_with_a_message():
    board = _small_fabric_board()
    design = Design(tm=32, tn=32, tr=16, tc=16, precision="int16", clock_mhz=200)
    cost = evaluate(get_reference("vgg16"), design, board)
    assert not cost.fits
    lut_problem = next(p for p in cost.fit_problems if p.startswith("LUT"))
    assert f"{cost.lut:,} needed > 28,000 usable (70% of 40,000)" in lut_problem
    assert any(p.startswith("FF") for p in cost.fit_problems)


def test_the_dse_keeps_only_designs_whose_logic_fits():
    board = _small_fabric_board()
    settings = DesignSettings(precision="int16", clock_mhz=200)
    alexnet = get_reference("alexnet")
    small, full = explore(alexnet, board, settings), explore(alexnet, "zcu102", settings)
    assert small.n_fitting < full.n_fitting
    best = small.best_cost
    assert best.fits and best.lut <= board.budget("lut") and best.ff <= board.budget("ff")
    assert full.best.tm * full.best.tn > small.best.tm * small.best.tn


def test_a_board_without_lut_counts_is_not_checked():
    board = get_device("zcu102").model_copy(update={"lut": 0, "ff": 0})
    cost = evaluate(get_reference("alexnet"), ZHANG.replace(clock_mhz=200), board)
    assert not any(p.startswith(("LUT", "FF")) for p in cost.fit_problems)


# --- staged weights -------------------------------------------------------------------------------
def test_staged_weights_narrow_the_weight_banks_and_keep_the_cycles():
    wide = Design(tm=64, tn=32, tr=32, tc=32, precision="int8", clock_mhz=300, ports_words_per_cycle=(16, 16, 16))
    staged = wide.replace(weight_stage_cycles=8)
    w = get_reference("vgg16")
    a, b = evaluate(w, wide, "zcu104"), evaluate(w, staged, "zcu104")
    # every VGG16 conv tile has ≥ 8 output pixels per weight set: no stall, same conv cycles
    for ra, rb in zip(a.ops, b.ops):
        if ra.kind == "conv":
            assert rb.compute_cycles == ra.compute_cycles
    weight_blocks = lambda c: c.bram_breakdown["weight"] + c.uram_breakdown["weight"]  # noqa: E731
    assert weight_blocks(b) < weight_blocks(a)
    assert b.ff > a.ff  # the shadow and active weight registers


def test_a_tile_smaller_than_the_stage_waits_for_the_weights():
    # VGG16's fc layers have one output pixel: each weight set is held q cycles, tC = K²·q + P
    d = Design(tm=16, tn=16, tr=14, tc=14, precision="int16", weight_stage_cycles=4, pipeline_overhead_cycles=3,
               ports_words_per_cycle=(8, 8, 8))
    fc = next(r for r in evaluate(get_reference("vgg16"), d, "zcu102").ops if r.kind == "fc")
    plain = next(r for r in evaluate(get_reference("vgg16"), d.replace(weight_stage_cycles=1), "zcu102").ops
                 if r.kind == "fc")
    assert fc.compute_cycles == pytest.approx(plain.compute_cycles * (4 + 3) / (1 + 3))


def test_staged_banks_still_hold_a_whole_weight_set():
    target = Target.of(get_device("zcu104"), DesignSettings(precision="int8", weight_stage_cycles=8,
                                                            buffer_memory="bram"))
    one = buffer_placement(64, 32, (100, 9, 100), target).bram["weight"]
    # ⌈2048/8⌉ words × 8 bits = 2,048 bits wide, 72 deep → 57 BRAM18 (36 × 512), ×2 ping-pong
    assert one == 2 * 57


def test_staging_gets_the_newell1_dse_past_half_the_dsp_on_zcu104():
    from coexplore.nets import PRESETS, lower

    w, board = lower(PRESETS["newell1"]), get_device("zcu104")
    zhang_banks = explore(w, board, DesignSettings(precision="int8", clock_mhz=300, weight_stage_cycles=1))
    staged = explore(w, board, DesignSettings(precision="int8", clock_mhz=300, weight_stage_cycles=8))
    assert staged.best_cost.dsp > board.budget("dsp") / 2 >= zhang_banks.best_cost.dsp
    assert staged.best_cost.total_ms < zhang_banks.best_cost.total_ms and staged.best_cost.fits
    # The default DSE tries every organisation and keeps the fastest: here a staged one.
    default = explore(w, board, DesignSettings(precision="int8", clock_mhz=300))
    assert default.best.settings.weight_stage_cycles > 1
    assert default.best_cost.total_ms <= staged.best_cost.total_ms
    assert default.best_cost.dsp > board.budget("dsp") / 2 and default.best_cost.uram > 0


def test_a_named_weight_stage_is_kept_by_the_dse():
    assert DesignSettings(weight_stage_cycles=4).explore_weight_stages is False
    assert DesignSettings().explore_weight_stages is True
    assert DesignSettings(weight_stage_cycles=4, explore_weight_stages=True).explore_weight_stages is True


def test_the_header_names_the_staged_weight_banks():
    from coexplore.fpga import design_header

    d = Design(tm=64, tn=32, tr=16, tc=16, precision="int8", weight_stage_cycles=8)
    defines = {p[1]: p[2] for p in (line.split() for line in design_header(d, "zcu104", get_reference("vgg16"))
                                    .splitlines()) if len(p) > 2 and p[0] == "#define"}
    assert defines["CX_W_STAGE_CYCLES"] == "8" and defines["CX_W_BUF_DEPTH"] == str(9 * 8)  # 3×3 kernels × q


def test_a_stage_named_in_text_or_flat_fields_is_kept_over_a_base():
    from coexplore.fpga.design import parse_settings

    assert parse_settings("wstage=1").explore_weight_stages is False
    assert parse_settings("wstage=1,wstages=on").explore_weight_stages is True
    assert parse_settings("p=20").explore_weight_stages is True
    base = Design(tm=4, tn=4, tr=4, tc=4)
    assert base.replace(weight_stage_cycles=2).settings.explore_weight_stages is False
