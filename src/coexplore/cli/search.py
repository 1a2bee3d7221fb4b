"""`coexplore search`, `coexplore worker`, `coexplore results`, `coexplore bench-table build|show`.

Thin: parse flags into a SearchConfig (every flag has a config-file twin), call the search
library, print rich tables (or JSON with `--json`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from coexplore.cli.common import console, err_console, parse_key_values, print_json
from coexplore.cli.progress import search_bar, table_bar
from coexplore.search.strategies import STRATEGIES

if TYPE_CHECKING:
    from optuna.trial import FrozenTrial

DEFAULT_RUNS_DIR = Path("runs")
DEFAULT_EPOCHS = 3  # TrainConfig's, shown in the progress bar when the config does not say

bench_app = typer.Typer(help="The tabular benchmark: train every network of a small space N times, replay searches on it.",
                        no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add this group's commands to the main app."""
    app.command("search")(search_command)
    app.command("worker")(worker_command)
    app.command("results")(results_command)
    app.add_typer(bench_app, name="bench-table")


# --- formatting ----------------------------------------------------------------------------------
def _fmt(value: Any, spec: str = ".3g") -> str:
    return "—" if value is None else format(value, spec)


def trial_line(strategy: str, trial: FrozenTrial) -> str:
    from coexplore.search.records import trial_attrs

    a = trial_attrs(trial)
    status = a.get("status", "?")
    colour = {"complete": "green", "rejected_hw": "yellow", "failed": "red", "pruned": "magenta"}.get(status, "white")
    accuracy = f"{a['accuracy']:.1f}%" if a.get("accuracy") is not None else "—"
    seconds = f"{a.get('train_seconds', 0):.0f}s" if a.get("evaluation") == "trained" else a.get("evaluation", "")
    return (f"[dim]{strategy:>13}[/] #{trial.number:<4} [{colour}]{status:<11}[/] {a.get('spec', '?'):<44} "
            f"acc {accuracy:>6}  total {_fmt(a.get('total_ms'), '.4g'):>8} ms  {seconds}")


def print_trial(strategy: str, trial: FrozenTrial) -> None:
    """One progress line per finished trial (on stderr), for `run_search(printer=...)`."""
    err_console.print(trial_line(strategy, trial), highlight=False, soft_wrap=True)


def print_results(results: dict) -> None:
    """The per-strategy summary, the paper-style top-k table and the sequential-vs-coexplore line.

    The tables are the report's renderers (the same ones `coexplore report` prints), fed with the
    results dict validated against the run folder contract, so the two commands cannot disagree.
    """
    from coexplore.report.tables import strategy_rich_table, topk_rich_table
    from coexplore.results import RunResults

    contract = RunResults.model_validate(results)
    console.print(strategy_rich_table(contract))
    console.print(topk_rich_table(contract))
    if contract.topk_vs_best is not None:  # the same table against the most accurate feasible network
        console.print(topk_rich_table(contract, topk=contract.topk_vs_best))
    versus = results.get("sequential_vs_coexplore", {})
    if versus.get("hypervolume_ratio") is not None:
        console.print(f"co-exploration / sequential hypervolume: [bold]{versus['hypervolume_ratio']:.3g}×[/]; "
                      f"sequential spent {versus.get('trainings_wasted_by_sequential', 0)} trainings on networks "
                      f"that miss the latency budget or do not fit")


def _write_report(run_dir: Path) -> Path | None:
    """report.html beside results.json (the report package writes it); the results are safe on
    disk already, so a report problem is a warning, not a failed search."""
    try:
        from coexplore.report import write_report
    except ImportError:
        return None
    try:
        written = write_report(run_dir)
    except Exception as exc:  # noqa: BLE001 - any report failure leaves the search's results intact
        err_console.print(f"[yellow]warning:[/] report not written ({exc}); try `coexplore report {run_dir}`")
        return None
    return Path(written) if isinstance(written, (str, Path)) else run_dir / "report.html"


