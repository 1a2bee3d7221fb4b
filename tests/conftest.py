"""Shared fixtures: where the real sample data lives (../shared/data beside the checkout)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """`COEXPLORE_SHARED_DATA`, else `../shared/data` next to the repository (as in CI)."""
    return Path(os.environ.get("COEXPLORE_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not path.is_dir():
        pytest.fail(f"real sample data not found at {path}; set COEXPLORE_SHARED_DATA")
    return path
