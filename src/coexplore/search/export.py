"""`coexplore export RUN --rank K`: take a chosen network and its accelerator out of a search run.

The choice is row K of the run's top-k table, then the rest of that strategy's Pareto front
(fastest first). The export writes, into one folder:

- `network.onnx` — the network (ONNX opset `ONNX_OPSET`), checked with `onnx.checker` and read back
  with `from_onnx`, which must give the same workload as `lower(spec)`, the one the search costed;
- `weights.pt` — its PyTorch state dict: the trained weights the search kept in `RUN/checkpoints`,
  or, for a replayed run (a tabular benchmark) or a network trained elsewhere (a cache hit), the
  untrained architecture, said in the README and in `export.json`;
- `design.json` and `design.h` — the accelerator design, costed again on the run's board with the
  run's settings; the cost must equal the run's record, and the header's skip placement is the
  costed one;
- `network_int8.onnx` (an int8 design) — the network as the accelerator computes it: post-training
  quantised (`coexplore.pose.quantization`, calibrated on the run's training data), with a
  QuantizeLinear/DequantizeLinear pair on every weight and activation, checked with `onnx.checker`
  and read back with `from_onnx` to the same workload. An int16 design gets no Q/DQ file: ONNX has
  16-bit QuantizeLinear only from opset 21, which torch's exporter does not write;
- `export.json` (what was exported, machine-readable) and `README.md` (what each file is).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from coexplore.errors import CoexploreError
from coexplore.files import read_mapping
from coexplore.fpga import Design, Device, evaluate, write_design
from coexplore.results import RunResults, TrialRecord, load_results
from coexplore.workload import Op, Workload

# Pinned so that an exported file reads the same in every runtime this version supports.
ONNX_OPSET = 17
EXPORT_FILES = {
    "network.onnx": "the network as ONNX (opset {opset}), input `image` 1x3x{res}x{res}, output `heatmaps`",
    "weights.pt": "the PyTorch state dict (`torch.load(..., weights_only=True)`, then "
                  "`coexplore.nets.build(spec).load_state_dict(...)`)",
    "design.json": "the accelerator design, its settings and its cost on {device} (compute / memory / total ms)",
    "design.h": "the same design as C `#define`s for an HLS kernel (tiles, ports, buffer depths, skip placement)",
    "export.json": "what was exported: network, rank, accuracy, latency, where the weights came from, checks",
}
QUANTIZED_ONNX = "network_{precision}.onnx"
QUANTIZED_ONNX_TEXT = ("the network quantised to {precision} as the accelerator computes it (power-of-two scales), "
                       "with QuantizeLinear/DequantizeLinear pairs (ONNX opset {opset})")
# Precisions ONNX opset ONNX_OPSET can carry as Q/DQ pairs (int16 needs opset 21).
QDQ_PRECISIONS = ("int8",)
# Relative tolerance between the re-costed design and the run's record (both come from one model).
COST_RTOL = 1e-6
# Shape fields that must agree op for op between `from_onnx` and `lower` (names may differ).
_SHAPE_FIELDS = tuple(f.name for f in fields(Op) if f.name not in ("name", "inputs", "output"))


@dataclass
class ExportChoice:
    """The chosen network: its trial record and where in the run it was found."""

    rank: int
    record: TrialRecord
    found_in: str


@dataclass
class ExportResult:
    out_dir: Path
    spec: str
    weights: str  # "trained" or "untrained"
    notes: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # file name → what it is


def exportable_records(results: RunResults) -> list[tuple[TrialRecord, str]]:
    """The networks `--rank` counts through: the top-k rows, then the rest of that strategy's front."""
    strategy = results.topk.strategy
    block = results.strategies.get(strategy)
    by_number = {r.number: r for r in block.trials} if block else {}
    chosen = [(by_number[row.number], f"top-k row {i}") for i, row in enumerate(results.topk.rows, start=1)
              if row.number in by_number]
    seen = {record.number for record, _ in chosen}
    for number in block.pareto if block else []:
        if number not in seen and number in by_number:
            chosen.append((by_number[number], f"{strategy} Pareto front"))
    return chosen