# --- commands ------------------------------------------------------------------------------------
def search_command(
    config: Annotated[Path, typer.Option("--config", "-c", help="search config (YAML/TOML), or a shipped one by name: demo, mpii-gpu")],
    run_dir: Annotated[Path | None, typer.Option("--run-dir", help="run folder (default runs/<name>)")] = None,
    workers: Annotated[int | None, typer.Option(help="local worker processes per strategy (one per GPU if any)")] = None,
    storage: Annotated[str | None, typer.Option(help="Optuna storage URL (default sqlite in the run folder)")] = None,
    strategies: Annotated[str | None, typer.Option(help=f"comma-separated: {','.join(STRATEGIES)}")] = None,
    table: Annotated[Path | None, typer.Option(help="replay a tabular benchmark instead of training")] = None,
    budget: Annotated[int | None, typer.Option(help="trainings per strategy")] = None,
    seed: Annotated[int | None, typer.Option(help="base seed")] = None,
    no_report: Annotated[bool, typer.Option("--no-report", help="do not write report.html")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="print results.json to stdout")] = False,
) -> None:
    """Co-explore the network and the accelerator; compare with the baselines on the same budget."""
    from coexplore.search.config import check_strategy, load_config
    from coexplore.search.runner import run_search

    overrides: dict[str, Any] = {"workers": workers, "storage": storage, "budget": budget, "seed": seed}
    if strategies:
        overrides["strategies"] = [check_strategy(s.strip()) for s in strategies.split(",") if s.strip()]
    if table is not None:
        overrides["table"] = str(table.resolve())
    cfg = load_config(config, overrides)
    run_dir = run_dir or DEFAULT_RUNS_DIR / cfg.name
    log = (lambda message: err_console.print(f"[bold]›[/] {message}", highlight=False)) if not json_out else None
    with search_bar(enabled=not json_out, epochs=cfg.train.get("epochs", DEFAULT_EPOCHS), line_of=trial_line) as bar:
        results = run_search(cfg, run_dir, printer=None if json_out else bar.print_trial, log=log, watcher=bar)
    if cfg.table and log is not None:
        _say_if_replayed_in_fp32(cfg, log)
    report = None if no_report else _write_report(run_dir)
    if json_out:
        print_json(results)
        return
    print_results(results)
    console.print(f"results: {run_dir / 'results.json'}" + (f"   report: {report}" if report else ""))


def _say_if_replayed_in_fp32(cfg: Any, log: Any) -> None:
    """A table built without quantised accuracies replays fp32 ones for integer designs: say so."""
    from coexplore.search.context import search_precisions
    from coexplore.search.table import BenchTable

    missing = sorted(set(search_precisions(cfg)) - {"fp32"} - BenchTable.load(cfg.table).precisions())
    if missing:
        log(f"the table stores no {'/'.join(missing)} accuracy: those designs are scored with their fp32 accuracy "
            "(records say accuracy_precision fp32); build it with `bench-table build --precision` to change that")


