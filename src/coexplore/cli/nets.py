"""`coexplore net ...` and `coexplore space ...`: inspect networks and hourglass search spaces."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from coexplore.cli.common import JsonFlag, check_output_file, console, print_json
from coexplore.errors import choice_error
from coexplore.workload import Op, Workload

# Bytes per stored value of each data type (activations and weights), for the byte columns.
BYTES_PER_VALUE = {"int8": 1, "int16": 2, "fp32": 4}
DEFAULT_PRECISION = "int16"  # 16-bit fixed point: the usual FPGA datapath (Qiu et al. do not say)
DEFAULT_ROWS = 60


def register(app: typer.Typer) -> None:
    """Add the `net` and `space` groups to the main app."""
    net = typer.Typer(help="Inspect networks: hourglass specs and presets, ONNX files, workload JSON, "
                           "reference networks.", no_args_is_help=True)
    net.command("show")(net_show)
    net.command("list")(net_list)
    space = typer.Typer(help="Inspect hourglass search spaces.", no_args_is_help=True)
    space.command("show")(space_show)
    app.add_typer(net, name="net")
    app.add_typer(space, name="space")


# --- net show ------------------------------------------------------------------------------------
def net_show(
    target: Annotated[str, typer.Argument(help="Spec string, preset, reference name, model.onnx, "
                                               "spec .yaml or workload .json.")],
    batch: Annotated[int, typer.Option(help="Images per inference.", min=1)] = 1,
    precision: Annotated[str, typer.Option(help=f"Data type for byte counts: {', '.join(BYTES_PER_VALUE)}.")]
    = DEFAULT_PRECISION,
    unique: Annotated[bool, typer.Option("--unique", help="One row per distinct op shape, with its count.")]
    = False,
    rows: Annotated[int, typer.Option("--rows", help="Rows of the op table (0 = all).", min=0)] = DEFAULT_ROWS,
    out: Annotated[Path | None, typer.Option("--out", help="Also write the workload as JSON to this file.")]
    = None,
    as_json: JsonFlag = False,
) -> None:
    """Params, MACs, the per-op table (shapes, MACs, activation bytes) and the skip tensors of a network."""
    from coexplore.nets import resolve_workload

    if precision not in BYTES_PER_VALUE:
        raise choice_error("--precision", precision, list(BYTES_PER_VALUE))
    check_output_file(out, "--out")
    workload = resolve_workload(target, batch=batch)
    if out is not None:
        workload.to_json(out)
    summary = workload_summary(workload, BYTES_PER_VALUE[precision])
    if as_json:
        print_json({**summary, "precision": precision, "ops": [_op_row(op, BYTES_PER_VALUE[precision])
                                                                for op in workload.ops],
                    "skip_tensors": _skip_rows(workload, BYTES_PER_VALUE[precision])})
        return
    _print_summary(summary, precision)
    if unique:
        _print_unique(workload, BYTES_PER_VALUE[precision], rows)
    else:
        _print_ops(workload, BYTES_PER_VALUE[precision], rows)
    _print_skips(workload, BYTES_PER_VALUE[precision], rows)
    if out is not None:
        console.print(f"workload written to {out}")


def workload_summary(workload: Workload, bytes_per_value: int) -> dict[str, Any]:
    skips = workload.skip_tensors()
    return {
        "name": workload.name,
        "op_count": len(workload),
        "ops_by_kind": dict(workload.kind_counts()),
        "unique_shapes": len(workload.unique()),
        "params": workload.params,
        "macs": workload.macs,
        "weight_bytes": workload.params * bytes_per_value,
        "activation_bytes": sum(op.input_elems + op.output_elems for op in workload.ops) * bytes_per_value,
        "skip_tensors": len(skips),
        "skip_bytes": sum(s.elems for s in skips) * bytes_per_value,
    }


def _op_row(op: Op, bytes_per_value: int) -> dict[str, Any]:
    return {"name": op.name, "kind": op.kind, "shape": op.shape_str(),
            "input": [op.in_channels, op.in_h, op.in_w], "output": [op.out_channels, op.out_h, op.out_w],
            "macs": op.macs, "weights": op.weight_elems,
            "activation_bytes": (op.input_elems + op.output_elems) * bytes_per_value}


def _skip_rows(workload: Workload, bytes_per_value: int) -> list[dict[str, Any]]:
    ops = workload.ops
    return [{"tensor": s.tensor, "produced_by": ops[s.start].name, "last_read_by": ops[s.end].name,
             "span_ops": s.span, "bytes": s.elems * bytes_per_value} for s in workload.skip_tensors()]


def _print_summary(summary: dict[str, Any], precision: str) -> None:
    table = Table(title=f"{summary['name']}", show_header=False)
    table.add_row("ops", f"{summary['op_count']} ({', '.join(f'{n} {k}' for k, n in summary['ops_by_kind'].items())}); "
                         f"{summary['unique_shapes']} distinct shapes")
    table.add_row("weights", f"{summary['params'] / 1e6:.3f} M conv/fc weights (no BN, no bias)")
    table.add_row("MACs", f"{summary['macs'] / 1e9:.3f} G")
    table.add_row(f"activations ({precision})", _mb(summary["activation_bytes"]) + " read + written by all ops")
    table.add_row(f"skip tensors ({precision})", f"{summary['skip_tensors']} alive across other ops, "
                                                 f"{_mb(summary['skip_bytes'])} in all")
    console.print(table)


def _print_ops(workload: Workload, bytes_per_value: int, rows: int) -> None:
    table = Table(title="ops (execution order)")
    for col in ("#", "op", "shape", "MACs (M)", "weights (k)", "act. bytes"):
        table.add_column(col, justify="right" if col in ("#", "MACs (M)", "weights (k)", "act. bytes") else "left")
    shown = workload.ops if rows == 0 else workload.ops[:rows]
    for i, op in enumerate(shown):
        row = _op_row(op, bytes_per_value)
        table.add_row(str(i), op.name, row["shape"], f"{op.macs / 1e6:.2f}", f"{op.weight_elems / 1e3:.1f}",
                      _kb(row["activation_bytes"]))
    console.print(table)
    _more(len(workload.ops) - len(shown))


def _print_unique(workload: Workload, bytes_per_value: int, rows: int) -> None:
    table = Table(title="distinct op shapes (first appearance order)")
    for col in ("count", "shape", "MACs each (M)", "act. bytes each", "first op"):
        table.add_column(col)
    groups = workload.unique()
    shown = groups if rows == 0 else groups[:rows]
    for group in shown:
        op = group.op
        table.add_row(str(group.count), op.shape_str(), f"{op.macs / 1e6:.2f}",
                      _kb((op.input_elems + op.output_elems) * bytes_per_value), group.names[0])
    console.print(table)
    _more(len(groups) - len(shown))


def _print_skips(workload: Workload, bytes_per_value: int, rows: int) -> None:
    skips = _skip_rows(workload, bytes_per_value)
    if not skips:
        return
    table = Table(title="skip tensors (alive across other ops: DRAM round trip unless kept on chip)")
    for col in ("tensor", "produced by", "last read by", "span (ops)", "bytes"):
        table.add_column(col)
    skips.sort(key=lambda s: -s["bytes"])
    shown = skips if rows == 0 else skips[: max(1, rows // 3)]
    for s in shown:
        table.add_row(s["tensor"], s["produced_by"], s["last_read_by"], str(s["span_ops"]), _kb(s["bytes"]))
    console.print(table)
    _more(len(skips) - len(shown))


def _more(hidden: int) -> None:
    if hidden > 0:
        console.print(f"… {hidden} more rows (--rows 0 shows all, --json prints everything)")


def _kb(n_bytes: float) -> str:
    return f"{n_bytes / 1024:.1f} KiB"


def _mb(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:.2f} MiB"


# --- net list ------------------------------------------------------------------------------------
def net_list(as_json: JsonFlag = False) -> None:
    """The hourglass presets and the reference networks, with their size."""
    from coexplore.nets import PRESETS, lower
    from coexplore.nets.presets import PRESET_NOTES
    from coexplore.workload import get_reference, reference_names

    rows = []
    for name, spec in PRESETS.items():
        workload = lower(spec)
        rows.append({"name": name, "kind": "hourglass preset", "spec": str(spec), "note": PRESET_NOTES.get(name, ""),
                     "params": workload.params, "macs": workload.macs})
    for name in reference_names():
        workload = get_reference(name)
        rows.append({"name": name, "kind": "reference", "spec": "", "note": workload.name,
                     "params": workload.params, "macs": workload.macs})
    if as_json:
        print_json(rows)
        return
    table = Table(title="networks")
    for col in ("name", "kind", "spec / note", "weights (M)", "GMAC"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["name"], r["kind"], r["spec"] or r["note"], f"{r['params'] / 1e6:.2f}", f"{r['macs'] / 1e9:.2f}")
    console.print(table)


# --- space show ----------------------------------------------------------------------------------
def space_show(
    config: Annotated[Path | None, typer.Argument(help="Space YAML/TOML/JSON, or a shipped space by name: cpu, cpu-widths, default (default: the built-in default space).")]
    = None,
    samples: Annotated[int, typer.Option(help="How many random specs to show.", min=0)] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the sampler.")] = 0,
    as_json: JsonFlag = False,
) -> None:
    """Genes, their values, the size of the space and a few sampled specs."""
    import numpy as np

    from coexplore.nets import HourglassSpace, lower

    space = HourglassSpace.from_config(config) if config is not None else HourglassSpace.default()
    rng = np.random.default_rng(seed)
    drawn = [space.sample(rng) for _ in range(samples)]
    sample_rows = []
    for spec in drawn:
        workload = lower(spec)
        sample_rows.append({"spec": str(spec), "params": workload.params, "macs": workload.macs,
                            "genes": space.params(spec)})
    if as_json:
        print_json({**space.to_dict(), "samples": sample_rows})
        return
    cfg = space.config
    console.print(f"[bold]space {cfg.name}[/]" + (f" — {cfg.description}" if cfg.description else ""))
    fixed = Table(title="fixed", show_header=False)
    for key, value in space.fixed.items():
        fixed.add_row(key, str(value))
    console.print(fixed)
    genes = Table(title="genes")
    genes.add_column("gene")
    genes.add_column("values")
    genes.add_column("when")
    for gene, values in space.genes.items():
        genes.add_row(gene, ", ".join(map(str, values)), _gene_condition(gene))
    console.print(genes)
    if cfg.max_params_m is not None or cfg.max_gmacs is not None:
        console.print(f"constraints: max_params_m={cfg.max_params_m}, max_gmacs={cfg.max_gmacs}")
    console.print(f"size: [bold]{space.size():,}[/] distinct networks")
    if sample_rows:
        table = Table(title=f"{len(sample_rows)} samples (seed {seed})")
        for col in ("spec", "weights (M)", "GMAC"):
            table.add_column(col)
        for r in sample_rows:
            table.add_row(r["spec"], f"{r['params'] / 1e6:.2f}", f"{r['macs'] / 1e9:.3f}")
        console.print(table)


def _gene_condition(gene: str) -> str:
    if gene == "growth":
        return "per_level = false"
    if gene.startswith("width_l"):
        return f"per_level = true and order ≥ {gene.removeprefix('width_l')}"
    return "always"
