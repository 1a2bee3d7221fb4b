"""Design points: validation, the text form and its round trip, per-layer tiles."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coexplore.errors import CoexploreError
from coexplore.fpga import Design, DesignSettings, parse_settings


def test_parse_the_brief_example():
    d = Design.parse("tm=64,tn=7,tr=13,tc=13,precision=fp32")
    s = d.settings
    assert (d.tm, d.tn, d.tr, d.tc, s.precision) == (64, 7, 13, 13, "fp32")
    assert s.clock_mhz is None and s.schedule == "overlap" and s.double_buffer and d.shared_port


def test_text_form_shorthands():
    d = Design.parse("tm=8, tn=4, tile=13x27, ports=8/4/2, clock=150, p=20, keep_skips=yes, "
                     "tiles=conv1*:11x11|conv2*:27x27")
    s = d.settings
    assert (d.tr, d.tc, d.ports_words_per_cycle) == (13, 27, (8, 4, 2))
    assert (s.clock_mhz, s.pipeline_overhead_cycles) == (150, 20)
    assert s.keep_skips_on_chip and d.tile_for("conv1_g0") == (11, 11) and d.tile_for("conv3") == (13, 27)
    assert Design.parse(d.to_string()) == d and str(d) == d.to_string()


def test_overrides_win_over_the_text():
    d = Design.parse("tm=8,tn=4,tile=8,precision=int8", precision="fp32", clock_mhz=None)
    assert d.settings.precision == "fp32"


_designs = st.builds(
    Design, tm=st.integers(1, 4096), tn=st.integers(1, 4096), tr=st.integers(1, 512), tc=st.integers(1, 512),
    precision=st.sampled_from(["fp32", "int16", "int8"]),
    clock_mhz=st.one_of(st.none(), st.sampled_from([100.0, 187.5, 300.0])),
    ports_words_per_cycle=st.one_of(st.none(), st.tuples(*[st.sampled_from([0.5, 1.0, 4.0, 16.0])] * 3)),
    ddr_efficiency=st.sampled_from([1.0, 0.7, 0.65]), double_buffer=st.booleans(),
    pipeline_overhead_cycles=st.integers(0, 50), keep_skips_on_chip=st.booleans(),
    schedule=st.sampled_from(["overlap", "roofline"]), input_halo=st.booleans(), prologue_epilogue=st.booleans(),
    layer_tiles=st.lists(st.tuples(st.sampled_from(["conv1*", "s?.hg.*", "fc"]), st.integers(1, 64),
                                   st.integers(1, 64)), max_size=2).map(tuple),
)


@settings(max_examples=150, deadline=None)
@given(_designs)
def test_text_round_trip(d):
    assert Design.parse(d.to_string()) == d


@pytest.mark.parametrize("text, match", [
    ("tm=64,tn=7", "missing tr, tc"),
    ("tm=64,tn=7,tile=13,foo=1", "unknown key 'foo'"),
    ("tm=64,tn=seven,tile=13", "design.tn: expected an integer"),
    ("tm=64,tn=7,tile=13,precision=fp64", "precision: unknown value 'fp64'"),
    ("tm=0,tn=7,tile=13", "design.tm"),
    ("tm=4,tn=7,tile=13,schedule=fast", "design.schedule"),
    ("tm=4,tn=7,tile=13,ports=8/8", "three widths"),
    ("tm=4,tn=7,tile=13,ports=8/0/8", "port widths must be > 0"),
    ("tm=4,tn=7,tile=13,ddr_eff=1.5", "design.ddr_efficiency"),
    ("tm=4,tn=7,tile=13,double_buffer=maybe", "true/false"),
    ("tm=4,tn=7,tile=13,tiles=11x11", "name:TRxTC"),
    ("tm 4", "expected key=value"),
])
def test_bad_designs_are_one_clear_error(text, match):
    with pytest.raises(CoexploreError, match=match):
        Design.parse(text)


def test_designs_are_frozen_and_hashable():
    d = Design(tm=2, tn=2, tr=2, tc=2)
    with pytest.raises(Exception):
        d.tm = 3
    assert {d: 1}[Design(tm=2, tn=2, tr=2, tc=2)] == 1
    assert d.replace(tm=3).tm == 3 and d.macs_per_cycle == 4


def test_settings_are_one_model_inside_the_design():
    settings = DesignSettings(precision="int8", input_halo=True, ports="8/8/4", max_macs=512, tile_shapes="all")
    d = Design(tm=8, tn=4, tr=16, tc=16, ports_words_per_cycle=(8, 8, 4), settings=settings)
    assert d.settings is settings
    assert Design(**d.to_dict()) == d and d.to_dict()["settings"]["ports"] == [8.0, 8.0, 4.0]
    # flat settings' fields win over `settings=`; the text form leaves out the DSE's limits and policy
    assert Design(settings=settings, tm=8, tn=4, tr=16, tc=16, precision="fp32").settings.precision == "fp32"
    assert str(d) == "tm=8,tn=4,tr=16,tc=16,precision=int8,ports=8/8/4,halo=true"
    assert d.replace(pipeline_overhead_cycles=20).settings.max_macs == 512


def test_settings_text_form():
    s = parse_settings("p=20,halo=yes,ports=shared,max_macs=448,tile_shapes=all", precision="fp32")
    assert (s.pipeline_overhead_cycles, s.input_halo, s.ports, s.max_macs, s.tile_shapes, s.precision) == (
        20, True, "shared", 448, "all", "fp32")
    assert parse_settings("ports=8x8x4").fixed_ports == (8, 8, 4) and parse_settings("").fixed_ports is None
    with pytest.raises(CoexploreError, match="settings.tile_shapes: unknown value 'round'"):
        parse_settings("tile_shapes=round")
    with pytest.raises(CoexploreError, match="unknown key 'tm'"):
        parse_settings("tm=4")