def worker_command(
    storage: Annotated[str, typer.Option(help="the study's Optuna storage URL")],
    study: Annotated[str, typer.Option(help="study name, <name>-<strategy>")],
    config: Annotated[Path | None, typer.Option(help="override the stored config (e.g. data paths on this machine)")] = None,
    worker: Annotated[int, typer.Option(help="worker index (seeds the sampler)")] = 0,
    run_dir: Annotated[Path | None, typer.Option("--run-dir", help="local folder for training checkpoints")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Join a running study from this machine (the study stores its config: URL + name suffice)."""
    from coexplore.search.config import load_config
    from coexplore.search.runner import join_study

    cfg = load_config(config) if config else None
    progress = join_study(storage, study, worker=worker, config=cfg, run_dir=run_dir,
                          printer=None if json_out else print_trial)
    summary = {"study": study, "trainings": progress.trainings, "trials": progress.finished}
    if json_out:
        print_json(summary)
    else:
        console.print(f"worker {worker} done: {study} has {progress.trainings} trainings in {progress.finished} trials")


def results_command(
    run: Annotated[Path, typer.Argument(help="run folder of a `coexplore search`")],
    storage: Annotated[str | None, typer.Option(help="storage URL if not the run folder's SQLite")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Re-write RUN/results.json from the study storage and print the tables."""
    from coexplore.search.runner import rebuild_results

    results = rebuild_results(run, storage)
    if json_out:
        print_json(results)
        return
    print_results(results)
    console.print(f"results: {run / 'results.json'}")


def _checked_precision(name: str) -> str:
    from coexplore.pose.quantization import precision_bits

    precision_bits(name)  # an unknown name is a CoexploreError listing the known ones
    return name


@bench_app.command("build")
def bench_build_command(
    space: Annotated[Path, typer.Option(help="space config (YAML/JSON), or a shipped space by name (cpu)")],
    out: Annotated[Path, typer.Option(help="table file to write (resumes it if it exists)")],
    data: Annotated[str, typer.Option(help="training data source")] = "synthetic",
    budget: Annotated[str, typer.Option(help="per network: epochs (3) or seconds (45s)")] = "2",
    seeds: Annotated[int, typer.Option(min=1, help="trainings per network (training seeds seed .. seed+N-1)")] = 1,
    train_size: Annotated[int | None, typer.Option(min=1, help="training images")] = None,
    val_size: Annotated[int | None, typer.Option(min=1, help="validation images (costs evaluation only; cuts the noise)")] = None,
    batch_size: Annotated[int | None, typer.Option(min=1, help="batch size")] = None,
    set_option: Annotated[list[str] | None, typer.Option("--set", help="other TrainConfig field, KEY=VALUE")] = None,
    workers: Annotated[int, typer.Option(min=1, help="parallel trainings (one per GPU, or a share of the cores)")] = 1,
    precision: Annotated[list[str] | None, typer.Option("--precision", help="also store the accuracy at int8 / int16 (repeatable)")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Train every network of a small space SEEDS times and store every training (resumable: a
    re-run trains only the missing replicates; parallel)."""
    from coexplore.search.table import build_table, parse_budget
    from coexplore.search.table_stats import table_summary

    options: dict[str, Any] = parse_budget(budget)
    for key, value in (("train_size", train_size), ("val_size", val_size), ("batch_size", batch_size)):
        if value is not None:
            options[key] = value
    options.update(parse_key_values(set_option, "--set"))

    with table_bar(enabled=not json_out) as bar:
        def show(spec: str, replicate: dict, done: int, total: int) -> None:
            if not json_out:
                accuracy = _fmt(replicate.get("accuracy"), ".2f")
                bar.entry(spec, f"[{done}/{total}] {spec:<48} seed {replicate['seed']:<3} {replicate['status']:<8} "
                                f"acc {accuracy:>6}  {replicate.get('wall_s', 0):.0f}s", done, total)

        table = build_table(str(space), data, options, out, seeds=seeds, workers=workers, on_entry=show,
                            precisions=tuple(_checked_precision(p) for p in precision or ()))
    summary = table_summary(table)
    if json_out:
        print_json(summary)
    else:
        _print_summary(out, summary)


@bench_app.command("show")
def bench_show_command(
    table_file: Annotated[Path, typer.Argument(help="a table from `bench-table build`")],
    rows: Annotated[int, typer.Option(help="networks to list, best mean first (0 = all)")] = 20,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Noise (pooled within-network SD), spread between networks, how many top networks are tied
    with the best, and the networks by mean accuracy."""
    from dataclasses import asdict

    from coexplore.search.table import BenchTable
    from coexplore.search.table_stats import network_stats, table_summary

    table = BenchTable.load(table_file)
    summary, networks = table_summary(table), network_stats(table)
    if json_out:
        print_json({**summary, "per_network": [asdict(row) for row in networks]})
        return
    _print_summary(table_file, summary)
    listing = Table(title=f"networks by mean {table.metric or 'accuracy'} (SD over the replicates)")
    for column, justify in (("#", "right"), ("spec", "left"), ("mean", "right"), ("SD", "right"),
                            ("complete / trained", "right"), ("s per training", "right")):
        listing.add_column(column, justify=justify)
    for rank, row in enumerate(networks[:rows or None], start=1):
        listing.add_row(str(rank), row.spec, _fmt(row.mean, ".2f"), _fmt(row.sd, ".2f"),
                        f"{row.complete} / {row.replicates}", _fmt(row.wall_s, ".0f"))
    console.print(listing)


def _print_summary(path: Path, summary: dict) -> None:
    table = Table(title=str(path))
    table.add_column("field")
    table.add_column("value", justify="right")
    for key, value in summary.items():
        table.add_row(key, _fmt(value, ".4g") if isinstance(value, float) else str(value))
    console.print(table)
