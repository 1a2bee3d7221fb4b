"""Per-layer tiles in the exhaustive DSE (issue 12, item 3).

Zhang et al. FPGA'15 chose Tr = Tc per layer on AlexNet / VC707 (conv1 11 — our choice, the paper
gives none —, conv2 27, conv3–5 13; the buffers sized by the largest); REFERENCES.md. With
`per_layer_tiles` the explored tile sizes the buffers and each layer takes its best tile no larger.
"""

import numpy as np
import pytest

from coexplore.fpga import Design, DesignSettings, evaluate, explore
from coexplore.fpga.dse import tile_prefix_min
from coexplore.workload import get_reference

ZHANG = Design(tm=64, tn=7, tr=13, tc=13, precision="fp32", clock_mhz=100, pipeline_overhead_cycles=20,
               schedule="roofline", layer_tiles=(("conv1_*", 11, 11), ("conv2_*", 27, 27)))
SETTINGS = DesignSettings(precision="fp32", clock_mhz=100, pipeline_overhead_cycles=20, schedule="roofline",
                          max_macs=448)


def test_the_dse_finds_zhangs_per_layer_tiles_by_itself():
    w = get_reference("alexnet")
    zhang = evaluate(w, ZHANG, "vc707")
    uniform = explore(w, "vc707", SETTINGS)
    per_layer = explore(w, "vc707", SETTINGS.model_copy(update={"per_layer_tiles": True}))
    best = per_layer.best
    assert (best.tm, best.tn, best.tr, best.tc) == (64, 7, 27, 27)
    assert {(tr, tc) for _, tr, tc in best.layer_tiles} == {(11, 11), (13, 13)}  # conv2 keeps 27 × 27
    assert all(best.tile_for(f"conv{k}_g0") == (13, 13) for k in (3, 4, 5)) and best.tile_for("conv1_g1") == (11, 11)
    # exactly Zhang's cycles (compute 1,008,246 per group + P, both groups) and block RAM (1,104 of 1,648)
    assert per_layer.best_cost.total_cycles == zhang.total_cycles == 2_017_492
    assert per_layer.best_cost.bram18 == zhang.bram18 == 1_104 and per_layer.best_cost.fits
    assert uniform.best_cost.total_cycles == 2_043_514  # one tile for all layers: 1.3 % slower
    assert per_layer.best_cost.total_cycles <= uniform.best_cost.total_cycles


def test_the_sweep_total_equals_evaluate_of_the_chosen_design():
    from coexplore.nets.resolve import resolve_workload

    w = resolve_workload("newell1")
    res = explore(w, "zcu104", DesignSettings(precision="int8", clock_mhz=300, per_layer_tiles=True))
    uniform = explore(w, "zcu104", DesignSettings(precision="int8", clock_mhz=300))
    assert res.best_cost.total_cycles <= uniform.best_cost.total_cycles
    for design, cost in res.top[:3]:
        assert cost.fits
        again = evaluate(w, design, "zcu104")
        assert again.total_cycles == pytest.approx(cost.total_cycles, rel=1e-12)


def test_prefix_min_is_the_least_over_smaller_tiles():
    rng = np.random.default_rng(0)
    cycles = rng.random((2, 3 * 4, 2))  # (arrays, tr 3 × tc 4, ports)
    out = tile_prefix_min(cycles, (3, 4))
    grid = cycles.reshape(2, 3, 4, 2)
    for i in range(3):
        for j in range(4):
            assert np.array_equal(out.reshape(2, 3, 4, 2)[:, i, j], grid[:, :i + 1, :j + 1].min(axis=(1, 2)))
