"""Shared pieces of the search tests: a tiny space, a proxy table over it, configs.

The proxy table gives each network an accuracy computed from its size (log of the conv weights,
a bonus for the bottleneck block), so strategy tests replay in milliseconds. It exercises the
machinery only; search *quality* is measured on the trained table (bench/search_quality.py).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

# 12 networks at 64×64: stacks × features × block.
TINY_SPACE = {
    "name": "tiny",
    "input_res": 64,
    "joints": 16,
    "stem": "scaled",
    "stacks": [1, 2],
    "order": [2],
    "features": [16, 32],
    "growth": [0],
    "per_level": [False],
    "level_widths": [],
    "modules": [1],
    "block": ["bottleneck", "basic", "dsc"],
    "kernel": [3],
    "upsample": ["nearest"],
}


def proxy_accuracy(spec) -> float:
    from coexplore.nets import lower

    params = lower(spec).params
    return 4.0 + 3.0 * math.log(params / 1e4 + 1.0) + (1.5 if spec.block == "bottleneck" else 0.0)


def write_proxy_table(path: Path, space: dict | None = None, wall_s: float = 10.0) -> Path:
    from coexplore.nets import HourglassSpace
    from coexplore.search.table import BenchTable, space_config_dict

    space_dict = space_config_dict(space or TINY_SPACE)
    entries = {}
    for spec in HourglassSpace.from_config(space_dict).enumerate():
        accuracy = proxy_accuracy(spec)
        entries[str(spec)] = {
            "status": "complete", "accuracy": accuracy, "metric": "PCKh@0.5", "wall_s": wall_s, "device": "cpu",
            "curve": [accuracy * 0.5, accuracy * 0.8, accuracy],
        }
    table = BenchTable(space_dict, "synthetic", {"epochs": 3}, "proxy", "PCKh@0.5", entries, "test")
    return table.save(path)


def write_config(path: Path, **settings) -> Path:
    path.write_text(yaml.safe_dump(settings, sort_keys=False))
    return path


def coexplore_cli(*args: str, timeout: float = 300, **popen) -> subprocess.CompletedProcess:
    """Run the real `coexplore` command (a fresh process, as a user would)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **popen.pop("env", {})}
    return subprocess.run([PYTHON, "-c", "from coexplore.cli import main; main()", *args], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=popen.pop("cwd", REPO), **popen)


def cli_command(*args: str) -> list[str]:
    return [PYTHON, "-c", "from coexplore.cli import main; main()", *args]
