"""`coexplore data show`: writes the grid, reports as JSON, and fails with one clear line."""

from __future__ import annotations

import json
import subprocess
import sys

from PIL import Image
from typer.testing import CliRunner

from coexplore.cli import _register, app

_register()
runner = CliRunner()


def test_show_synthetic_writes_a_grid(tmp_path):
    out = tmp_path / "grid.png"
    result = runner.invoke(
        app, ["data", "show", "synthetic", "--out", str(out), "--n", "4", "--res", "64", "--augment", "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["dataset"] == "synthetic" and len(summary["samples"]) == 4 and summary["augment"] is True
    with Image.open(out) as image:
        assert image.size[0] >= 300 and image.size[1] >= 300  # 2 × 2 panels of 2 inches at 100 dpi


def test_show_real_mpii_with_images(tmp_path, shared_data):
    out = tmp_path / "mpii.png"
    annotation = shared_data / "mpii" / "valid.h5"
    images = shared_data / "mmpose_fixtures" / "mpii"
    # valid.h5 has 2,958 rows but images only for rows 0-4: the loader refuses the rest up front
    command = [
        sys.executable,
        "-c",
        "from coexplore.cli import main; main()",
        "data",
        "show",
        f"mpii:{annotation}",
        "--image-dir",
        str(images),
        "--out",
        str(out),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and not out.exists()
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "valid.h5" in lines[0] and "not found" in lines[0] and "record" in lines[0], done.stderr
    result = runner.invoke(
        app,
        [
            "data",
            "show",
            f"mpii:{shared_data / 'mmpose_fixtures' / 'mpii' / 'test_mpii.json'}",
            "--holdout",
            "none",
            "--out",
            str(out),
            "--n",
            "5",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert [s["image_file"] for s in json.loads(result.stdout)["samples"]][:2] == ["005808361.jpg", "052475643.jpg"]
    assert out.stat().st_size > 10_000
