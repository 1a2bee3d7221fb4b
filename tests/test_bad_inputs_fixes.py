"""Regression tests for the input-side fixes of issue 10, and property-based bad inputs.

Each fix: the input that crashed or was silently accepted now gives one CoexploreError naming the
field and the limit. Hypothesis: random design strings, settings, spec strings, device files and
search configs give a value or a CoexploreError, never any other exception.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coexplore.errors import CoexploreError
from coexplore.fpga import Design, evaluate, get_device, parse_settings
from coexplore.fpga.devices import FAMILY_MAX_BANDWIDTH_GBPS, FAMILY_MAX_CLOCK_MHZ, load_device_file
from coexplore.workload import get_reference

ALEXNET = get_reference("alexnet")
DESIGN = "tm=32,tn=16,tile=13"


# --- clocks and bandwidths --------------------------------------------------------------------------
@pytest.mark.parametrize("clock", ["inf", "nan", "1e12", "1e-9", "0", "-5"])
def test_a_clock_no_fpga_runs_at_is_an_error_with_the_range(clock):
    with pytest.raises(CoexploreError, match=r"clock_mhz: .* MHz is outside what an FPGA runs at \(1\.\.1000 MHz\)"):
        Design.parse(f"{DESIGN},clock={clock}")
    with pytest.raises(CoexploreError, match=r"outside what an FPGA runs at"):
        parse_settings(f"clock={clock}")


def test_a_clock_above_the_family_is_an_error_naming_the_family_limit():
    vc707 = get_device("vc707")  # 7-series: DSP48E1 Fmax 741 MHz
    with pytest.raises(CoexploreError, match=r"800 MHz is outside what a 7series part runs at \(1\.\.741 MHz\)"):
        evaluate(ALEXNET, Design.parse(f"{DESIGN},clock=800"), vc707)
    assert evaluate(ALEXNET, Design.parse(f"{DESIGN},clock=700"), vc707).clock_mhz == 700


@pytest.mark.parametrize("ports", ["inf/8/8", "nan/8/8"])
def test_a_port_width_must_be_finite(ports):
    with pytest.raises(CoexploreError, match="must be > 0 words/cycle and finite"):
        Design.parse(f"{DESIGN},ports={ports}")


def test_a_huge_mac_array_is_an_error_not_an_overflow():
    with pytest.raises(CoexploreError, match="design.tm: .*65536"):
        Design.parse("tm=100000000000000000000,tn=1,tile=13")


@pytest.mark.parametrize("field, value, match", [
    ("bandwidth_gbps", ".inf", "finite"), ("bandwidth_gbps", ".nan", "finite"),
    ("bandwidth_gbps", "1000", r"more than any ultrascale\+ part reaches \(460 GB/s\)"),
    ("clock_mhz", "1.0e12", r"outside what a ultrascale\+ part runs at \(1\.\.891 MHz\)"),
    ("clock_mhz", ".inf", "finite"),
])
def test_a_device_file_beyond_its_family_is_an_error_naming_the_file(tmp_path, field, value, match):
    path = tmp_path / "board.yaml"
    path.write_text(f"base: zcu102\n{field}: {value}\n")
    with pytest.raises(CoexploreError, match=match) as caught:
        get_device(str(path))
    assert str(caught.value).startswith(f"{path}: {field}")


def test_every_preset_is_inside_its_family_limits():
    from coexplore.fpga import list_devices

    for device in list_devices():
        assert device.clock_mhz <= FAMILY_MAX_CLOCK_MHZ[device.family]
        assert device.bandwidth_gbps <= FAMILY_MAX_BANDWIDTH_GBPS[device.family]


# --- device files: base and limits ------------------------------------------------------------------
def test_a_device_file_based_on_itself_or_a_cycle_is_one_error(tmp_path):
    (tmp_path / "self.toml").write_text('base = "self.toml"\n')
    with pytest.raises(CoexploreError, match=r"base: base files form a cycle \(self.toml → self.toml\)"):
        load_device_file(tmp_path / "self.toml")
    (tmp_path / "a.toml").write_text('base = "b.toml"\n')
    (tmp_path / "b.toml").write_text('base = "a.toml"\n')
    with pytest.raises(CoexploreError, match=r"cycle \(a.toml → b.toml → a.toml\)"):
        load_device_file(tmp_path / "a.toml")


def test_a_relative_base_is_read_from_the_device_files_folder(tmp_path, monkeypatch):
    (tmp_path / "boards").mkdir()
    (tmp_path / "boards" / "fast.toml").write_text('base = "zcu102"\nclock_mhz = 250\n')
    (tmp_path / "mine.toml").write_text('base = "boards/fast.toml"\ndsp = 1000\n')
    monkeypatch.chdir(tmp_path / "boards")  # not the folder of mine.toml: the old lookup failed here
    device = load_device_file(tmp_path / "mine.toml")
    assert (device.clock_mhz, device.dsp, device.bram18) == (250, 1000, get_device("zcu102").bram18)


def test_limits_that_are_not_a_table_name_the_field(tmp_path):
    path = tmp_path / "board.toml"
    path.write_text('base = "zcu102"\nlimits = "high"\n')
    with pytest.raises(CoexploreError, match=r"limits: must be a table of fractions, got 'high'"):
        load_device_file(path)


# --- workload JSON and ONNX -------------------------------------------------------------------------
def _conv(name, cin, cout, inputs=("input",), h=8, out=None):
    return {"name": name, "kind": "conv", "in_channels": cin, "out_channels": cout, "in_h": h, "in_w": h,
            "out_h": out or h, "out_w": out or h, "kernel": 3, "stride": 1, "padding": 1, "inputs": list(inputs),
            "output": name}


@pytest.mark.parametrize("ops, match", [
    ([_conv("a", 8, 8, inputs=("b",)), _conv("b", 8, 8, inputs=("a",))], "made later by op 'b': the ops form a cycle"),
    ([_conv("a", 8, 8, inputs=("a",))], "reads its own output: the ops form a cycle"),
    ([_conv("a", True, 8)], r"op a.in_channels: must be a whole number, got True"),
    ([_conv("a", 3.5, 8)], r"op a.in_channels: must be a whole number, got 3.5"),
    ([_conv("a", 3, 8, out=1000)], r"op a.out_h: a k3s1p1 conv cannot make 1000 from 8 \(at most 8\)"),
    ([{**_conv("p", 8, 16), "kind": "pool"}], r"a pool keeps its channels, got 8→16"),
    ([_conv("a", 10**30, 8)], "larger than any network"),
    ([], "has no ops"),
])
def test_an_impossible_workload_json_is_an_error(tmp_path, ops, match):
    from coexplore.nets.resolve import resolve_workload

    path = tmp_path / "net.json"
    path.write_text(json.dumps({"name": "broken", "ops": ops}))
    with pytest.raises(CoexploreError, match=match):
        resolve_workload(str(path))


def test_an_empty_onnx_file_is_not_a_valid_onnx_model(tmp_path):
    from coexplore.nets.resolve import resolve_workload

    path = tmp_path / "empty.onnx"
    path.write_bytes(b"")
    with pytest.raises(CoexploreError, match="is not a valid ONNX model"):
        resolve_workload(str(path))


# --- keypoint files ---------------------------------------------------------------------------------
def _keypoints(tmp_path, images, keypoints):
    from coexplore.pose import open_dataset

    path = tmp_path / "kp.npz"
    np.savez(path, images=images, keypoints=keypoints)
    return lambda: open_dataset(f"keypoints:{path}", "train", 32)


def test_string_keypoints_are_an_error_naming_the_array(tmp_path):
    opener = _keypoints(tmp_path, np.zeros((5, 16, 16), np.uint8), np.full((5, 3, 2), "x"))
    with pytest.raises(CoexploreError, match=r"kp.npz: keypoints: keypoints are <U1, expected numbers"):
        opener()


@pytest.mark.parametrize("images", [np.zeros((5, 0, 0), np.uint8), np.zeros((0, 16, 16), np.uint8)])
def test_images_without_pixels_or_frames_are_an_error(tmp_path, images):
    opener = _keypoints(tmp_path, images, np.full((len(images), 3, 2), 4.0))
    with pytest.raises(CoexploreError, match="no pixels or no frames"):
        opener()


def test_keypoints_that_span_nothing_are_an_error(tmp_path):
    opener = _keypoints(tmp_path, np.zeros((5, 16, 16), np.uint8), np.full((5, 3, 2), 4.0))
    with pytest.raises(CoexploreError, match="span 0 px"):
        opener()


def test_an_empty_npz_is_an_error_not_an_interrupt(tmp_path):
    from coexplore.pose import open_dataset

    (tmp_path / "kp.npz").write_bytes(b"")
    with pytest.raises(CoexploreError, match="not a readable .npz"):
        open_dataset(f"keypoints:{tmp_path / 'kp.npz'}", "train", 32)


# --- the CLI's one line -----------------------------------------------------------------------------
def test_an_error_with_rich_markup_or_newlines_is_printed_as_one_plain_line(capsys):
    from coexplore.cli.common import print_error

    print_error("design.tm: expected an integer, got '[/]'\nsecond line [bold]x[/bold]")
    assert capsys.readouterr().err.strip() == "error: design.tm: expected an integer, got '[/]' second line [bold]x[/bold]"


def test_train_refuses_an_out_that_is_a_file_before_training(tmp_path):
    from bad_inputs import run_cli

    (tmp_path / "out").write_text("keep me")
    outcome = run_cli(["train", "--net", "tiny", "--epochs", "1", "--out", str(tmp_path / "out")])
    assert outcome.code == 2 and "--out: " in outcome.stderr and "is a file" in outcome.stderr
    assert (tmp_path / "out").read_text() == "keep me" and len(list(tmp_path.iterdir())) == 1


# --- property-based: only CoexploreError, never anything else ---------------------------------------
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_VALUES = st.one_of(st.integers(-10**20, 10**20).map(str), st.floats(allow_nan=True, allow_infinity=True).map(repr),
                    st.sampled_from(["", "x", "[/]", "1e12", "inf", "nan", "8/8/8", "8x8", "true", "none", "a:1x1|b"]),
                    st.text(max_size=6))
_KEYS = st.sampled_from(["tm", "tn", "tr", "tc", "tile", "precision", "clock", "ports", "ddr_eff", "p", "halo",
                         "double_buffer", "keep_skips", "schedule", "prologue", "tiles", "max_macs", "tile_shapes",
                         "bogus", ""])
_ITEMS = st.lists(st.tuples(_KEYS, _VALUES).map(lambda kv: f"{kv[0]}={kv[1]}"), max_size=6).map(",".join)


def _only_coexplore_errors(call, *args):
    try:
        return call(*args)
    except CoexploreError:
        return None


@PROPERTY
@given(_ITEMS)
def test_random_design_strings_give_a_design_or_a_coexplore_error(text):
    design = _only_coexplore_errors(Design.parse, text)
    if design is not None:
        cost = _only_coexplore_errors(evaluate, ALEXNET, design, get_device("zcu102"))
        assert cost is None or math.isfinite(cost.total_ms)


@PROPERTY
@given(_ITEMS)
def test_random_settings_give_settings_or_a_coexplore_error(text):
    _only_coexplore_errors(parse_settings, text)


@PROPERTY
@given(st.lists(st.one_of(st.sampled_from(["hg", "s2", "o4", "f128", "m1", "bottleneck", "basic", "dsc", "k3",
                                           "nearest", "r256", "s0", "f0", "r7", "o99", "k4", "r-1"]),
                          st.text(max_size=5)), max_size=10).map("-".join))
def test_random_spec_strings_give_a_workload_or_a_coexplore_error(text):
    from coexplore.nets.resolve import resolve_workload

    _only_coexplore_errors(resolve_workload, text)


_FIELD_VALUES = st.one_of(st.integers(-5, 10**12), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5),
                          st.booleans(), st.none(), st.lists(st.integers(), max_size=2),
                          st.dictionaries(st.sampled_from(["dsp", "bram", "x"]), st.floats(), max_size=2))


@PROPERTY
@given(st.dictionaries(st.sampled_from(["base", "name", "part", "family", "dsp", "bram18", "m20k", "bandwidth_gbps",
                                        "clock_mhz", "max_port_bits", "limits", "colour"]), _FIELD_VALUES, max_size=6))
def test_random_device_files_give_a_device_or_a_coexplore_error(tmp_path, fields):
    path = tmp_path / "board.yaml"
    path.write_text(yaml.safe_dump(fields))
    _only_coexplore_errors(load_device_file, path)


@PROPERTY
@given(st.dictionaries(st.sampled_from(["name", "device", "budget", "space", "strategies", "latency_budget_ms",
                                        "hardware", "sampler", "train", "workers", "table", "seed", "bogus"]),
                       _FIELD_VALUES, max_size=5))
def test_random_search_configs_give_a_config_or_a_coexplore_error(tmp_path, fields):
    from coexplore.search.config import load_config

    path = tmp_path / "search.yaml"
    path.write_text(yaml.safe_dump(fields))
    _only_coexplore_errors(load_config, path)
