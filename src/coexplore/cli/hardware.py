"""`coexplore devices`, `coexplore estimate`, `coexplore dse`: the FPGA side on its own.

    coexplore devices
    coexplore estimate --net alexnet --device vc707 --design tm=64,tn=7,tile=13 --precision fp32 --clock 100
    coexplore dse --net resnet50 --device zcu102 --precision int16 --export best.h
    coexplore dse --net newell8 --device zcu102 --settings p=20,halo=yes,ddr_eff=0.8,ports=shared
    coexplore dse --net newell8 --device zcu102,zcu104,u200      # boards side by side
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from coexplore.cli.common import JsonFlag, check_output_file, console, print_json
from coexplore.cli.dse_boards import short_design
from coexplore.errors import CoexploreError

DEFAULT_ROWS = 40  # op rows printed before "N more" (0 = all)
DEFAULT_FRONT_ROWS = 15

Net = Annotated[str, typer.Option("--net", help="Reference name (alexnet, vgg16, resnet18, resnet50), hourglass "
                                                "preset or spec string, model.onnx, or a workload .json.")]
DeviceOpt = Annotated[str, typer.Option("--device", help="Board preset (see `coexplore devices`) or a "
                                                         ".toml/.yaml device file.")]
Precision = Annotated[str | None, typer.Option("--precision", help="fp32, int16 or int8.")]
Clock = Annotated[float | None, typer.Option("--clock", help="Clock in MHz (default: the board's typical).")]
ScheduleOpt = Annotated[str | None, typer.Option("--schedule", help="overlap (Jiang et al.) or roofline "
                                                                   "(Zhang FPGA'15).")]
KeepSkips = Annotated[bool, typer.Option("--keep-skips-on-chip",
                                         help="Hold skip tensors on chip when the memory allows.")]
BufferMemory = Annotated[str | None, typer.Option("--buffer-memory", help="Where the input/weight/output "
                                                   "buffers live: auto (default: per design the cheapest that "
                                                   "fits), bram or uram.")]
Batch = Annotated[int, typer.Option("--batch", help="Images per inference.", min=1)]
DspLimit = Annotated[float | None, typer.Option("--dsp-limit", help="Usable DSP fraction (default 0.8).")]
BramLimit = Annotated[float | None, typer.Option("--bram-limit", help="Usable block-RAM fraction (default 0.8).")]
Rows = Annotated[int, typer.Option("--rows", help="Op rows to print, most expensive first (0 = all).", min=0)]
Export = Annotated[Path | None, typer.Option("--export", help="Write the design to .json or a C header (.h).")]


def register(app: typer.Typer) -> None:
    """Add `devices`, `estimate` and `dse` to the main app."""
    app.command("devices")(devices)
    app.command("estimate")(estimate)
    app.command("dse")(dse)


def load_workload(net: str, batch: int = 1):
    """Whatever `--net` names, at `batch`."""
    from coexplore.nets.resolve import resolve_workload

    return resolve_workload(net, batch=batch)


# --- devices -------------------------------------------------------------------------------------
def devices(as_json: JsonFlag = False) -> None:
    """The FPGA board presets: resources, DRAM bandwidth, typical clock."""
    from coexplore.fpga import list_devices

    boards = list_devices()
    if as_json:
        print_json([d.model_dump() for d in boards])
        return
    table = Table(title="FPGA boards (utilisation limits: DSP 80 %, BRAM 80 % by default)")
    for col in ("name", "part", "family", "DSP", "BRAM18/M20K", "URAM", "LUT", "GB/s", "DDR eff.", "MHz",
                "port bits"):
        table.add_column(col, justify="left" if col in ("name", "part", "family") else "right",
                         no_wrap=col in ("name", "part"))
    for d in boards:
        table.add_row(d.name, d.part, d.family, f"{d.dsp:,}", f"{d.block_ram:,}", f"{d.uram:,}", f"{d.lut:,}",
                      f"{d.bandwidth_gbps:g}", f"{d.ddr_efficiency * 100:g}%", f"{d.clock_mhz:g}", str(d.max_port_bits))
    console.print(table)
    console.print("DDR eff.: the fraction of peak DRAM bandwidth every estimate assumes unless --settings "
                  "ddr_eff=... says otherwise; sources:")
    for d in boards:
        console.print(f"  {d.name}: {d.ddr_efficiency_source or 'none given (peak assumed)'}")
    console.print("Add a board: a .toml/.yaml file with these fields (or `base = \"zcu102\"` plus overrides), "
                  "passed as --device path/to/board.toml")


# --- estimate ------------------------------------------------------------------------------------
def estimate(
    net: Net,
    device: DeviceOpt,
    design: Annotated[str, typer.Option("--design", help="e.g. tm=64,tn=7,tr=13,tc=13 (also tile=13, "
                                                         "ports=8/8/8, p=20, tiles=conv1*:11x11|...).")],
    precision: Precision = None,
    clock: Clock = None,
    schedule: ScheduleOpt = None,
    keep_skips_on_chip: KeepSkips = False,
    batch: Batch = 1,
    dsp_limit: DspLimit = None,
    bram_limit: BramLimit = None,
    rows: Rows = DEFAULT_ROWS,
    allow_misfit: Annotated[bool, typer.Option("--allow-misfit", help="Show the estimate of a design that "
                                                                      "does not fit instead of failing.")] = False,
    export: Export = None,
    as_json: JsonFlag = False,
) -> None:
    """Cost of one design: per-op compute / memory / total time, bottleneck, resources and fit."""
    from coexplore.fpga import Design, evaluate, get_device, write_design

    check_output_file(export, "--export")
    dev = get_device(device).with_limits(dsp=dsp_limit, bram=bram_limit)
    chosen = Design.parse(design, precision=precision, clock_mhz=clock, schedule=schedule,
                          keep_skips_on_chip=keep_skips_on_chip or None)
    workload = load_workload(net, batch)
    cost = evaluate(workload, chosen, dev)
    if not cost.fits and not allow_misfit:
        raise CoexploreError(f"does not fit {dev.name}: " + "; ".join(cost.fit_problems), field="design",
                             fix="change the design, or pass --allow-misfit to see the estimate anyway")
    if export is not None:
        write_design(export, chosen, dev, workload, cost)
    if as_json:
        print_json(cost.to_dict())
        return
    _print_header(cost, dev)
    _print_ops(cost, rows)
    _print_breakdown(cost)
    _print_totals(cost, dev)
    if export is not None:
        console.print(f"design written to {export}")


# --- dse -----------------------------------------------------------------------------------------
def dse(
    net: Net,
    device: Annotated[str, typer.Option("--device", help="Board preset or .toml/.yaml device file; several, "
                                                         "comma-separated (zcu102,zcu104,u200), compares the "
                                                         "best design per board.")],
    precision: Annotated[str | None, typer.Option("--precision", help="fp32, int16 (default) or int8.")] = None,
    clock: Clock = None,
    schedule: Annotated[str | None, typer.Option("--schedule", help="overlap (default) or roofline.")] = None,
    keep_skips_on_chip: KeepSkips = False,
    buffer_memory: BufferMemory = None,
    max_macs: Annotated[int | None, typer.Option("--max-macs", help="Cap on tm·tn.", min=1)] = None,
    batch: Batch = 1,
    tiles: Annotated[str | None, typer.Option("--tiles", help="auto (default), square or all (tr ≠ tc too; "
                                                             "slower).")] = None,
    settings: Annotated[str, typer.Option("--settings", help="Other design settings in the --design text form, "
                                                             "e.g. p=20,halo=yes,prologue=yes,ddr_eff=0.8,"
                                                             "double_buffer=no,ports=shared (or auto, 8/8/4); "
                                                             "the flags above win.")] = "",
    dsp_limit: DspLimit = None,
    bram_limit: BramLimit = None,
    top: Annotated[int, typer.Option("--top", help="Fastest MAC arrays to list.", min=1)] = 10,
    front_rows: Annotated[int, typer.Option("--front-rows", help="Front points to print (0 = all).", min=0)]
    = DEFAULT_FRONT_ROWS,
    rows: Rows = DEFAULT_ROWS,
    export: Export = None,
    as_json: JsonFlag = False,
) -> None:
    """Exhaustive hardware DSE: the fastest designs, the latency-vs-resources front, where the time goes;
    with several boards, each board's best design side by side."""
    from coexplore.cli.dse_boards import board_names, compare_boards, print_comparison
    from coexplore.fpga import explore, get_device, parse_settings, write_design

    chosen = parse_settings(settings, precision=precision, clock_mhz=clock, schedule=schedule,
                            keep_skips_on_chip=keep_skips_on_chip or None, max_macs=max_macs, tile_shapes=tiles,
                            buffer_memory=buffer_memory)
    check_output_file(export, "--export")
    boards = board_names(device)
    if len(boards) > 1:
        if export is not None:
            raise CoexploreError("--export writes one board's design", field="--export",
                                 fix="pass one --device with --export")  # fmt: skip
        workload = load_workload(net, batch)
        rows = compare_boards(workload, boards, chosen, dsp_limit=dsp_limit, bram_limit=bram_limit,
                              progress=not as_json)  # fmt: skip
        print_comparison(workload, chosen, rows, as_json)
        return
    dev = get_device(device).with_limits(dsp=dsp_limit, bram=bram_limit)
    workload = load_workload(net, batch)
    res = explore(workload, dev, chosen, top_k=top, progress=not as_json)
    if res.best is None:
        raise CoexploreError(f"no design fits {dev.name} for {workload.name} ({res.n_designs:,} tried)",
                             field="device", fix="raise --bram-limit/--dsp-limit, lower --precision or pick a "
                                                 "larger board")
    if export is not None:
        write_design(export, res.best, dev, workload, res.best_cost)
    if as_json:
        print_json(res.to_dict())
        return
    console.print(f"[bold]{workload.name}[/] on [bold]{dev.name}[/], {res.settings.precision} at "
                  f"{res.clock_mhz:g} MHz, {res.settings.schedule} schedule: {res.n_designs:,} designs "
                  f"({res.space['mac_arrays']:,} MAC arrays × {res.space['tiles']} {res.space['tile_shapes']} tiles "
                  f"× {res.space['port_options']} port options), {res.n_fitting:,} fit, {res.seconds:.2f} s")
    _print_designs(f"Fastest designs (best per MAC array, top {top})", res.top)
    front = res.front
    shown = _thin(front, front_rows)
    _print_designs(f"Front: latency vs DSP vs {dev.block_ram_kind} ({len(front)} points"
                   + (f", {len(shown)} shown" if len(shown) < len(front) else "") + ")", shown)
    console.print(f"\n[bold]Best design[/]: {res.best}")
    _print_ops(res.best_cost, rows)
    _print_breakdown(res.best_cost)
    _print_totals(res.best_cost, dev)
    if export is not None:
        console.print(f"best design written to {export}")


