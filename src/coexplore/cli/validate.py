"""`coexplore validate`: the hardware model against published measurements.

    coexplore validate            # tables: same architecture (with MAPE), LUT/FF fit, plausibility
    coexplore validate --json
"""

from __future__ import annotations

import typer
from rich.table import Table

from coexplore.cli.common import JsonFlag, console, print_json


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)


def validate(as_json: JsonFlag = False) -> None:
    """Model vs published measurements: Zhang FPGA'15 (same architecture) with each error and the
    MAPE, the LUT/FF fit, and the DPU's attained fraction of peak vs ours (another architecture)."""
    from coexplore.cli.dse_boards import short_design
    from coexplore.fpga import Design
    from coexplore.fpga.validate import validate as run
    from coexplore.nets.resolve import resolve_workload

    result = run(resolve_workload)
    if as_json:
        print_json(result.to_dict())
        return
    table = Table(title="Same architecture: model vs published (Zhang-style tiled conv engine)")
    for col in ("design", "quantity", "published", "model", "error", "role"):
        table.add_column(col, justify="right" if col in ("published", "model", "error") else "left")
    for r in result.rows:
        table.add_row(r.design, r.quantity, _num(r.published), _num(r.model), f"{r.error_pct:+.2f}%", r.role)
    console.print(table)
    console.print("sources: " + "; ".join(sorted({r.source for r in result.rows})))
    console.print(f"MAPE over the {sum(r.role == 'check' for r in result.rows)} check rows: "
                  f"[bold]{result.mape_pct:.2f}%[/] (calibrated rows excluded)")
    fit = Table(title="LUT/FF model (fpga/fabric.py): least-squares fit to the DPU sizes, one size held out")
    for col in ("engine", "what", "role", "published", "model", "error", "source"):
        fit.add_column(col, justify="right" if col in ("published", "model", "error") else "left")
    for r in result.fabric_fit:
        fit.add_row(r["engine"], r["what"], r["role"], f"{r['published']:,}", f"{r['model']:,}",
                    f"{r['error_pct']:+.1f}%", r["source"])
    console.print(fit)
    plaus = Table(title="Plausibility, another architecture (not a validation): attained fraction of peak")
    for col in ("engine", "board", "published net", "published", "our net", "ours", "our design", "our ms"):
        plaus.add_column(col, justify="right" if col in ("published", "ours", "our ms") else "left")
    for p in result.plausibility:
        plaus.add_row(p.engine, p.device, p.published_net, f"{p.published_fraction:.1%}", p.net,
                      f"{p.our_fraction:.1%}", short_design(Design.parse(p.our_design)), f"{p.our_ms:.2f}")
    console.print(plaus)
    console.print("sources: " + "; ".join(sorted({p.source for p in result.plausibility})))
    console.print("Published DPU figures are end-to-end frames per second (CPU pre/post-processing included), "
                  "so their fraction of peak is a lower bound on the engine's own.")


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 or float(x).is_integer() else f"{x:,.3f}"
