"""The one settings-file reader and the one pydantic-error converter: every mistake is one message
naming the file (and the line) or the field, and the fix."""

from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coexplore.errors import CoexploreError, validation_error
from coexplore.files import read_mapping


@pytest.mark.parametrize("name, text", [
    ("a.yaml", "budget: 3\nname: x\n"),
    ("a.yml", "{budget: 3, name: x}\n"),
    ("a.toml", 'budget = 3\nname = "x"\n'),
    ("a.json", '{"budget": 3, "name": "x"}'),
    ("a.JSON", '{"budget": 3, "name": "x"}'),
])
def test_each_suffix_reads_its_format(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    assert read_mapping(path, what="--config") == {"budget": 3, "name": "x"}


def test_an_empty_file_is_an_empty_mapping(tmp_path):
    (tmp_path / "empty.yaml").write_text("# nothing set yet\n")
    assert read_mapping(tmp_path / "empty.yaml", what="--config") == {}


@pytest.mark.parametrize("name, text, line, column", [
    ("bad.yaml", "budget: 3\nname: [x, y\nseed: 1\n", 3, 5),
    ("bad.json", '{"budget": 3,\n "name": }', 2, 10),
    ("bad.toml", 'budget = 3\nname = = "x"\n', 2, 8),
])
def test_syntax_errors_name_the_file_line_and_fix(tmp_path, name, text, line, column):
    fmt = {"yaml": "YAML", "json": "JSON", "toml": "TOML"}[name.split(".")[1]]
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(CoexploreError) as info:
        read_mapping(path, what="--config")
    assert info.value.field == str(path) and info.value.fix == f"fix the {fmt} syntax"
    assert str(info.value).startswith(f"{path}: cannot parse the {fmt} at line {line}, column {column}: ")


def test_missing_file_folder_and_unknown_suffix_name_the_flag(tmp_path):
    with pytest.raises(CoexploreError, match=r"^device: file not found: .*board\.toml — see the presets$"):
        read_mapping(tmp_path / "board.toml", what="device", fix="see the presets")
    (tmp_path / "folder.yaml").mkdir()
    with pytest.raises(CoexploreError, match=r"^--config: .*folder\.yaml is not a file"):
        read_mapping(tmp_path / "folder.yaml", what="--config")
    (tmp_path / "run.cfg").write_text("a = 1\n")
    with pytest.raises(CoexploreError, match=r"^--config: cannot tell the format .*'\.cfg'.*\.yaml, \.yml, \.toml, \.json"):
        read_mapping(tmp_path / "run.cfg", what="--config")


def test_unreadable_bytes_and_non_mappings(tmp_path):
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00budget")
    with pytest.raises(CoexploreError, match=r"binary\.yaml: cannot read \(.*\) — give a YAML text file"):
        read_mapping(tmp_path / "binary.yaml", what="--config")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(CoexploreError, match=r"list\.yaml: must hold a mapping of settings, not a list — use keys"):
        read_mapping(tmp_path / "list.yaml", what="--config", fix="use keys")


class _Limits(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dsp: float = Field(0.8, gt=0, le=1)


class _Board(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dsp: int = Field(gt=0)
    family: Literal["7series", "intel"] = "7series"
    limits: _Limits = _Limits()


def _error(data: dict, where: str, **kwargs) -> CoexploreError:
    with pytest.raises(ValidationError) as info:
        _Board(**data)
    return validation_error(info.value, where, **kwargs)


def test_a_setting_name_continues_the_dotted_path_and_a_file_is_a_prefix():
    assert str(_error({"dsp": 0}, "board")) == "board.dsp: Input should be greater than 0 (got 0)"
    assert str(_error({"dsp": 0}, "b.yaml")) == "b.yaml: dsp: Input should be greater than 0 (got 0)"
    error = _error({"dsp": 1, "family": "virtex"}, "board", fix="see the presets")
    assert (error.field, error.fix) == ("board.family", "see the presets")
    assert "'7series' or 'intel' (got 'virtex')" in str(error)


def test_unknown_keys_list_the_allowed_ones_of_their_own_level():
    top = _error({"dsp": 1, "wires": 3}, "b.yaml", model=_Board)
    assert str(top) == "b.yaml: wires: unknown setting — use one of: dsp, family, limits"
    nested = _error({"dsp": 1, "limits": {"luts": 0.5}}, "b.yaml", model=_Board)
    assert str(nested) == "b.yaml: limits.luts: unknown setting — use one of: dsp"
    assert _error({"dsp": 1, "wires": 3}, "b.yaml").fix is None  # no model: nothing to list


def test_further_problems_are_named_by_location():
    error = _error({"dsp": -1, "family": "virtex", "limits": {"dsp": 2}, "a": 1, "b": 2, "c": 3}, "board")
    assert str(error).startswith("board.dsp: Input should be greater than 0 (got -1); also wrong: family, "
                                 "limits.dsp, a, b and 1 more")
