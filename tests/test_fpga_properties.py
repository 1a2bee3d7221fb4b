"""Invariants of the cost model, as property tests (hypothesis):

- no design beats its MAC array: cycles ≥ MACs / (tm·tn), for both schedules;
- more of every resource is never slower: wider ports, a bigger board (DSP, BRAM, bandwidth), a
  larger MAC budget (per design the published model is *not* monotone in tm, tn or the tile: ceiling
  effects and the tW = Tm·Tn·K² reload make a bigger array slower on some layers, so the property is
  stated for resources);
- one kernel, two sums: the DSE's total of a design (`kernel.workload_cycles`, by op shape × count,
  at 0-d or over a grid of designs) equals the sum of `evaluate`'s per-op rows;
- the DSE's best is the best that `evaluate` finds by brute force over the whole space, under any
  settings (refinements, port policy, skips on chip), and it carries those settings.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coexplore.fpga import Design, DesignSettings, Device, design_space, evaluate, explore, get_device
from coexplore.fpga.kernel import Target, bank_depths, buffer_placement, skip_storage, stack, workload_cycles
from coexplore.fpga.mapping import PreparedWorkload
from coexplore.workload import Op, Workload

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BOARD = Device(name="prop", part="P", family="ultrascale+", dsp=4000, bram18=4000, uram=64, bandwidth_gbps=19.2,
               clock_mhz=200, max_port_bits=128)


@st.composite
def conv_ops(draw, name="op"):
    k = draw(st.sampled_from([1, 2, 3, 5, 7]))
    s = draw(st.sampled_from([1, 1, 2, 4]))
    p = draw(st.integers(0, (k - 1) // 2))  # "same"-style or less padding, as real layers use
    groups = draw(st.sampled_from([1, 1, 1, 2, 4]))
    n = groups * draw(st.integers(1, 24))
    m = groups * draw(st.integers(1, 24))
    size = draw(st.integers(max(k, 1), 40))
    transposed = draw(st.booleans()) and groups == 1 and s > 1
    out = size * s if transposed else (size + 2 * p - k) // s + 1
    return Op(name, "conv", n, m, size, size, out, out, kernel=k, stride=s, padding=0 if transposed else p,
              groups=groups, batch=draw(st.integers(1, 2)), transposed=transposed, inputs=("x",), output=name)


@st.composite
def all_settings(draw, schedule=None):
    return DesignSettings(precision=draw(st.sampled_from(["fp32", "int16", "int8"])),
                          schedule=schedule or draw(st.sampled_from(["overlap", "roofline"])),
                          double_buffer=draw(st.booleans()), pipeline_overhead_cycles=draw(st.sampled_from([0, 20])),
                          keep_skips_on_chip=draw(st.booleans()), input_halo=draw(st.booleans()),
                          prologue_epilogue=draw(st.booleans()), ddr_efficiency=draw(st.sampled_from([1.0, 0.7])),
                          weight_stage_cycles=draw(st.sampled_from([1, 4])))


@st.composite
def designs(draw, schedule=None):
    ports = draw(st.one_of(st.none(), st.tuples(*[st.sampled_from([0.5, 1, 2, 4, 8])] * 3)))
    return Design(tm=draw(st.integers(1, 48)), tn=draw(st.integers(1, 24)), tr=draw(st.integers(1, 48)),
                  tc=draw(st.integers(1, 48)), ports_words_per_cycle=ports, settings=draw(all_settings(schedule)))


@st.composite
def workloads(draw):
    """A short chain of convs with a pool and a residual add (so skip tensors appear)."""
    first = draw(conv_ops("c0"))
    ops = [first]
    c, size = first.out_channels, first.out_h
    for i in range(1, draw(st.integers(1, 4))):
        ops.append(Op(f"c{i}", "conv", c, c, size, size, size, size, kernel=3, padding=1, inputs=(ops[-1].output,),
                      output=f"c{i}"))
    if len(ops) > 2:
        ops.append(Op("add", "add", c, c, size, size, size, size, inputs=(ops[0].output, ops[-1].output),
                      output="add"))
    if size >= 2 and draw(st.booleans()):
        ops.append(Op("pool", "pool", c, c, size, size, size // 2, size // 2, kernel=2, stride=2, mode="max",
                      inputs=(ops[-1].output,), output="pool"))
    return Workload("prop", ops)


@FAST
@given(op=conv_ops(), d=designs())
def test_never_faster_than_the_mac_array(op, d):
    cost = evaluate(Workload("one", [op]), d, BOARD)
    bound = op.macs / (d.tm * d.tn)
    assert cost.compute_cycles >= bound * (1 - 1e-12)
    assert cost.total_cycles >= bound * (1 - 1e-12)


@FAST
@given(w=workloads(), d=designs(schedule="overlap"), factor=st.sampled_from([2, 4]))
def test_wider_ports_are_never_slower(w, d, factor):
    if d.ports_words_per_cycle is None:
        d = d.replace(ports_words_per_cycle=(1, 1, 1))
    wider = d.replace(ports_words_per_cycle=tuple(p * factor for p in d.ports_words_per_cycle))
    assert evaluate(w, wider, BOARD).total_cycles <= evaluate(w, d, BOARD).total_cycles * (1 + 1e-12)


@FAST
@given(w=workloads(), d=designs(), factor=st.sampled_from([1.5, 2.0, 8.0]))
def test_more_bandwidth_is_never_slower(w, d, factor):
    richer = BOARD.model_copy(update={"bandwidth_gbps": BOARD.bandwidth_gbps * factor,
                                      "max_port_bits": BOARD.max_port_bits * 4})
    assert evaluate(w, d, richer).total_cycles <= evaluate(w, d, BOARD).total_cycles * (1 + 1e-12)


@FAST
@given(w=workloads(), d=designs(), device=st.sampled_from(["vc707", "zcu104", "arria10-gx1150", "pynq-z2"]))
def test_the_dse_sum_at_0d_equals_the_sum_of_the_rows(w, d, device):
    cost = evaluate(w, d, device)
    prep, target = PreparedWorkload(w), Target.of(get_device(device), d.settings)
    total = workload_cycles(prep, target, d.tm, d.tn, d.tr, d.tc, target.ports(d.ports_words_per_cycle),
                            cost.skips_on_chip)
    assert float(total) == pytest.approx(cost.total_cycles, rel=1e-9, abs=1e-9)


def _scaled(device, factor):
    return device.model_copy(update={"name": f"{device.name}x{factor}", "dsp": int(device.dsp * factor),
                                     "bram18": int(device.bram18 * factor),
                                     "bandwidth_gbps": device.bandwidth_gbps * factor})


@settings(max_examples=12, deadline=None)
@given(w=workloads(), schedule=st.sampled_from(["overlap", "roofline"]), factor=st.sampled_from([1.5, 2, 3]))
def test_a_bigger_board_never_gives_a_slower_best_design(w, schedule, factor):
    small = BOARD.model_copy(update={"dsp": 300, "bram18": 200})
    settings = DesignSettings(precision="int16", schedule=schedule)
    base = explore(w, small, settings)
    bigger = explore(w, _scaled(small, factor), settings)
    if base.best is not None:
        assert bigger.best_cost.total_cycles <= base.best_cost.total_cycles * (1 + 1e-12)


@settings(max_examples=12, deadline=None)
@given(w=workloads(), low=st.integers(1, 64), extra=st.integers(1, 256))
def test_a_larger_mac_budget_never_gives_a_slower_best_design(w, low, extra):
    a = explore(w, BOARD, DesignSettings(precision="int16", max_macs=low))
    b = explore(w, BOARD, DesignSettings(precision="int16", max_macs=low + extra))
    assert b.best_cost.total_cycles <= a.best_cost.total_cycles * (1 + 1e-12)
    assert a.best.tm * a.best.tn <= low


# A board small enough to cost every design of the space one by one: 12 int16 MACs, 128-bit ports.
TINY = Device(name="tiny", part="T", family="ultrascale+", dsp=15, bram18=60, uram=1, bandwidth_gbps=2.4,
              clock_mhz=100, max_port_bits=64)


@st.composite
def tiny_workloads(draw):
    """One or two small convs, then a pool or a residual add (a skip tensor)."""
    n, m, size = draw(st.integers(1, 6)), draw(st.integers(1, 6)), draw(st.integers(3, 8))
    k = draw(st.sampled_from([1, 3]))
    ops = [Op("c0", "conv", n, m, size, size, size, size, kernel=k, padding=k // 2, inputs=("x",), output="c0")]
    if draw(st.booleans()):
        ops.append(Op("c1", "conv", m, m, size, size, size, size, kernel=3, padding=1, inputs=("c0",), output="c1"))
        ops.append(Op("c2", "conv", m, m, size, size, size, size, kernel=1, inputs=("c1",), output="c2"))
        ops.append(Op("add", "add", m, m, size, size, size, size, inputs=("c0", "c2"), output="add"))
    else:
        ops.append(Op("pool", "pool", m, m, size, size, size // 2, size // 2, kernel=2, stride=2, mode="max",
                      inputs=("c0",), output="pool"))
    return Workload("tiny", ops)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(w=tiny_workloads(), s=all_settings(), ports=st.sampled_from(["auto", "shared", "2/1/1"]))
def test_dse_best_is_the_brute_force_best_of_evaluate(w, s, ports):
    s = s.model_copy(update={"ports": ports if ports != "2/1/1" else (2.0, 1.0, 1.0)})
    res = explore(w, TINY, s, top_k=3)
    prep = PreparedWorkload(w)
    space = design_space(prep, Target.of(TINY, s))
    costs = [evaluate(w, Design(tm=int(tm), tn=int(tn), tr=int(tr), tc=int(tc), ports_words_per_cycle=p, settings=s),
                      TINY, prepared=prep) for tm, tn in space.tm_tn for tr, tc in space.tiles for p in space.ports]
    fitting = [c.total_cycles for c in costs if c.fits]
    assert res.n_fitting == len(fitting)
    if not fitting:
        assert res.best is None
        return
    assert res.best_cost.total_cycles == pytest.approx(min(fitting), rel=1e-9)
    assert res.best.settings is s and res.best_cost.fits


def test_a_grid_of_designs_equals_evaluate_on_a_reference_net():
    """The DSE's path (resources and latency over arrays of designs) on a real net with skips."""
    from coexplore.workload import get_reference

    rng = np.random.default_rng(0)
    w, device = get_reference("resnet18"), get_device("u200")
    s = DesignSettings(precision="int8", keep_skips_on_chip=True)
    tm, tn = rng.integers(1, 128, 25), rng.integers(1, 64, 25)
    tr, tc = rng.integers(1, 112, 25), rng.integers(1, 112, 25)
    prep, target = PreparedWorkload(w), Target.of(device, s)
    depths = bank_depths(stack([g for g, _ in prep.conv_counts(s.schedule)], 1), tr, tc, s)
    placed = buffer_placement(tm, tn, depths, target)  # u200 has URAM: `auto` places per design
    skips = skip_storage(prep, target, placed.bram_total, placed.uram_total)
    total = workload_cycles(prep, target, tm, tn, tr, tc, target.ports(None), skips.on_chip)
    costs = [evaluate(w, Design(tm=int(a), tn=int(b), tr=int(r), tc=int(c), settings=s), device, prepared=prep)
             for a, b, r, c in zip(tm, tn, tr, tc)]
    assert np.allclose(total, [c.total_cycles for c in costs], rtol=1e-9)
    assert (placed.bram_total + skips.bram).tolist() == [c.bram18 for c in costs]
    assert (placed.uram_total + skips.uram).tolist() == [c.uram for c in costs] and any(c.skips_on_chip for c in costs)
    assert any(c.uram_breakdown["output"] for c in costs)  # some designs do put a buffer in URAM