def exportable_specs(results: RunResults) -> set[str]:
    """Every network an export may ask for (the baseline and each strategy's front included): the
    search keeps the trained weights of these and prunes the others."""
    specs = {record.spec for record, _ in exportable_records(results)} | {results.baseline.spec}
    for block in results.strategies.values():
        on_front = set(block.pareto)
        specs |= {r.spec for r in block.trials if r.number in on_front}
    return specs


def choose(results: RunResults, rank: int) -> ExportChoice:
    candidates = exportable_records(results)
    if not candidates:
        raise CoexploreError("the run has no feasible network to export (its top-k table and front are empty)",
                             field="RUN", fix="export from a run with at least one feasible design")
    if not 1 <= rank <= len(candidates):
        raise CoexploreError(f"rank {rank} is out of range: the run has {len(candidates)} exportable networks",
                             field="--rank", fix=f"give 1..{len(candidates)} (`coexplore results RUN` lists them)")
    record, found_in = candidates[rank - 1]
    if record.design is None:
        raise CoexploreError(f"trial {record.number} has no design", field="--rank", fix="choose another rank")
    return ExportChoice(rank, record, found_in)


def export_run(run_dir: str | Path, rank: int, out_dir: str | Path) -> ExportResult:
    """Write the network, its weights and its design (see the module docstring) into `out_dir`."""
    run_dir, out_dir = Path(run_dir), Path(out_dir)
    results = load_results(run_dir)
    choice = choose(results, rank)
    record = choice.record
    config = read_mapping(run_dir / "config.yaml", what="RUN", fix="give the folder of a `coexplore search` run")
    out_dir.mkdir(parents=True, exist_ok=True)

    model, joints, weights, notes = _network(run_dir, config, record.spec)
    workload = _write_onnx(model, record.spec, joints, out_dir / "network.onnx")
    _write_weights(model, out_dir / "weights.pt")
    device = Device.model_validate(results.device)
    design = Design(**record.design)
    cost = evaluate(workload, design, device)
    _check_cost(cost, record)
    write_design(out_dir / "design.json", design, device, workload, cost)
    write_design(out_dir / "design.h", design, device, workload, cost)
    quantized_file = _quantized_export(model, record.spec, joints, design.settings.precision, config, out_dir, notes)
    if not cost.skips_on_chip and design.settings.keep_skips_on_chip:
        notes.append("the settings ask for on-chip skip tensors, but they do not fit: they go through DRAM, "
                     "as costed (design.h says CX_KEEP_SKIPS_ON_CHIP 0)")

    summary = {
        "run": str(run_dir.resolve()), "rank": rank, "found_in": choice.found_in, "trial": record.number,
        "strategy": record.strategy, "spec": record.spec, "accuracy": record.accuracy, "metric": record.metric,
        "accuracy_precision": record.accuracy_precision, "accuracy_fp32": record.accuracy_fp32,
        "quantized_onnx": quantized_file,
        "design": record.design_str, "device": device.name, "compute_ms": cost.compute_ms,
        "memory_ms": cost.memory_ms, "total_ms": cost.total_ms, "skips_on_chip": cost.skips_on_chip,
        "weights": weights, "onnx_opset": ONNX_OPSET, "onnx_workload_matches_lower": True, "notes": notes,
    }
    files = {name: text.format(opset=ONNX_OPSET, res=workload.ops[0].in_h, device=device.name)
             for name, text in EXPORT_FILES.items()}
    if quantized_file:
        files[quantized_file] = QUANTIZED_ONNX_TEXT.format(precision=design.settings.precision, opset=ONNX_OPSET)
    files["README.md"] = "what each file is, the chosen network and where its weights came from"
    (out_dir / "export.json").write_text(json.dumps(summary, indent=1) + "\n")
    (out_dir / "README.md").write_text(_readme(summary, files))
    return ExportResult(out_dir, record.spec, weights, notes, summary, files)


