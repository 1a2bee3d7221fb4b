"""Shared fixtures: where the real sample data lives (../shared/data beside the checkout).

The sample data is third-party and not in the repository, so a user's clone alone does not have it:
tests that need it skip with one line naming what is missing. CI sets COEXPLORE_REQUIRE_SHARED_DATA=1
(`.ci/run`), which turns that skip into a failure, so CI still runs every sample-data test.
"""

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
        message = f"real sample data not found at {path}; set COEXPLORE_SHARED_DATA to its folder"
        if os.environ.get("COEXPLORE_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path
