"""`coexplore export RUN --rank K --out DIR`: the chosen network (ONNX + PyTorch weights) and its
accelerator design (JSON + C header) in one folder, with a README saying what each file is."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from coexplore.cli.common import JsonFlag, check_output_folder, console, print_json


def export_command(
    run: Annotated[Path, typer.Argument(help="run folder of a `coexplore search`")],
    rank: Annotated[int, typer.Option(help="which network: row K of the top-k table, then the rest of its front")] = 1,
    out: Annotated[Path | None, typer.Option("--out", help="folder to write (default RUN/export-rank-K)")] = None,
    hls: Annotated[Path | None, typer.Option("--hls", help="also write the design as an HLS C++ engine for the "
                                                          "network into this folder, and C-simulate it")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Export a searched network and its accelerator: network.onnx, weights.pt, design.json, design.h."""
    from coexplore.search.export import export_run

    out_dir = out or run / f"export-rank-{rank}"
    check_output_folder(out_dir, "--out")
    if hls is not None:
        check_output_folder(hls, "--hls")
    result = export_run(run, rank, out_dir)
    if hls is not None:
        from coexplore.cli.hls import export_hls_project

        result.summary["hls"] = export_hls_project(run, rank, hls, quiet=as_json)
    if as_json:
        print_json({**result.summary, "out": str(result.out_dir), "files": result.files})
        return
    summary = result.summary
    table = Table(title=f"rank {rank}: {result.spec} ({summary['found_in']})")
    table.add_column("file")
    table.add_column("what it is")
    for name, text in result.files.items():
        table.add_row(str(result.out_dir / name), text)
    console.print(table)
    console.print(f"total {summary['total_ms']:.4g} ms on {summary['device']}, weights [bold]{result.weights}[/]")
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("export")(export_command)
