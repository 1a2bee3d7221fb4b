"""HourglassSpec: compact string round trip, files, presets, and clear errors for invalid specs."""

import dataclasses
import json

import numpy as np
import pytest
import yaml

from coexplore.errors import CoexploreError
from coexplore.nets import PRESETS, HourglassSpace, HourglassSpec, parse_spec
from coexplore.nets.spec import load_spec_file


def _genes(spec: HourglassSpec) -> dict:
    """A spec as the mapping a spec file holds."""
    return {**dataclasses.asdict(spec), "widths": list(spec.widths)}


def test_the_documented_example_round_trips():
    text = "hg-s2-o4-f128-m1-bottleneck-k3-nearest-r256"
    spec = parse_spec(text)
    assert str(spec) == spec.to_string() == text
    assert (spec.stacks, spec.order, spec.features, spec.modules, spec.block, spec.kernel, spec.upsample,
            spec.input_res, spec.joints) == (2, 4, 128, 1, "bottleneck", 3, "nearest", 256, 16)
    assert spec.heatmap_res == 64


def test_newell8_preset_is_the_eccv_2016_network():
    # Newell et al. ECCV 2016: 8 stacks, F=256, order 4, 256x256 input, 64x64 heatmaps, 16 joints.
    spec = parse_spec("newell8")
    assert spec == PRESETS["newell8"] == HourglassSpec()
    assert (spec.stacks, spec.features, spec.order, spec.input_res, spec.heatmap_res, spec.joints) == (
        8, 256, 4, 256, 64, 16)


def test_tokens_in_any_order_and_missing_ones_default():
    assert parse_spec("hg-r128-dsc-s2-f64-o3") == HourglassSpec(stacks=2, order=3, features=64, block="dsc",
                                                                input_res=128)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_round_trips_through_its_string_and_dict(name):
    spec = PRESETS[name]
    assert parse_spec(str(spec)) == spec
    assert HourglassSpec.from_dict(json.loads(json.dumps(_genes(spec)))) == spec


def test_random_specs_round_trip_through_the_string():
    space = HourglassSpace.from_config({"input_res": 64, "stacks": [1, 3], "order": [1, 2, 3], "features": [8, 24],
                                        "growth": [0, 8], "level_widths": [8, 40], "block": ["basic", "dsc"],
                                        "kernel": [3, 5], "supervision": False, "joints": 17, "stem": "scaled"})
    rng = np.random.default_rng(3)
    for _ in range(50):
        spec = space.sample(rng)
        assert parse_spec(str(spec)) == spec, str(spec)


def test_level_widths_growth_and_irregular_forms():
    grown = PRESETS["small2"]
    assert grown.level_features == (32, 48, 64, 80) and grown.growth == 16
    assert str(grown).endswith("-g16-scaled")
    irregular = grown.replace(widths=(64, 40, 96))
    assert irregular.growth is None and "-w64.40.96-" in str(irregular)
    assert parse_spec(str(irregular)) == irregular
    # uniform widths have one canonical form
    assert HourglassSpec(order=2, features=64, widths=(64, 64)) == HourglassSpec(order=2, features=64)
    # growing widths keep growing when the order changes
    assert grown.replace(order=2).level_features == (32, 48, 64)


def test_joints_stem_and_supervision_tokens():
    spec = parse_spec("hg-s2-o2-f16-m1-basic-k5-deconv-r32-j17-scaled-nosup")
    assert (spec.joints, spec.stem, spec.supervision, spec.kernel, spec.upsample) == (17, "scaled", False, 5, "deconv")
    assert str(spec) == "hg-s2-o2-f16-m1-basic-k5-deconv-r32-j17-scaled-nosup"


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_spec_files_round_trip(tmp_path, suffix):
    path = tmp_path / f"net{suffix}"
    genes = _genes(PRESETS["small2"])
    path.write_text(json.dumps(genes) if suffix == ".json" else yaml.safe_dump(genes))
    assert load_spec_file(path) == PRESETS["small2"] == parse_spec(str(path))


def test_yaml_growth_shortcut_and_string_form(tmp_path):
    (tmp_path / "a.yaml").write_text("stacks: 2\norder: 3\nfeatures: 32\ngrowth: 16\ninput_res: 128\nstem: scaled\n")
    (tmp_path / "b.yaml").write_text("spec: hg-s2-o3-f32-g16-r128-scaled\n")
    assert parse_spec(tmp_path / "a.yaml") == parse_spec(tmp_path / "b.yaml") == PRESETS["small2"]


@pytest.mark.parametrize("text, field, hint", [
    ("hg-s2-o4-f128-r200", "input_res", "divisible by 4·2^order = 64"),
    ("hg-f100", "features", "multiple of 8"),
    ("hg-s9", "stacks", "1..8"),
    ("hg-o6", "order", "1..5"),
    ("hg-m4", "modules", "1..3"),
    ("hg-k4", "kernel", "3, 5"),
    ("hg-o2-w64", "widths", "one width per level"),
    ("hg-o2-w64.60", "widths[level 2]", "multiple of 8"),
])
def test_invalid_specs_name_the_field(text, field, hint):
    with pytest.raises(CoexploreError) as err:
        parse_spec(text)
    assert err.value.field == field and hint in str(err.value)


def test_unknown_block_lists_the_allowed_values():
    with pytest.raises(CoexploreError) as err:
        HourglassSpec(block="inception")
    assert err.value.field == "block"
    for allowed in ("bottleneck", "basic", "dsc"):
        assert allowed in str(err.value)
    with pytest.raises(CoexploreError, match="unknown token 'inception'.*bottleneck, basic, dsc"):
        parse_spec("hg-s2-inception")


def test_other_malformed_inputs():
    with pytest.raises(CoexploreError, match="given twice"):
        parse_spec("hg-s2-s4")
    with pytest.raises(CoexploreError, match="not a hourglass preset.*newell8"):
        parse_spec("newell9")
    with pytest.raises(CoexploreError, match="unknown key"):
        HourglassSpec.from_dict({"stack": 2})
    with pytest.raises(CoexploreError, match="either widths or growth"):
        HourglassSpec.from_dict({"order": 2, "widths": [8, 16], "growth": 8})


def test_numpy_integers_become_plain_ints():
    spec = HourglassSpec(stacks=np.int64(2), order=2, widths=[np.int64(256), 320])
    assert type(spec.stacks) is int and spec.widths == (256, 320) and all(type(w) is int for w in spec.widths)
    assert parse_spec(str(spec)) == spec
