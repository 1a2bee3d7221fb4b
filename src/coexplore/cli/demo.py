"""`coexplore demo`: the main job on a fresh machine — a small co-exploration search and the
sequential baseline on a ZCU102, CPU only, built-in synthetic data, then the paper-style table and
`report.html`. It is `coexplore search --config demo` (the shipped `search-demo.yaml`) with a fixed
run folder, so an interrupted demo resumes where it stopped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coexplore.files import find_config

DEMO_CONFIG = "demo"


def demo_config_path() -> Path:
    """The demo config shipped inside the package (works from any folder after `pip install`)."""
    return find_config(DEMO_CONFIG, "search")


def demo_command(
    run_dir: Annotated[Path | None, typer.Option("--run-dir", help="where the study, results and report go "
                                                 "(default demo-run, or demo-run-seedN with --seed N)")] = None,
    budget: Annotated[int | None, typer.Option(help="trainings per strategy (default: the demo config's)")] = None,
    seed: Annotated[int | None, typer.Option(help="search seed: another seed, another search (default: the config's)")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print results.json to stdout")] = False,
) -> None:
    """Run the demo: co-exploration vs sequential on ZCU102 with synthetic data, then the report."""
    from coexplore.cli.search import search_command

    # one run folder per seed: a run folder resumes its own search, it cannot change seed
    run_dir = run_dir or Path("demo-run" if not seed else f"demo-run-seed{seed}")
    search_command(config=demo_config_path(), run_dir=run_dir, budget=budget, seed=seed, json_out=json_out)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)