# --- the network -------------------------------------------------------------------------------
def _network(run_dir: Path, config: dict[str, Any], spec: str) -> tuple[Any, int, str, list[str]]:
    """(model, joints, "trained" | "untrained", notes): the run's trained weights when it kept them
    (the joint count is the training data's, e.g. 32 for the fly set), else the untrained network."""
    import torch

    from coexplore.nets import build
    from coexplore.pose.checkpoint import load_checkpoint, load_weights
    from coexplore.search.evaluation import TrainingEvaluator
    from coexplore.search.networks import hourglass_network

    if config.get("table"):
        reason = (f"this run replayed the tabular benchmark {config['table']}: nothing was trained, so weights.pt "
                  "holds the untrained architecture (random initialisation, seed 0)")
    else:
        evaluator = TrainingEvaluator(config.get("data", "synthetic"), dict(config.get("train") or {}),
                                      checkpoint_root=run_dir / "checkpoints")
        checkpoint = evaluator.checkpoint_dir(spec) / "last.pt"
        if checkpoint.is_file():
            state = load_checkpoint(checkpoint)
            network, joints = hourglass_network(spec), len(state["joint_names"])
            model = network.build(joints)
            load_weights(model, state["model"], label=network.label_for(joints), source=checkpoint)
            return model.eval(), joints, "trained", [f"weights from {checkpoint} (epoch {state['epoch']})"]
        reason = (f"no trained weights for this network in {run_dir / 'checkpoints'} (it was served by the evaluation "
                  "cache from another run, or trained before runs kept weights): weights.pt holds the untrained "
                  f"architecture; train it with `coexplore train --net {spec}`")
    torch.manual_seed(0)
    model = build(spec).eval()
    return model, _input_joints(spec), "untrained", [reason]


def _input_joints(spec: str) -> int:
    from coexplore.nets import parse_spec

    return parse_spec(spec).joints


def _write_onnx(model: Any, spec: str, joints: int, path: Path) -> Workload:
    """Export, check with onnx.checker, and read back: the ONNX workload must be `lower(spec)`'s."""
    import warnings

    import onnx
    import torch

    from coexplore.nets import from_onnx, lower, parse_spec

    parsed = parse_spec(spec).replace(joints=joints)
    example = torch.zeros(1, 3, parsed.input_res, parsed.input_res)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(model, (example,), str(path), dynamo=False, opset_version=ONNX_OPSET,
                          input_names=["image"], output_names=["heatmaps"])
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    lowered = lower(parsed)
    problems = workload_differences(lowered, from_onnx(path))
    if problems:
        raise CoexploreError(f"the exported ONNX does not read back as the costed network: {problems[0]}",
                             field="export", fix="report this: the builder and `lower` disagree for " + spec)
    return lowered


def _quantized_export(model: Any, spec: str, joints: int, precision: str, config: dict[str, Any], out_dir: Path,
                      notes: list[str]) -> str | None:
    """Write the quantised network beside the fp32 one (an int8 design); returns its file name."""
    if precision == "fp32":
        return None
    if precision not in QDQ_PRECISIONS:
        notes.append(f"no {precision} Q/DQ ONNX file: ONNX carries {precision} QuantizeLinear only from opset 21, "
                     "which torch's exporter does not write; `coexplore eval --precision` scores it")
        return None
    import torch

    from coexplore.nets import parse_spec
    from coexplore.pose.calibration import calibration_batches
    from coexplore.pose.quantization import quantize_for
    from coexplore.pose.train_config import TrainConfig

    data = config.get("data", "synthetic")
    input_res = parse_spec(spec).input_res
    try:
        calibration = calibration_batches(data, input_res, TrainConfig.from_options(**dict(config.get("train") or {})),
                                          torch.device("cpu"))
    except CoexploreError as exc:
        notes.append(f"no {precision} ONNX file: the calibration data {data} cannot be opened here ({exc})")
        return None
    name = QUANTIZED_ONNX.format(precision=precision)
    write_quantized_onnx(quantize_for(model, precision, calibration), spec, joints, out_dir / name)
    notes.append(f"{name}: post-training quantised, calibrated on {sum(len(b) for b in calibration)} training "
                 f"images of {data}")
    return name


