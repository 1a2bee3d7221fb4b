"""The exhaustive hardware DSE: the pruned space loses nothing, the front is the Pareto front, the
port splits are the maximal ones, and the result is complete and serialisable."""

import itertools
import json

import numpy as np
import pytest

from coexplore.errors import CoexploreError
from coexplore.fpga import DesignSettings, Device, evaluate, explore, get_device, load_settings
from coexplore.fpga.front import pareto
from coexplore.fpga.kernel import Target, bank_depths, buffer_blocks, stack, workload_cycles
from coexplore.fpga.mapping import PreparedWorkload
from coexplore.fpga.space import port_options, useful_values
from coexplore.workload import Op, Workload, get_reference

SMALL = Device(name="small", part="S", family="ultrascale+", dsp=100, bram18=60, bandwidth_gbps=4.0,
               clock_mhz=100, max_port_bits=64)


def _tiny_net():
    ops = [Op("c1", "conv", 3, 12, 10, 10, 5, 5, kernel=3, stride=2, padding=1, inputs=("x",), output="c1"),
           Op("c2", "conv", 12, 20, 5, 5, 5, 5, kernel=3, padding=1, inputs=("c1",), output="c2"),
           Op("c3", "conv", 20, 12, 5, 5, 5, 5, kernel=1, inputs=("c2",), output="c3"),
           Op("add", "add", 12, 12, 5, 5, 5, 5, inputs=("c1", "c3"), output="add")]
    return Workload("tiny", ops)


def test_useful_values_are_the_trip_count_breakpoints():
    assert useful_values([10]).tolist() == [1, 2, 3, 4, 5, 10]  # ⌈10/k⌉ for k = 1..10
    assert useful_values([10, 7], cap=5).tolist() == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("schedule", ["overlap", "roofline"])