# --- rendering -----------------------------------------------------------------------------------
def _ms(x: float) -> str:
    return f"{x:,.3f}"


def _print_header(cost, dev) -> None:
    console.print(f"[bold]{cost.workload}[/] on [bold]{dev.name}[/] at {cost.clock_mhz:g} MHz — design "
                  f"{cost.design} ({cost.design.settings.schedule} schedule)")


def _print_ops(cost, rows: int) -> None:
    ops = sorted(cost.ops, key=lambda r: r.total_cycles, reverse=True) if rows and len(cost.ops) > rows else cost.ops
    shown = ops[:rows] if rows else ops
    total = cost.total_cycles or 1.0
    title = "Per op" + (f" ({len(shown)} most expensive of {len(cost.ops)}; --rows 0 for all)"
                        if len(shown) < len(cost.ops) else "")
    table = Table(title=title)
    for col in ("op", "shape", "compute ms", "memory ms", "total ms", "bottleneck", "share"):
        table.add_column(col, justify="left" if col in ("op", "shape", "bottleneck") else "right",
                         no_wrap=col != "shape")
    for r in shown:
        table.add_row(r.name, r.shape, _ms(r.compute_ms), _ms(r.memory_ms), _ms(r.total_ms), r.bottleneck,
                      f"{r.total_cycles / total:.1%}")
    console.print(table)


