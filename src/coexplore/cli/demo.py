"""`coexplore demo`: the main job on a fresh machine — a small co-exploration search and the
sequential baseline on a ZCU102, CPU only, built-in synthetic data, then the paper-style table and
`report.html`. It is `coexplore search --config configs/search-demo.yaml` with a fixed run folder, so
an interrupted demo resumes where it stopped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coexplore.errors import CoexploreError

DEMO_CONFIG = "search-demo.yaml"


def demo_config_path() -> Path:
    """The demo config from the source tree (`configs/` at the repository root), else from `./configs`."""
    candidates = [Path(__file__).resolve().parents[3] / "configs" / DEMO_CONFIG, Path.cwd() / "configs" / DEMO_CONFIG]
    for path in candidates:
        if path.is_file():
            return path
    raise CoexploreError(
        f"{DEMO_CONFIG} not found (looked in {', '.join(str(p.parent) for p in candidates)})",
        field="demo",
        fix="run from a coexplore checkout, or `coexplore search --config YOUR.yaml`",
    )


def demo_command(
    run_dir: Annotated[Path, typer.Option("--run-dir", help="where the study, results and report go")] = Path("demo-run"),
    budget: Annotated[int | None, typer.Option(help="trainings per strategy (default: the demo config's)")] = None,
) -> None:
    """Run the demo: co-exploration vs sequential on ZCU102 with synthetic data, then the report."""
    from coexplore.cli.search import search_command

    search_command(config=demo_config_path(), run_dir=run_dir, budget=budget)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)
