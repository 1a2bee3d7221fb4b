"""`coexplore dse --device zcu102,zcu104,u200`: one network's best design on several boards, side by side.

Each board gets its own exhaustive DSE under the same design settings (a `--clock` applies to every
board; without it each runs at its own typical clock). A board where nothing fits is a row that
says so, not an error: the comparison is the point.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table

from coexplore.cli.common import console, print_json
from coexplore.errors import CoexploreError


def board_names(device: str) -> list[str]:
    """`zcu102,zcu104,u200` → the names in order, blanks dropped, each once."""
    return list(dict.fromkeys(name.strip() for name in device.split(",") if name.strip()))


def short_design(design: Any) -> str:
    """⟨tm,tn⟩ tr×tc ports, as the single-board DSE tables print a design."""
    ports = "shared" if design.ports_words_per_cycle is None else "/".join(f"{p:g}" for p in design.ports_words_per_cycle)
    return f"⟨{design.tm},{design.tn}⟩ {design.tr}×{design.tc} {ports}"


def board_row(res: Any, dev: Any) -> dict[str, Any]:
    """One board's line: the best design and what it uses of the board (plain JSON)."""
    row: dict[str, Any] = {
        "device": dev.name, "part": dev.part, "clock_mhz": res.clock_mhz, "n_designs": res.n_designs,
        "n_fitting": res.n_fitting, "seconds": res.seconds, "dsp_usable": dev.budget("dsp"),
        "bram_usable": dev.budget("bram"), "block_ram_kind": dev.block_ram_kind,
        "board_bandwidth_gbps": dev.bandwidth_gbps, "best": None,
    }  # fmt: skip
    cost = res.best_cost
    if res.best is None or cost is None:
        row["problem"] = f"no design fits ({res.n_designs:,} tried)"
        return row
    row.update({
        "best": res.best.to_string(), "array": short_design(res.best), "compute_ms": cost.compute_ms, "memory_ms": cost.memory_ms,
        "total_ms": cost.total_ms, "gops": cost.gops, "dsp": cost.dsp, "bram18": cost.bram18,
        "dsp_pct": 100.0 * cost.dsp / row["dsp_usable"] if row["dsp_usable"] else None,
        "bram_pct": 100.0 * cost.bram18 / row["bram_usable"] if row["bram_usable"] else None,
        "bandwidth_gbps": cost.bandwidth_gbps, "problem": None,
    })  # fmt: skip
    return row


def compare_boards(workload: Any, names: list[str], settings: Any, *, dsp_limit: float | None,
                   bram_limit: float | None, progress: bool) -> list[dict[str, Any]]:  # fmt: skip
    from coexplore.fpga import explore, get_device

    boards = [get_device(name).with_limits(dsp=dsp_limit, bram=bram_limit) for name in names]  # all checked first
    return [board_row(explore(workload, dev, settings, top_k=1, progress=progress), dev) for dev in boards]


def print_comparison(workload: Any, settings: Any, rows: list[dict[str, Any]], as_json: bool) -> None:
    fitting = [r for r in rows if r["best"] is not None]
    if not fitting:
        raise CoexploreError(f"no design fits any of {', '.join(r['device'] for r in rows)} for {workload.name}",
                             field="device", fix="raise --bram-limit/--dsp-limit, lower --precision or add a "
                                                 "larger board")  # fmt: skip
    fastest = min(fitting, key=lambda r: r["total_ms"])["device"]
    if as_json:
        print_json({"workload": workload.name, "settings": settings.model_dump(mode="json"), "fastest": fastest,
                    "boards": rows})  # fmt: skip
        return
    table = Table(title=f"{workload.name}: best design per board ({settings.precision}, {settings.schedule} schedule)")
    for col in ("board", "⟨tm,tn⟩ tile ports", "MHz", "compute ms", "memory ms", "total ms", "DSP", "BRAM",
                "GB/s"):  # fmt: skip
        table.add_column(col, justify="left" if col in ("board", "⟨tm,tn⟩ tile ports") else "right", no_wrap=True)
    for r in rows:
        name = f"[bold green]{r['device']} ★[/]" if r["device"] == fastest else r["device"]
        if r["best"] is None:
            table.add_row(name, f"[red]{r['problem']}[/]", f"{r['clock_mhz']:g}", *[""] * 6)
            continue
        table.add_row(
            name, r["array"], f"{r['clock_mhz']:g}", f"{r['compute_ms']:,.3f}", f"{r['memory_ms']:,.3f}",
            f"{r['total_ms']:,.3f}", f"{r['dsp']:,} ({r['dsp_pct']:.0f} %)", f"{r['bram18']:,} ({r['bram_pct']:.0f} %)",
            f"{r['bandwidth_gbps']:.2f} / {r['board_bandwidth_gbps']:g}",
        )  # fmt: skip
    console.print(table)
    console.print(f"fastest: [bold]{fastest}[/] ★ · DSP, BRAM: used (% of usable) · GB/s: needed / board DDR")
