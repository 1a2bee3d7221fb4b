"""The shipped configs are package data, found by name, and a `pip install .` works from any folder.

The install test builds the project from a copy of its sources (so no build/ folder appears in the
checkout) into a fresh venv with `--no-deps`, and lets that venv see the dependencies already
installed beside this interpreter through a .pth file: a full install downloads about 1 GB and
took 2 min 8 s here, while what it checks — the package and its data files — is the same.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from search_support import REPO, coexplore_cli

from coexplore.errors import CoexploreError
from coexplore.files import SHIPPED_CONFIGS, find_config, shipped_configs

PIP_TIMEOUT_S = 300


def test_shipped_configs_are_found_by_name():
    demo = SHIPPED_CONFIGS / "search-demo.yaml"
    assert find_config("demo", "search") == demo == find_config("search-demo.yaml", "search")
    assert find_config("cpu", "space") == SHIPPED_CONFIGS / "space-cpu.yaml"
    assert {"demo", "mpii-gpu"} <= set(shipped_configs("search"))
    assert {"cpu", "cpu-widths", "default"} <= set(shipped_configs("space"))
    with pytest.raises(CoexploreError, match="shipped names: .*cpu"):
        find_config("no-such-space", "space")


def test_a_file_of_the_same_name_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "demo").write_text("name: mine\n")
    assert find_config("demo", "search") == Path("demo")  # the user's file, not the shipped one
    assert find_config("sub/x.yaml", "search") == Path("sub/x.yaml")  # a path is never a name


def test_cli_takes_names_from_any_folder(tmp_path):
    shown = coexplore_cli("space", "show", "cpu", "--samples", "1", "--json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["name"] == "cpu"
    unknown = coexplore_cli("search", "--config", "nope", cwd=tmp_path)
    assert unknown.returncode == 2 and "shipped names" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1


def _copy_sources(dest: Path) -> Path:
    """pyproject, README and src/ (without caches and build metadata): what `pip install .` reads."""
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, dest / name)
    shutil.copytree(REPO / "src", dest / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return dest


@pytest.mark.slow
def test_pip_install_runs_from_another_folder(tmp_path):
    (tmp_path / "source").mkdir()
    source = _copy_sources(tmp_path / "source")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    installed = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(source)],
                               capture_output=True, text=True, timeout=PIP_TIMEOUT_S)
    assert installed.returncode == 0, installed.stderr[-2000:]
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "coexplore_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(venv / "bin" / "coexplore"), *args], capture_output=True, text=True,
                              cwd=elsewhere, timeout=300)

    where = subprocess.run([str(python), "-c", "import coexplore; print(coexplore.__file__)"], cwd=elsewhere,
                           capture_output=True, text=True, check=True).stdout
    assert where.startswith(site)  # the installed copy, not the checkout
    assert run("demo", "--help").returncode == 0
    shown = run("space", "show", "cpu", "--samples", "1", "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["size"] == 48
    # the demo config, found by name, replayed on the shipped table: a search without training
    table = REPO / "bench" / "tables" / "synthetic-cpu.json"
    searched = run("search", "--config", "demo", "--table", str(table), "--budget", "2", "--strategies", "coexplore",
                   "--run-dir", "run", "--no-report", "--json")
    assert searched.returncode == 0, searched.stderr[-2000:]
    assert json.loads(searched.stdout)["strategies"]["coexplore"]["trainings"] == 2
    assert (elsewhere / "run" / "results.json").is_file()