def _print_breakdown(cost) -> None:
    """Where the time goes: by op kind and by bottleneck (cause, as ZigZag splits it)."""
    total = cost.total_cycles or 1.0
    by_kind: dict[str, float] = {}
    by_cause: dict[str, float] = {}
    for r in cost.ops:
        by_kind[r.kind] = by_kind.get(r.kind, 0.0) + r.total_cycles
        by_cause[r.bottleneck] = by_cause.get(r.bottleneck, 0.0) + r.total_cycles
    table = Table(title="Where the time goes")
    for col in ("by op kind", "ms", "share", "by bottleneck", "ms ", "share "):
        table.add_column(col, justify="left" if col.startswith("by") else "right")
    kinds = sorted(by_kind.items(), key=lambda kv: -kv[1])
    causes = sorted(by_cause.items(), key=lambda kv: -kv[1])
    to_ms = 1.0 / (cost.clock_mhz * 1e3)
    for i in range(max(len(kinds), len(causes))):
        left = (kinds[i][0], _ms(kinds[i][1] * to_ms), f"{kinds[i][1] / total:.1%}") if i < len(kinds) else ("",) * 3
        right = (causes[i][0], _ms(causes[i][1] * to_ms), f"{causes[i][1] / total:.1%}") if i < len(causes) \
            else ("",) * 3
        table.add_row(*left, *right)
    console.print(table)


