"""HourglassSpace: sizes, sampling, Optuna suggest, configs and errors."""

import itertools

import numpy as np
import optuna
import pytest

from coexplore.errors import CoexploreError
from coexplore.files import SHIPPED_CONFIGS
from coexplore.nets import PRESETS, HourglassSpace, lower

CONFIGS = SHIPPED_CONFIGS  # the configs shipped inside the package


def test_default_space_is_the_papers_and_contains_the_baseline():
    space = HourglassSpace.default()
    for gene in ("stacks", "order", "features", "modules", "block", "upsample", "per_level", "width_l1"):
        assert gene in space.genes
    assert space.fixed["input_res"] == 256 and space.fixed["joints"] == 16
    assert space.contains(PRESETS["newell8"])
    assert not space.contains(PRESETS["tiny"])  # 64x64 input is outside a 256x256 space


def test_default_config_file_equals_the_built_in_default():
    from_file = HourglassSpace.from_config(CONFIGS / "space-default.yaml").config.model_dump()
    built_in = HourglassSpace.default().config.model_dump()
    assert {k: v for k, v in from_file.items() if k != "description"} == \
        {k: v for k, v in built_in.items() if k != "description"}


def test_cpu_space_has_48_small_networks():
    space = HourglassSpace.from_config(CONFIGS / "space-cpu.yaml")
    specs = list(space.enumerate())
    assert space.size() == len(specs) == len(set(specs)) == 48
    assert all(s.input_res == 64 and s.features <= 32 and s.stacks <= 2 for s in specs)
    # small enough for a 2-core CPU (REFERENCES.md: 1-stack F=32 at 64x64 trains at 2-4 ms/image)
    assert max(lower(s).macs for s in specs) < 0.1e9


def test_size_counts_distinct_specs_exactly():
    # Independent count of the shipped space-cpu-widths.yaml (1 stack, order 2, per-level widths
    # from {16, 32, 48}): a width tuple equal to F everywhere is the uniform network, and a
    # growth-16 tuple can coincide with a per-level one; count the distinct level-width tuples.
    space = HourglassSpace.from_config(CONFIGS / "space-cpu-widths.yaml")
    distinct = 0
    for features in (16, 32):
        tuples = {tuple(w) for w in itertools.product((16, 32, 48), repeat=2)}
        tuples |= {(features, features), (features + 16, features + 32)}
        distinct += len(tuples)
    assert space.size() == distinct * 2 == len(list(space.enumerate()))  # x 2 blocks


def test_default_size_matches_enumeration():
    space = HourglassSpace.default()
    assert space.size() == sum(1 for _ in space.enumerate())


def test_samples_stay_in_the_space():
    space = HourglassSpace.default()
    rng = np.random.default_rng(0)
    for _ in range(20):
        assert space.contains(space.sample(rng))
    rng = np.random.default_rng(1)
    assert len({space.sample(rng) for _ in range(50)}) > 40  # it really varies


def test_suggest_with_optuna_and_params_round_trip():
    space = HourglassSpace.default()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen_per_level = set()
    for _ in range(30):
        trial = study.ask()
        spec = space.suggest(trial)
        assert space.contains(spec)
        # what suggest chose is exactly what params() reports for that spec (conditional genes included)
        assert space.params(spec) == trial.params or _equivalent(space, trial.params, spec)
        seen_per_level.add(trial.params["per_level"])
        assert ("growth" in trial.params) != trial.params["per_level"]
        assert sum(k.startswith("width_l") for k in trial.params) == (spec.order if trial.params["per_level"] else 0)
        study.tell(trial, 0.0)
    assert seen_per_level == {False, True}


def _equivalent(space, params, spec):
    """Two gene assignments can name one network (per-level widths that happen to be uniform)."""
    return space.spec_from_point({**space.fixed, **params}) == spec


def test_params_feed_a_fixed_trial_back_to_the_same_spec():
    space = HourglassSpace.default()
    for spec in (PRESETS["newell8"], PRESETS["newell8"].replace(order=3, widths=(128, 384, 192))):
        assert space.suggest(optuna.trial.FixedTrial(space.params(spec))) == spec


def test_constraints_filter_the_space():
    small = HourglassSpace.from_config({**_cpu_dict(), "max_gmacs": 0.01})
    assert 0 < small.size() < 48
    assert all(lower(s).macs <= 0.01e9 for s in small.enumerate())
    big = next(s for s in HourglassSpace.from_config(_cpu_dict()).enumerate() if lower(s).macs > 0.01e9)
    assert not small.contains(big) and "max_gmacs" in small.violations(big)[0]


def _cpu_dict():
    import yaml

    return yaml.safe_load((CONFIGS / "space-cpu.yaml").read_text())


@pytest.mark.parametrize("config, match", [
    ({"input_res": 192, "order": [3, 5]}, "input_res: 192 is not divisible by 4·2\\^order = 128 \\(order 5\\)"),
    ({"features": [100]}, "features: must be a multiple of 8, got 100"),
    ({"block": ["bottleneck", "inception"]}, "block: unknown value 'inception'.*bottleneck, basic, dsc"),
    ({"stacks": []}, "stacks.*at least one value"),
    ({"stackz": [1]}, "stackz"),
    ({"growth": [-8]}, "growth must be"),
])
def test_bad_configs_name_the_field(config, match):
    with pytest.raises(CoexploreError, match=match):
        HourglassSpace.from_config(config)


def test_spec_outside_the_space_is_reported():
    space = HourglassSpace.default()
    with pytest.raises(CoexploreError, match="not in space"):
        space.params(PRESETS["tiny"])


def test_missing_config_file(tmp_path):
    with pytest.raises(CoexploreError, match="file not found"):
        HourglassSpace.from_config(tmp_path / "nope.yaml")
