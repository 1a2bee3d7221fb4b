"""Bad search configs give one clear error naming the field and the fix, before anything is spent."""

from __future__ import annotations

import pytest
from search_support import TINY_SPACE, coexplore_cli, write_config, write_proxy_table

from coexplore.errors import CoexploreError
from coexplore.search.config import SearchConfig, load_config, parse_config
from coexplore.search.context import build_context
from coexplore.search.preflight import check_context
from coexplore.search.runner import run_search


def test_defaults_are_valid_and_documented():
    config = SearchConfig()
    assert config.strategies == ["coexplore", "sequential"] and config.sampler == "nsga2"
    assert config.trial_cap == 10 * config.budget + 50
    doc = SearchConfig.__doc__
    for name in SearchConfig.model_fields:
        assert f"{name}:" in doc, f"field {name} is not documented in the SearchConfig docstring"


@pytest.mark.parametrize(
    ("settings", "field", "words"),
    [
        ({"budgte": 3}, "budgte", "unknown setting"),
        ({"strategies": ["coexplore", "greedy"]}, "strategies", "greedy"),
        ({"sampler": "cmaes"}, "sampler", "nsga2"),
        ({"hw": "fuzzy"}, "hw", "exact"),
        ({"budget": 0}, "budget", "greater than or equal to 1"),
        ({"heartbeat_s": 30, "grace_s": 10}, "", "grace_s"),
        ({"latency_budget_ms": -1}, "latency_budget_ms", "greater than 0"),
        ({"precision": "int8", "hardware": {"precision": "int16"}}, "precision", "keep the one under `hardware:`"),
        ({"hardware": {"precision": "fp64"}}, "hardware.precision", "unknown value 'fp64'"),
        ({"hardware": {"ports": "8/8"}}, "hardware.ports", "three widths"),
        ({"hardware": {"halo": True}}, "hardware.halo", "unknown setting"),
        ({"hw_genes": {"ports": ["8/0/8"]}}, "hw_genes.ports", "port widths must be > 0"),
    ],
)
def test_invalid_settings_name_the_field(settings, field, words):
    with pytest.raises(CoexploreError) as info:
        parse_config(settings, source="search.yaml")
    message = str(info.value)
    assert message.startswith("search.yaml") and field in message and words in message


def test_flat_design_settings_of_older_configs_still_load():
    # configs and stored studies from before the `hardware:` section kept these at the top level
    config = parse_config({"precision": "int8", "clock_mhz": 250, "hardware": {"schedule": "roofline"}})
    assert (config.hardware.precision, config.hardware.clock_mhz, config.hardware.schedule) == ("int8", 250, "roofline")


def test_malformed_and_missing_files(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("budget: [1, 2\nname: x\n")
    with pytest.raises(CoexploreError, match="cannot parse"):
        load_config(bad)
    with pytest.raises(CoexploreError, match="file not found"):
        load_config(tmp_path / "missing.yaml")
    toml = tmp_path / "search.toml"
    toml.write_text('name = "t"\nbudget = 3\nstrategies = ["random"]\n')
    assert load_config(toml).budget == 3


def test_relative_paths_resolve_beside_the_config(tmp_path):
    table = write_proxy_table(tmp_path / "tables" / "t.json")
    config = load_config(write_config(tmp_path / "search.yaml", table="tables/t.json"))
    assert config.table == str(table.resolve())


def test_unknown_device():
    with pytest.raises(CoexploreError, match="unknown device 'zcu999'.*zcu102"):
        build_context(SearchConfig(device="zcu999", space=TINY_SPACE), None)


def test_empty_space(tmp_path):
    space = {**TINY_SPACE, "max_gmacs": 1e-9}  # no network is that small
    with pytest.raises(CoexploreError, match="space: the search space is empty"):
        run_search(SearchConfig(space=space), tmp_path / "run")
    assert not (tmp_path / "run" / "study.db").exists()  # nothing was started


def test_impossible_latency_budget_is_caught_before_any_training(tmp_path):
    context = build_context(SearchConfig(space=TINY_SPACE), None)
    fastest = min(context.hardware.best(str(s)).total_ms for s in context.space.enumerate())
    check_context(build_context(SearchConfig(space=TINY_SPACE, latency_budget_ms=fastest), None))
    with pytest.raises(CoexploreError) as info:
        run_search(SearchConfig(space=TINY_SPACE, latency_budget_ms=fastest * 0.5), tmp_path / "run")
    message = str(info.value)
    assert message.startswith("latency_budget_ms:") and f"{fastest:.4g} ms" in message and "raise it" in message
    assert not (tmp_path / "run" / "study.db").exists()


def test_resuming_with_other_settings_is_refused(tmp_path):
    table = write_proxy_table(tmp_path / "t.json")
    run_search(SearchConfig(table=str(table), budget=2, strategies=["random"]), tmp_path / "run")
    # a bigger budget extends the study; another board is another search
    run_search(SearchConfig(table=str(table), budget=3, strategies=["random"]), tmp_path / "run")
    with pytest.raises(CoexploreError, match="other settings.*device"):
        run_search(SearchConfig(table=str(table), budget=3, strategies=["random"], device="zcu104"), tmp_path / "run")


def test_cli_prints_one_red_line_and_exits_2(tmp_path):
    config = write_config(tmp_path / "search.yaml", device="zcu999", space=TINY_SPACE)
    done = coexplore_cli("search", "--config", str(config), "--run-dir", str(tmp_path / "run"), timeout=120)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: device: unknown device 'zcu999'"), done.stderr
    assert "Traceback" not in done.stderr


def test_worker_for_an_unknown_study(tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    done = coexplore_cli("worker", "--storage", url, "--study", "nope-coexplore", timeout=120)
    assert done.returncode == 2 and "no study named 'nope-coexplore'" in done.stderr


def test_hardware_settings_travel_as_one_model(tmp_path):
    """Config section → oracle → DSE → trial record (the design's dict) → Design(**record)."""
    import json

    from coexplore.fpga import Design, evaluate
    from coexplore.search.hardware import HardwareOracle

    hardware = {"precision": "int8", "pipeline_overhead_cycles": 20, "input_halo": True, "prologue_epilogue": True,
                "ddr_efficiency": 0.8, "ports": "shared", "max_macs": 256}
    config = load_config(write_config(tmp_path / "search.yaml", hardware=hardware, space=TINY_SPACE))
    oracle = HardwareOracle.from_config(config)
    assert oracle.settings is config.hardware and config.hardware.input_halo
    spec = "hg-s1-o2-f16-m1-bottleneck-k3-nearest-r64-scaled"
    best = oracle.best(spec)
    design = Design(**json.loads(json.dumps(best.design)))  # as stored in and read from the study
    # every setting travels; the DSE adds the weight organisation it chose (explore_weight_stages)
    chosen = {"weight_stage_cycles": design.settings.weight_stage_cycles, "explore_weight_stages": False}
    assert design.settings == config.hardware.model_copy(update=chosen) and design.ports_words_per_cycle is None
    assert design.tm * design.tn <= 256
    assert evaluate(oracle.workload(spec), design, oracle.device).total_ms == best.total_ms
    # hw: joint: the same settings, ports read as Design.parse reads them
    sampled = oracle.design(spec, {"tm": 8, "tn": 4, "tr": 8, "tc": 8, "ports": "4x4x2"})
    rebuilt = Design(**sampled.design)
    assert rebuilt.settings == config.hardware and rebuilt.ports_words_per_cycle == (4, 4, 2)
    assert rebuilt == Design.parse("tm=8,tn=4,tile=8,ports=4/4/2", **config.hardware.model_dump())
