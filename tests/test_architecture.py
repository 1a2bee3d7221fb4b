"""The import-linter contracts (pyproject.toml, run by `make test`) cover every part of coexplore.

`lint-imports` checks the contracts it is given; these tests check that a new package or shared
module cannot slip in without one.
"""

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "coexplore"


def _contracts() -> list[dict]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert config["root_package"] == "coexplore"
    return config["contracts"]


def _guarded(contract_type: str, key: str) -> set[str]:
    return {name for c in _contracts() if c["type"] == contract_type for name in c[key]}


def test_every_package_has_a_contract_on_what_it_may_import():
    packages = {f"coexplore.{p.name}" for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    covered = _guarded("forbidden", "source_modules") | _guarded("protected", "protected_modules")
    assert packages - covered == set(), "add a contract for each new package to pyproject.toml"


def test_every_shared_module_imports_no_package():
    modules = {f"coexplore.{p.stem}" for p in PACKAGE.glob("*.py") if p.name != "__init__.py"}
    shared = next(c for c in _contracts() if c["name"].startswith("the shared top-level modules"))
    assert modules == set(shared["source_modules"]), "list each top-level module in the shared contract"
    assert set(shared["forbidden_modules"]) >= {f"coexplore.{p.name}" for p in PACKAGE.iterdir()
                                                if (p / "__init__.py").is_file()}


def test_cycles_are_checked_in_every_package():
    acyclic = [c for c in _contracts() if c["type"] == "acyclic_siblings"]
    assert [c["ancestors"] for c in acyclic] == [["coexplore"]] and "depth" not in acyclic[0]
