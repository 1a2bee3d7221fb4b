"""`coexplore report RUN`: write report.html and its CSV/JSON/PNG files, print the top-k table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from coexplore.cli.common import console, err_console, print_json


def register(app: typer.Typer) -> None:
    """Add this group's commands to the main app."""
    app.command("report")(report)


def report(
    run: Annotated[Path, typer.Argument(help="Search run folder (holds results.json), or the results.json file.")],
    out: Annotated[
        Optional[Path], typer.Option("--out", "-o", help="Folder for report.html and its files (default: the run folder).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report's numbers and file paths as JSON.")] = False,
) -> None:
    """Write RUN's report.html (opens offline; plotly.min.js beside it) with CSV/JSON/PNG; print the top-k table.

    Example: coexplore report runs/zcu102 --out /tmp/zcu102-report
    """
    from coexplore.report.export import summary
    from coexplore.report.html import build_report
    from coexplore.report.tables import strategy_rich_table, topk_rich_table

    if as_json:
        result = build_report(run, out)
    else:
        with err_console.status("writing the report…"):
            result = build_report(run, out)
    results = result.results
    if as_json:
        data = summary(results, result.warnings, result.files)
        data["report"] = str(result.html)
        data["paths"] = {name: str(path) for name, path in result.files.items()}
        print_json(data)
        return
    console.print(topk_rich_table(results))
    console.print(strategy_rich_table(results))
    for warning in result.warnings:
        err_console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    folder = result.html.parent
    others = ", ".join(sorted(name for name in result.files if name != result.html.name))
    console.print(f"[bold]report:[/] {result.html}", highlight=False)
    console.print(f"[dim]beside it in {folder}: {others}[/]", highlight=False)
