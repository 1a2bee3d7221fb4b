"""`coexplore train` and `coexplore eval`: train a hourglass on pose data, score a checkpoint.

Every flag has a config-file twin (`--config run.yaml` or `.toml`, keys = the long flag names with
`_` or `-`, plus the TrainConfig field names); flags given on the command line win.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from coexplore.cli.common import console, err_console, parse_key_values, print_json
from coexplore.errors import CoexploreError
from coexplore.files import read_mapping

if TYPE_CHECKING:
    from coexplore.pose.network import NetworkFactory

DEFAULT_RUNS_DIR = Path("runs")
FAILED_EXIT = 1

# CLI flag name → TrainConfig field.
_FLAG_TO_FIELD = {
    "epochs": "epochs", "seconds": "seconds", "batch": "batch_size", "lr": "lr", "optimizer": "optimizer",
    "schedule": "schedule", "sigma": "sigma", "train_size": "train_size", "val_size": "val_size",
    "augment": "augment", "flip_test": "flip_test", "device": "device", "seed": "seed", "threads": "threads",
    "workers": "num_workers", "resume": "resume", "qat_epochs": "qat_epochs",
}
# Keys of a config file that are not TrainConfig fields.
_RUN_KEYS = ("net", "data", "res", "out", "image_dir", "options", "precision")
PRECISION_HELP = "also score the network as the accelerator computes it: int8 | int16 (fp32: float only)"


def register(app: typer.Typer) -> None:
    """Add `train` and `eval` to the main app."""
    app.command("train")(train_command)
    app.command("eval")(eval_command)


# --- helpers -----------------------------------------------------------------------------------------


def _load_config_file(path: Path) -> dict[str, Any]:
    data = read_mapping(path, what="--config", fix="see `coexplore train --help` for the settings")
    data = data.get("train", data)  # allow a [train] section
    return {str(k).replace("-", "_"): v for k, v in data.items()}


def _split_settings(settings: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Separate run keys (net, data, ...) from TrainConfig fields, mapping flag names to fields."""
    run = {k: settings[k] for k in _RUN_KEYS if settings.get(k) is not None}
    fields: dict[str, Any] = {}
    for key, value in settings.items():
        if key in _RUN_KEYS or value is None:
            continue
        fields[_FLAG_TO_FIELD.get(key, key)] = value
    return run, fields


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def _curve_table(curve: list[dict[str, float]], metric: str) -> Table:
    table = Table(title="learning curve", title_justify="left")
    for name in ("epoch", "train loss", f"val {metric} %", "lr", "seconds"):
        table.add_column(name, justify="right")
    for row in curve:
        table.add_row(str(int(row["epoch"])), f"{row['train_loss']:.6f}", _fmt(row["val_accuracy"]),
                      f"{row.get('lr', float('nan')):.2e}", _fmt(row["seconds"]))
    return table