def _print_totals(cost, dev) -> None:
    table = Table(title="Totals and resources", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("compute ms (Σ tC terms)", _ms(cost.compute_ms))
    table.add_row("memory ms (Σ transfer terms)", _ms(cost.memory_ms))
    overlapped = cost.design.settings.schedule == "overlap"
    table.add_row("total ms (overlapped)" if overlapped else "total ms", _ms(cost.total_ms))
    table.add_row("throughput", f"{cost.gops:,.2f} GOPS ({cost.macs / 1e9:,.3f} GMAC)")
    table.add_row("DSP", f"{cost.dsp:,} / {dev.budget('dsp'):,} usable of {dev.dsp:,}")
    if dev.fabric_known:
        table.add_row("LUT / FF (fabric.py estimate)", f"{cost.lut:,} / {dev.budget('lut'):,} usable; "
                                                       f"{cost.ff:,} / {dev.budget('ff'):,} usable")
    b = cost.bram_breakdown
    table.add_row(dev.block_ram_kind, f"{cost.bram18:,} / {dev.budget('bram'):,} usable of {dev.block_ram:,} "
                                      f"(in {b['input']}, weight {b['weight']}, out {b['output']}, "
                                      f"skips {b.get('skips', 0)})")
    if dev.uram or cost.uram:
        u = cost.uram_breakdown
        table.add_row("URAM", f"{cost.uram:,} / {dev.budget('uram'):,} usable of {dev.uram:,} "
                              f"(in {u.get('input', 0)}, weight {u.get('weight', 0)}, out {u.get('output', 0)}, "
                              f"skips {u.get('skips', 0)})")
    table.add_row("DRAM bandwidth", f"{cost.bandwidth_gbps:.2f} GB/s average, ports {cost.port_gbps:.2f} GB/s, "
                                    f"board {dev.bandwidth_gbps:g} GB/s × {cost.ddr_efficiency:.0%} DDR efficiency")
    if cost.design.settings.keep_skips_on_chip:
        table.add_row("skip tensors", "on chip" if cost.skips_on_chip else "through DRAM")
    table.add_row("fits", "[green]yes[/]" if cost.fits else "[red]no[/]")
    console.print(table)
    for problem in cost.fit_problems:
        console.print(f"[red]  ✗ {problem}[/]")
    for note in cost.notes:
        console.print(f"[yellow]  note: {note}[/]")


def _print_designs(title: str, pairs) -> None:
    table = Table(title=title)
    for col in ("⟨tm,tn⟩ tile ports", "total ms", "compute ms", "memory ms", "GOPS", "DSP", "BRAM", "URAM", "GB/s"):
        table.add_column(col, justify="left" if col.startswith("⟨") else "right", no_wrap=col.startswith("⟨"))
    for d, c in pairs:
        table.add_row(short_design(d), _ms(c.total_ms), _ms(c.compute_ms), _ms(c.memory_ms), f"{c.gops:,.1f}",
                      f"{c.dsp:,}", f"{c.bram18:,}", f"{c.uram:,}", f"{c.bandwidth_gbps:.2f}")
    console.print(table)


def _thin(items: list, limit: int) -> list:
    """At most `limit` items spread evenly over the list, keeping both ends."""
    if not limit or len(items) <= limit:
        return items
    if limit == 1:
        return items[:1]
    step = (len(items) - 1) / (limit - 1)
    return [items[round(i * step)] for i in range(limit)]
