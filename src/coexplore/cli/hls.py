"""`coexplore hls --net SPEC --design DESIGN --out DIR`: the design as a Vitis HLS C++ engine for the
network, C-simulated with g++ against the integer reference and the cost model's counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from coexplore.cli.common import JsonFlag, check_output_folder, console, print_json
from coexplore.errors import CoexploreError

DesignOpt = Annotated[str, typer.Option("--design", help="design.json (as written by `estimate --export` or "
                                                         "`export`) or the text form tm=..,tn=..,tr=..,tc=..")]


def read_design(text: str):
    """(Design, device name or None) from a design JSON file or the design text form."""
    from coexplore.fpga import Design

    path = Path(text)
    if path.suffix == ".json" or path.is_file():
        if not path.is_file():
            raise CoexploreError(f"no such file {path}", field="--design")
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise CoexploreError(f"not JSON ({exc})", field=f"--design {path}") from None
        if not isinstance(data, dict):
            raise CoexploreError("expected a JSON object", field=f"--design {path}")
        return Design(**data.get("fields", data)), data.get("device")
    return Design.parse(text), None


def print_csim(csim) -> None:
    differ = [c for c in csim.counts if c[2] != c[3]]
    console.print(("[green]PASS (bit-exact)[/]" if csim.bit_exact else "[red]FAIL: not bit-exact[/]")
                  + f", {len(csim.counts)} per-layer counts: "
                  + ("[green]all equal the cost model[/]" if not differ else f"[yellow]{len(differ)} differ[/]"))
    for layer, counter, engine, model in differ[:20]:
        console.print(f"  {layer} {counter}: engine {engine:,}, model {model:,}", highlight=False)


def hls_command(
    net: Annotated[str, typer.Option("--net", help="hourglass preset or spec (its PyTorch weights, untrained), "
                                                   "or any workload `estimate --net` takes (synthetic weights)")],
    design: DesignOpt,
    out: Annotated[Path, typer.Option("--out", help="folder to write the C++ project to")],
    device: Annotated[str | None, typer.Option("--device", help="board (default: the design file's)")] = None,
    precision: Annotated[str | None, typer.Option("--precision", help="int8 or int16 (default: the design's)")] = None,
    isolate: Annotated[bool, typer.Option("--isolate", help="run every layer on its own input (workloads whose "
                                                            "ops are not chained, e.g. alexnet)")] = False,
    csim: Annotated[bool, typer.Option("--csim/--no-csim", help="run `make csim` after writing")] = True,
    as_json: JsonFlag = False,
) -> None:
    """Write the HLS C++ engine of a network and design, and C-simulate it (`make csim`)."""
    from coexplore.hls import compiler, generate_hls, run_csim
    from coexplore.nets import lower, parse_spec
    from coexplore.nets.resolve import resolve_workload
    from coexplore.search.export_hls import hls_for_spec

    check_output_folder(out, "--out")
    chosen, file_device = read_design(design)
    board = device or file_device
    if board is None:
        raise CoexploreError("no board given", field="--device", fix="e.g. --device zcu102")
    try:
        spec = parse_spec(net)
    except CoexploreError:
        spec = None
    if spec is not None and not isolate:
        result = hls_for_spec(net, lower(spec), chosen, board, out, precision=precision)
    else:
        result = generate_hls(resolve_workload(net), chosen, board, out, precision=precision, isolate=isolate)
    summary = {"out": str(out), "layers": len(result.project.schedule.layers), "overflows": result.overflows}
    run = run_csim(out) if csim and compiler() else None
    if run is not None:
        summary.update(bit_exact=run.bit_exact, counts_equal=run.counts_equal, returncode=run.returncode)
    if as_json:
        print_json(summary)
        return
    console.print(f"HLS project written to [bold]{out}[/] ({summary['layers']} layers): `make -C {out} csim`, "
                  f"`vitis_hls -f run_hls.tcl`")
    if result.overflows:
        console.print(f"[yellow]note:[/] the 32-bit accumulator wraps in {len(result.overflows)} layer(s) "
                      "(engine and reference alike)", highlight=False)
    if run is not None:
        print_csim(run)
    elif csim:
        console.print("[yellow]note:[/] g++ not found: the C-simulation was not run")


def register(app: typer.Typer) -> None:
    app.command("hls")(hls_command)


def export_hls_project(run: Path, rank: int, out: Path, *, quiet: bool = False) -> dict:
    """`export --hls`: the run's chosen network and design as an HLS project, C-simulated."""
    from coexplore.hls import compiler, run_csim
    from coexplore.search.export_hls import export_hls

    result, weights = export_hls(run, rank, out)
    summary = {"out": str(out), "weights": weights, "overflows": result.overflows}
    csim = run_csim(out) if compiler() else None
    if csim is not None:
        summary.update(bit_exact=csim.bit_exact, counts_equal=csim.counts_equal)
    if not quiet:
        console.print(f"HLS project ({weights} weights) written to [bold]{out}[/]: `make -C {out} csim`")
        if csim is not None:
            print_csim(csim)
    return summary