def _joint_table(per_joint: dict[str, float], metric: str, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("joint")
    table.add_column(f"{metric} %", justify="right")
    for name, value in per_joint.items():
        table.add_row(name, _fmt(value))
    return table


def _summary_table(rows: list[tuple[str, str]]) -> Table:
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    for key, value in rows:
        table.add_row(key, value)
    return table


# --- coexplore train -----------------------------------------------------------------------------------


def train_command(
    net: Annotated[str | None, typer.Option("--net", help="hourglass preset (tiny, small, newell8...), spec string or spec file")] = None,
    data: Annotated[str | None, typer.Option("--data", help="synthetic | fly | mpii:PATH | coco:PATH | keypoints:PATH")] = None,
    epochs: Annotated[int | None, typer.Option(help="epochs of training")] = None,
    seconds: Annotated[float | None, typer.Option(help="training-time budget in seconds (with or instead of --epochs)")] = None,
    res: Annotated[int | None, typer.Option(help="input resolution in px (overrides the spec's)")] = None,
    device: Annotated[str | None, typer.Option(help="auto | cpu | cuda")] = None,
    batch: Annotated[int | None, typer.Option(help="batch size")] = None,
    lr: Annotated[float | None, typer.Option(help="learning rate")] = None,
    optimizer: Annotated[str | None, typer.Option(help="adam | rmsprop")] = None,
    schedule: Annotated[str | None, typer.Option(help="cosine | step | none")] = None,
    sigma: Annotated[float | None, typer.Option(help="heatmap Gaussian sigma in heatmap cells")] = None,
    train_size: Annotated[int | None, typer.Option(help="training images (synthetic) / record cap")] = None,
    val_size: Annotated[int | None, typer.Option(help="validation images (synthetic) / record cap")] = None,
    augment: Annotated[bool | None, typer.Option("--augment/--no-augment", help="rotation, scale and flip augmentation")] = None,
    flip_test: Annotated[bool | None, typer.Option("--flip-test/--no-flip-test", help="average with the mirrored image's heatmaps")] = None,
    seed: Annotated[int | None, typer.Option(help="random seed")] = None,
    threads: Annotated[int | None, typer.Option(help="CPU threads (default: all cores)")] = None,
    workers: Annotated[int | None, typer.Option(help="data-loader worker processes")] = None,
    image_dir: Annotated[str | None, typer.Option(help="image folder for mpii:/coco: data")] = None,
    option: Annotated[list[str] | None, typer.Option("--option", help="dataset option KEY=VALUE (repeatable), e.g. pose_prior=valid.h5")] = None,
    out: Annotated[Path | None, typer.Option(help="checkpoint/result folder (default runs/train-<key>)")] = None,
    resume: Annotated[bool | None, typer.Option("--resume/--no-resume", help="continue from the checkpoint in --out")] = None,
    precision: Annotated[str | None, typer.Option(help=PRECISION_HELP)] = None,
    qat_epochs: Annotated[int | None, typer.Option(help="quantisation-aware fine-tuning epochs at --precision after training")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="YAML/TOML file with any of these settings")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress bar")] = False,
) -> None:
    """Train a hourglass on pose data: per-epoch curve, per-joint accuracy, mean-pose baseline.

    Example: coexplore train --net tiny --data synthetic --epochs 3 --res 128 --precision int8
    Interrupted (Ctrl-C)? The checkpoint is kept: run the same command again to resume.
    """
    from coexplore.nets import parse_spec
    from coexplore.pose.train_config import TrainConfig
    from coexplore.pose.trainer import run_key, train
    from coexplore.search.networks import hourglass_network

    flags = {
        "net": net, "data": data, "res": res, "image_dir": image_dir, "out": out,
        "epochs": epochs, "seconds": seconds, "batch": batch, "lr": lr, "optimizer": optimizer,
        "schedule": schedule, "sigma": sigma, "train_size": train_size, "val_size": val_size,
        "augment": augment, "flip_test": flip_test, "device": device, "seed": seed, "threads": threads,
        "workers": workers, "resume": resume, "precision": precision, "qat_epochs": qat_epochs,
    }
    for flag, value in (("--seconds", seconds), ("--lr", lr), ("--sigma", sigma)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise CoexploreError(f"must be a finite number > 0, got {value}", field=flag,
                                 fix="e.g. --seconds 60, --lr 0.00025, --sigma 2")
    settings = _load_config_file(config) if config else {}
    settings.update({k: v for k, v in flags.items() if v is not None})
    run, fields = _split_settings(settings)
    if "net" not in run:
        raise CoexploreError("no network given", field="--net", fix="e.g. --net tiny (see `coexplore nets presets`)")
    data_source = str(run.get("data", "synthetic"))
    options = dict(fields.pop("data_options", {}) or {})
    options.update(run.get("options") or {})
    options.update(parse_key_values(option, "--option"))
    if "image_dir" in run:
        options["image_dir"] = str(run["image_dir"])
    if epochs is not None or seconds is not None:
        # A budget on the command line replaces the file's budget rather than adding to it.
        fields["epochs"], fields["seconds"] = epochs, seconds
    elif "seconds" in fields and "epochs" not in fields:
        fields["epochs"] = None  # a seconds-only budget, not seconds plus the default epochs

    spec = parse_spec(str(run["net"]))
    if "res" in run:
        spec = spec.replace(input_res=int(run["res"]))
    network = hourglass_network(spec)
    precision = _precision(run.get("precision", "fp32"))
    if fields.get("qat_epochs"):
        if precision == "fp32":
            raise CoexploreError("quantisation-aware fine-tuning needs an integer precision", field="--qat-epochs",
                                 fix="add --precision int8 (or int16)")
        fields["qat_precision"] = precision
    cfg = TrainConfig.from_options(**fields, data_options=options)
    out_dir = Path(run["out"]) if "out" in run else DEFAULT_RUNS_DIR / f"train-{run_key(network.label, data_source, cfg)}"
    if out_dir.exists() and not out_dir.is_dir():  # checked before the work, not after epoch 1
        raise CoexploreError(f"{out_dir} is a file, not a folder", field="--out",
                             fix="give a folder for the checkpoint and result (new or from an earlier run)")
    cfg = cfg.model_copy(update={"checkpoint_dir": str(out_dir)})

    try:
        result = train(network, data_source, cfg, progress=not (quiet or as_json), precisions=[precision])
    except KeyboardInterrupt:
        err_console.print(f"[yellow]checkpoint kept in {out_dir}[/]: re-run the same command to resume")
        raise
    if as_json:
        print_json(result.to_dict())
    else:
        _print_train_result(result)
    if result.status == "failed":
        raise typer.Exit(FAILED_EXIT)


def _print_train_result(result: Any) -> None:
    if result.curve:
        console.print(_curve_table(result.curve, result.metric))
    if result.per_joint:
        console.print(_joint_table(result.per_joint, result.per_joint_metric, "per joint (validation)"))
    status = {"complete": "[green]complete[/]", "pruned": "[yellow]pruned[/]", "failed": "[red]failed[/]"}
    rows = [("status", status[result.status] + (f" — {result.reason}" if result.reason else ""))]
    if result.accuracy is not None:
        rows.append((result.metric, f"{result.accuracy:.1f} %"))
        for precision, accuracy in result.quantized_accuracy.items():
            how = "quantisation-aware" if result.details.get("qat", {}).get("precision") == precision else "post-training"
            rows += _precision_rows(result.metric, precision, result.accuracy, accuracy, how)
    if result.baseline_accuracy is not None:
        rows.append(("mean-pose baseline", f"{result.baseline_accuracy:.1f} %"))
    rows += [
        ("network", result.spec), ("parameters", f"{result.params:,}"),
        ("epochs / steps", f"{result.epochs_done} / {result.steps}"),
        ("wall / training", f"{result.wall_s:.1f} s / {result.train_s:.1f} s"),
        ("throughput", f"{result.images_per_s:.1f} images/s"), ("device", result.device),
        ("checkpoint", result.checkpoint or "–"),
    ]
    console.print(_summary_table(rows))


# --- coexplore eval ------------------------------------------------------------------------------------


def eval_command(
    checkpoint: Annotated[Path, typer.Option("--checkpoint", help="last.pt written by `coexplore train` (or its folder)")],
    data: Annotated[str | None, typer.Option("--data", help="data source (default: the one trained on)")] = None,
    flip_test: Annotated[bool, typer.Option("--flip-test/--no-flip-test", help="average with the mirrored image's heatmaps")] = False,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda")] = "auto",
    batch: Annotated[int, typer.Option(help="batch size")] = 16,
    val_size: Annotated[int | None, typer.Option(help="validation images / record cap (default: as trained)")] = None,
    image_dir: Annotated[str | None, typer.Option(help="image folder for mpii:/coco: data")] = None,
    option: Annotated[list[str] | None, typer.Option("--option", help="dataset option KEY=VALUE (repeatable)")] = None,
    results_json: Annotated[Path | None, typer.Option(help="COCO: write the predictions as an official results JSON")] = None,
    threads: Annotated[int | None, typer.Option(help="CPU threads (default: all cores)")] = None,
    precision: Annotated[str, typer.Option(help=PRECISION_HELP)] = "fp32",
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Score a trained checkpoint on a validation split (per-joint table and mean-pose baseline).

    Example: coexplore eval --checkpoint runs/train-1234/last.pt --flip-test --precision int8
    """
    from coexplore.pose.checkpoint import load_checkpoint, restore_model
    from coexplore.pose.evaluation import evaluate_quantized
    from coexplore.pose.train_config import TrainConfig

    precision = _precision(precision)
    state = load_checkpoint(checkpoint)
    network = _checkpoint_network(state["spec"], checkpoint)
    model = restore_model(state, network, source=checkpoint)
    trained = state["config"]
    options = dict(trained.get("data_options", {})) if data is None else {}
    options.update(parse_key_values(option, "--option"))
    if image_dir:
        options["image_dir"] = image_dir
    cfg = TrainConfig.from_options(
        device=device, batch_size=batch, flip_test=flip_test, threads=threads, seed=trained.get("seed", 0),
        val_size=val_size if val_size is not None else trained.get("val_size"), data_options=options,
    )
    scores = evaluate_quantized(
        model, data or state["data"], cfg, precisions=["fp32", precision], label=network.label,
        input_res=network.input_res, results_json=results_json,
    )
    result, fp32 = scores[precision], scores["fp32"]
    if as_json:
        print_json(result.to_dict() if precision == "fp32" else {**result.to_dict(), "fp32": fp32.to_dict()})
        return
    console.print(_joint_table(result.per_joint, result.per_joint_metric, f"per joint (validation, {precision})"))
    rows = [(fp32.metric, f"{fp32.accuracy:.1f} %")]
    if precision != "fp32":
        rows += _precision_rows(fp32.metric, precision, fp32.accuracy, result.accuracy, "post-training")
    rows += [("mean-pose baseline", f"{result.baseline_accuracy:.1f} %"),
            ("network", result.spec), ("data", f"{result.data} ({result.images} images)"),
            ("flip test", "yes" if result.flip_test else "no")]
    if result.results_json:
        rows.append(("results JSON", result.results_json))
    console.print(_summary_table(rows))


def _precision(name: str) -> str:
    from coexplore.pose.quantization import precision_bits

    name = str(name).lower()
    precision_bits(name)  # an unknown name is a CoexploreError listing the known ones
    return name


def _precision_rows(metric: str, precision: str, fp32: float, quantized: float, how: str) -> list[tuple[str, str]]:
    return [(f"{metric} at {precision}", f"{quantized:.1f} % ({how} quantisation)"),
            (f"loss fp32 → {precision}", f"{fp32 - quantized:+.2f} points")]


def _checkpoint_network(spec: str, checkpoint: Path) -> NetworkFactory:
    """The hourglass a checkpoint names (a NetworkFactory); a spec nets cannot read names the file."""
    from coexplore.search.networks import hourglass_network

    try:
        return hourglass_network(spec)
    except CoexploreError as exc:
        raise CoexploreError(
            f"its spec {spec!r} is not a network coexplore can build ({exc})", field=str(checkpoint),
            fix="pass the last.pt written by `coexplore train --out DIR`",
        ) from None
