"""Board presets (issue 2, section 3) and user device files."""

import pytest

from coexplore.errors import CoexploreError
from coexplore.fpga import Device, get_device, list_devices


@pytest.mark.parametrize("name, dsp, bram18, uram, gbps", [
    ("pynq-z2", 220, 280, 0, None), ("zc706", 900, 1090, 0, 4.2), ("vc707", 2800, 2060, 0, 12.8),
    ("vc709", 3600, 2940, 0, None), ("ultra96", 360, 432, 0, None), ("zcu104", 1728, 624, 96, 19.2),
    ("zcu102", 2520, 1824, 0, 19.2), ("kv260", 1248, 288, 64, 19.2), ("u200", 6840, 4320, 960, 77.0),
    ("u280", 9024, 4032, 960, 460.0),
])
def test_presets_carry_the_issue_figures(name, dsp, bram18, uram, gbps):
    d = get_device(name)
    assert (d.dsp, d.bram18, d.uram) == (dsp, bram18, uram)
    if gbps is not None:
        assert d.bandwidth_gbps == gbps
    assert d.source and d.clock_mhz > 0


def test_arria10_counts_m20k_blocks():
    d = get_device("Arria10-GX1150")
    assert (d.dsp, d.m20k, d.family) == (1518, 2713, "intel")


def test_every_preset_is_listed_once_and_default_limits_are_finns():
    names = [d.name for d in list_devices()]
    assert len(names) == len(set(names)) >= 13 and "u250" in names
    assert all(d.limits.dsp == 0.8 and d.limits.bram == 0.8 for d in list_devices())


def test_unknown_device_lists_the_presets():
    with pytest.raises(CoexploreError, match="unknown device 'zcu1'.*zcu102"):
        get_device("zcu1")


def test_toml_device_file(tmp_path):
    path = tmp_path / "myboard.toml"
    path.write_text('part = "XCZU5EV"\nfamily = "ultrascale+"\ndsp = 1248\nbram18 = 288\nuram = 64\n'
                    'bandwidth_gbps = 19.2\nclock_mhz = 250\n[limits]\ndsp = 0.9\n')
    d = get_device(path)
    assert (d.name, d.dsp, d.clock_mhz, d.limits.dsp, d.limits.bram) == ("myboard", 1248, 250, 0.9, 0.8)


def test_yaml_file_derived_from_a_preset(tmp_path):
    path = tmp_path / "fast.yaml"
    path.write_text("base: zcu102\nclock_mhz: 300\nlimits:\n  bram: 0.9\n")
    d = get_device(str(path))
    assert (d.dsp, d.clock_mhz, d.limits.bram, d.limits.dsp) == (2520, 300, 0.9, 0.8)


@pytest.mark.parametrize("text, match", [
    ("part = 'X'\nfamily = 'ultrascale+'\nbandwidth_gbps = 1\nclock_mhz = 100\n", "dsp"),  # missing
    ("part = 'X'\nfamily = 'virtex'\ndsp = 1\nbandwidth_gbps = 1\nclock_mhz = 100\n", "family"),
    ("part = 'X'\nfamily = 'intel'\ndsp = -3\nbandwidth_gbps = 1\nclock_mhz = 100\n", "dsp"),
    ("base = 'zcu102'\n[limits]\ndsp = 1.5\n", "limits"),
    ("this is = = not toml", "cannot parse"),
    ("base = 'zcu102'\nwires = 3\n", "wires"),
])
def test_bad_device_files_are_one_clear_error(tmp_path, text, match):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(CoexploreError, match=match):
        get_device(path)


def test_missing_device_file():
    with pytest.raises(CoexploreError, match="file not found"):
        get_device("nowhere/board.yaml")


def test_devices_are_frozen():
    with pytest.raises(Exception):
        get_device("vc707").dsp = 1
    assert isinstance(get_device(get_device("vc707")), Device)