def write_quantized_onnx(quantized: Any, spec: str, joints: int, path: Path) -> Workload:
    """A fake-quantised network (`quantize_for`, int8) as ONNX Q/DQ pairs, checked and read back like the
    fp32 file. Two rewrites keep the values and fit torch's exporter: the weights' narrow range
    (-127..127) is declared as -128..127 (no weight reaches -128: its scale was chosen for 127),
    and the 32-bit accumulator saturation is left out (calibrated sums never reach it; ONNX has no
    int32 Q/DQ before opset 21)."""
    import copy

    from torch.ao.quantization import FakeQuantize

    from coexplore.pose.quantization import AccumulatorSaturation

    exported = copy.deepcopy(quantized)
    for module in exported.modules():
        if isinstance(module, AccumulatorSaturation):
            module.disable_fake_quant()
        elif isinstance(module, FakeQuantize) and module.activation_post_process.quant_min == -127:
            module.activation_post_process.quant_min = -128
    return _write_onnx(exported, spec, joints, path)


def workload_differences(a: Workload, b: Workload) -> list[str]:
    """Op-by-op differences in what the ops compute (names ignored); empty when they match."""
    rows_a = [tuple(getattr(op, f) for f in _SHAPE_FIELDS) for op in a.ops]
    rows_b = [tuple(getattr(op, f) for f in _SHAPE_FIELDS) for op in b.ops]
    if len(rows_a) != len(rows_b):
        return [f"{len(rows_a)} ops in {a.name} vs {len(rows_b)} in {b.name}"]
    return [f"op {i}: {a.ops[i].name} vs {b.ops[i].name}" for i, (x, y) in enumerate(zip(rows_a, rows_b)) if x != y]


def _write_weights(model: Any, path: Path) -> None:
    import torch

    torch.save(model.state_dict(), path)


# --- the design --------------------------------------------------------------------------------
def _check_cost(cost: Any, record: TrialRecord) -> None:
    """The re-costed design must be the one the run recorded (same model, same board, same settings)."""
    if record.total_ms is None or not math.isclose(cost.total_ms, record.total_ms, rel_tol=COST_RTOL):
        raise CoexploreError(
            f"the design costs {cost.total_ms:.6g} ms now but {record.total_ms} ms in the run",
            field="export", fix="export with the coexplore version that ran the search, or re-run `coexplore results RUN`",
        )


def _readme(summary: dict[str, Any], files: dict[str, str]) -> str:
    accuracy = "—" if summary["accuracy"] is None else f"{summary['accuracy']:.2f} % {summary['metric']}"
    lines = [
        f"# {summary['spec']} on {summary['device']}",
        "",
        f"Exported by `coexplore export` from {summary['run']}: rank {summary['rank']} ({summary['found_in']}, "
        f"{summary['strategy']} trial {summary['trial']}).",
        "",
        f"- accuracy: {accuracy}",
        f"- design: `{summary['design']}`",
        f"- latency: compute {summary['compute_ms']:.4g} ms, memory {summary['memory_ms']:.4g} ms, "
        f"total {summary['total_ms']:.4g} ms",
        f"- skip tensors: {'on chip' if summary['skips_on_chip'] else 'through DRAM'} (as costed)",
        f"- weights: **{summary['weights']}**",
        "",
        "| file | what it is |",
        "|---|---|",
    ]
    lines += [f"| `{name}` | {text} |" for name, text in files.items() if name != "README.md"]
    lines += ["", "Notes:", ""] + [f"- {note}" for note in summary["notes"]] + [""]
    lines += ["`coexplore net show network.onnx` lists its layers.", ""]
    return "\n".join(lines)
