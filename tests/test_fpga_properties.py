"""Invariants of the cost model, as property tests (hypothesis):

- no design beats its MAC array: cycles ≥ MACs / (tm·tn), for both schedules;
- more of every resource is never slower: wider ports, a bigger board (DSP, BRAM, bandwidth), a
  larger MAC budget (per design the published model is *not* monotone in tm, tn or the tile: ceiling
  effects and the tW = Tm·Tn·K² reload make a bigger array slower on some layers, so the property is
  stated for resources);
- the vectorised model equals the scalar one on arbitrary designs and workloads.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coexplore.fpga import Design, Device, evaluate, evaluate_many, explore, get_device
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
def designs(draw, schedule=None):
    ports = draw(st.one_of(st.none(), st.tuples(*[st.sampled_from([0.5, 1, 2, 4, 8])] * 3)))
    return Design(tm=draw(st.integers(1, 48)), tn=draw(st.integers(1, 24)), tr=draw(st.integers(1, 48)),
                  tc=draw(st.integers(1, 48)), precision=draw(st.sampled_from(["fp32", "int16", "int8"])),
                  ports_words_per_cycle=ports, schedule=schedule or draw(st.sampled_from(["overlap", "roofline"])),
                  double_buffer=draw(st.booleans()), pipeline_overhead_cycles=draw(st.sampled_from([0, 20])),
                  keep_skips_on_chip=draw(st.booleans()), input_halo=draw(st.booleans()),
                  prologue_epilogue=draw(st.booleans()), ddr_efficiency=draw(st.sampled_from([1.0, 0.7])))


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
@given(w=workloads(), ds=st.lists(designs(), min_size=1, max_size=8),
       device=st.sampled_from(["vc707", "zcu104", "arria10-gx1150", "pynq-z2"]))
def test_vectorised_equals_scalar(w, ds, device):
    v = evaluate_many(w, ds, device)
    for i, d in enumerate(ds):
        c = evaluate(w, d, device)
        for key, want in (("total_cycles", c.total_cycles), ("compute_cycles", c.compute_cycles),
                          ("memory_cycles", c.memory_cycles), ("dsp", c.dsp), ("bram18", c.bram18),
                          ("uram", c.uram)):
            assert v[key][i] == pytest.approx(want, rel=1e-9, abs=1e-9), (key, d)


def _scaled(device, factor):
    return device.model_copy(update={"name": f"{device.name}x{factor}", "dsp": int(device.dsp * factor),
                                     "bram18": int(device.bram18 * factor),
                                     "bandwidth_gbps": device.bandwidth_gbps * factor})


@settings(max_examples=12, deadline=None)
@given(w=workloads(), schedule=st.sampled_from(["overlap", "roofline"]), factor=st.sampled_from([1.5, 2, 3]))
def test_a_bigger_board_never_gives_a_slower_best_design(w, schedule, factor):
    small = BOARD.model_copy(update={"dsp": 300, "bram18": 200})
    base = explore(w, small, precision="int16", schedule=schedule)
    bigger = explore(w, _scaled(small, factor), precision="int16", schedule=schedule)
    if base.best is not None:
        assert bigger.best_cost.total_cycles <= base.best_cost.total_cycles * (1 + 1e-12)


@settings(max_examples=12, deadline=None)
@given(w=workloads(), low=st.integers(1, 64), extra=st.integers(1, 256))
def test_a_larger_mac_budget_never_gives_a_slower_best_design(w, low, extra):
    a = explore(w, BOARD, precision="int16", max_macs=low)
    b = explore(w, BOARD, precision="int16", max_macs=low + extra)
    assert b.best_cost.total_cycles <= a.best_cost.total_cycles * (1 + 1e-12)
    assert a.best.tm * a.best.tn <= low


def test_vectorised_equals_scalar_on_reference_nets():
    from coexplore.workload import get_reference

    rng = np.random.default_rng(0)
    w = get_reference("resnet18")
    ds = [Design(tm=int(rng.integers(1, 128)), tn=int(rng.integers(1, 64)), tr=int(rng.integers(1, 112)),
                 tc=int(rng.integers(1, 112)), precision="int8", keep_skips_on_chip=bool(rng.integers(2)))
          for _ in range(25)]
    v = evaluate_many(w, ds, get_device("u200"))
    assert np.allclose(v["total_cycles"], [evaluate(w, d, "u200").total_cycles for d in ds], rtol=1e-9)