def test_pruned_space_finds_the_brute_force_optimum(schedule):
    """Every tm, tn ≤ the budget and every tile 1..max, evaluated blindly, is no better."""
    w = _tiny_net()
    settings = DesignSettings(precision="int16", schedule=schedule, tile_shapes="all", weight_stage_cycles=1)
    res = explore(w, SMALL, settings)
    prep, target = PreparedWorkload(w), Target.of(SMALL, settings)
    macs = SMALL.budget("dsp")
    tm, tn = np.array([(a, b) for a in range(1, macs + 1) for b in range(1, macs // a + 1)]).T
    extent = 10 if schedule == "overlap" else 5
    tiles = np.array(list(itertools.product(range(1, extent + 1), repeat=2)))
    tr, tc = tiles[:, 0][None, :], tiles[:, 1][None, :]
    in_depth, w_depth, out_depth = bank_depths(stack([g for g, _ in prep.conv_counts(schedule)], 1), tiles[:, 0],
                                               tiles[:, 1], settings)
    bram = sum(buffer_blocks(tm[:, None], tn[:, None], (in_depth[None, :], w_depth, out_depth[None, :]),
                             target).values())
    best = np.inf
    for ports in port_options(target.ddr_words, target.widest_port_words):
        cycles = workload_cycles(prep, target, tm[:, None], tn[:, None], tr, tc, target.ports(ports))
        best = min(best, cycles[bram <= SMALL.budget("bram")].min())
    assert res.best_cost.total_cycles == pytest.approx(best, rel=1e-12)


@pytest.mark.parametrize("seed, bram_sorted_in_array", [(1, False), (2, False), (3, True), (4, True)])
def test_front_is_exactly_the_pareto_set(seed, bram_sorted_in_array):
    rng = np.random.default_rng(seed)
    pair = np.sort(rng.integers(0, 60, 400))  # rows grouped by MAC array, as the sweep emits them
    bram = rng.integers(1, 12, 400)
    if bram_sorted_in_array:  # as with square tiles: block RAM rises with the tile inside an array
        bram = bram[np.lexsort((bram, pair))]
    found = {"cycles": rng.integers(1, 40, 400).astype(float), "dsp": pair // 5 + 1, "bram": bram, "pair": pair}
    got = set(pareto(found))
    pts = np.stack([found["cycles"], found["dsp"], found["bram"]], axis=1)
    le = np.all(pts[:, None, :] <= pts[None, :, :], axis=2)  # le[j, i]: j ≤ i everywhere
    lt = np.any(pts[:, None, :] < pts[None, :, :], axis=2)
    dominated = np.any(le & lt, axis=0)
    distinct = {tuple(p) for p, dom in zip(pts, dominated) if not dom}
    assert {tuple(pts[i]) for i in got} == distinct and len(got) == len(distinct)  # one per distinct point


def test_dse_front_points_do_not_dominate_each_other():
    res = explore(get_reference("resnet18"), "zcu104", DesignSettings(precision="int8"))
    pts = [(c.total_cycles, c.dsp, c.bram18) for _, c in res.front]
    assert pts[0][0] == res.best_cost.total_cycles
    for a, b in itertools.permutations(pts, 2):
        assert not (all(x <= y for x, y in zip(a, b)) and a != b)
    assert all(c.fits for _, c in res.front)


def test_port_options_are_maximal_power_of_two_splits():
    # VC707 at fp32/100 MHz: DDR 12.8 GB/s = 32 words/cycle, one 512-bit port = 16 words (at the
    # peak bandwidth: ddr_efficiency 1.0, the default before the boards' own figures)
    vc707 = Target.of(get_device("vc707"), DesignSettings(precision="fp32", clock_mhz=100, ddr_efficiency=1.0))
    assert vc707.ddr_words == pytest.approx(32)
    assert set(port_options(vc707.ddr_words, 16)) == {(16, 8, 8), (8, 16, 8), (8, 8, 16), None}
    # ZCU102 at int16/200 MHz: 48 words/cycle of DDR but 128-bit HP ports (8 words): only 8/8/8
    # (one shared 8-word port is never faster than three of them)
    assert port_options(48, 8) == [(8, 8, 8)]
    narrow = port_options(2, 8)  # 2 words of DDR: narrower-than-a-word splits, and the shared port
    assert None in narrow and (1, 0.5, 0.5) in narrow and all(sum(p) <= 2 for p in narrow if p)


def test_top_lists_distinct_arrays_fastest_first():
    res = explore(get_reference("alexnet"), "zc706", DesignSettings(precision="int16"), top_k=5)
    arrays = [(d.tm, d.tn) for d, _ in res.top]
    assert len(set(arrays)) == len(arrays) == 5
    times = [c.total_cycles for _, c in res.top]
    assert times == sorted(times) and res.top[0][0] == res.best


def test_result_is_complete_and_json_serialisable():
    settings = DesignSettings(precision="int16", keep_skips_on_chip=True, weight_stage_cycles=1)
    res = explore(_tiny_net(), SMALL, settings)
    data = json.loads(json.dumps(res.to_dict()))
    assert data["best"] == res.best.to_string() and data["n_designs"] == res.n_designs >= res.n_fitting > 0
    assert data["best_cost"]["ops"] and data["front"] and data["space"]["tile_shapes"] == "square"
    assert res.seconds > 0 and res.best.settings is settings and load_settings(data["settings"]) == settings


def test_nothing_fits_gives_no_best():
    starved = SMALL.model_copy(update={"bram18": 2})
    res = explore(_tiny_net(), starved, DesignSettings(precision="int16"))
    assert res.best is None and res.best_cost is None and res.front == [] and res.n_fitting == 0


@pytest.mark.parametrize("values, field", [({"precision": "fp64"}, "settings.precision: unknown value 'fp64'"),
                                           ({"schedule": "tiled"}, "settings.schedule"),
                                           ({"tile_shapes": "round"}, "settings.tile_shapes"),
                                           ({"ports": "8/8"}, "settings.ports: expected three widths")])
def test_bad_settings_are_clear_errors(values, field):
    with pytest.raises(CoexploreError, match=field):
        load_settings(values)


def test_port_policy_restricts_the_explored_ports():
    w = get_reference("alexnet")
    # Ultra96 at int16: 21.25 words/cycle of DDR, 128-bit ports (8 words): three splits and the shared port
    # (at the peak bandwidth, ddr_efficiency 1.0: the arithmetic above)
    peak = DesignSettings(precision="int16", ddr_efficiency=1.0)
    auto = explore(w, "ultra96", peak)
    shared = explore(w, "ultra96", peak.model_copy(update={"ports": "shared"}))
    fixed = explore(w, "ultra96", peak.model_copy(update={"ports": (4.0, 2.0, 2.0)}))
    assert (auto.space["port_options"], shared.space["port_options"], fixed.space["port_options"]) == (4, 1, 1)
    assert shared.best.ports_words_per_cycle is None and fixed.best.ports_words_per_cycle == (4, 2, 2)
    assert auto.best_cost.total_cycles <= min(shared.best_cost.total_cycles, fixed.best_cost.total_cycles)
    with pytest.raises(CoexploreError, match="settings.ports: port input: 64 words/cycle > 8"):
        explore(w, "ultra96", DesignSettings(precision="int16", ports="64/1/1"))


@pytest.mark.parametrize("refinement", [{"input_halo": True}, {"prologue_epilogue": True},
                                        {"pipeline_overhead_cycles": 20}, {"double_buffer": False},
                                        {"ddr_efficiency": 0.5}])
def test_every_refinement_reaches_the_dse(refinement):
    """The DSE explores under each refinement: its designs carry it and fit under it, and its best
    is at least as fast as the plain DSE's best design costed under the refinement when that one
    still fits (the brute-force property test checks optimality under any settings)."""
    w = get_reference("alexnet")
    plain = explore(w, "ultra96", DesignSettings(precision="int16"))
    refined = explore(w, "ultra96", DesignSettings(precision="int16", **refinement))
    key, value = next(iter(refinement.items()))
    assert getattr(refined.best.settings, key) == value and refined.best_cost.fits
    recosted = evaluate(w, plain.best.replace(**refinement), "ultra96")
    assert not recosted.fits or refined.best_cost.total_cycles <= recosted.total_cycles


def test_no_mac_array_fits_is_a_clear_error():
    with pytest.raises(CoexploreError, match="no MAC array fits"):
        # 3 usable DSP < 5 per fp32 MAC
        explore(_tiny_net(), SMALL.model_copy(update={"dsp": 4}), DesignSettings(precision="fp32"))


def test_hourglass_dse_with_skips_on_chip():
    nets = pytest.importorskip("coexplore.nets")
    w = nets.lower(nets.PRESETS["tiny"])
    spilled = explore(w, "zcu104", DesignSettings(precision="int16"))
    kept = explore(w, "zcu104", DesignSettings(precision="int16", keep_skips_on_chip=True))
    assert kept.best_cost.skips_on_chip and kept.best_cost.uram > 0  # ZCU104 has 96 URAM
    assert kept.best_cost.total_cycles < spilled.best_cost.total_cycles
    assert any(r.kind == "skip" for r in spilled.best_cost.ops)
