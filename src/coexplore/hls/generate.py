"""`generate_hls`: a workload, a design and (optionally) weights and images → a C++ project whose
C-simulation must equal the integer reference bit for bit; `run_csim` builds and runs it."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coexplore.errors import CoexploreError
from coexplore.fpga import Design, Device
from coexplore.hls.graph import build_graph
from coexplore.hls.project import Project, write_project
from coexplore.hls.quant import ConvParams, bits_of, quantize_network, synthetic_params
from coexplore.hls.reference import run_reference
from coexplore.hls.schedule import build_schedule
from coexplore.workload import Workload

CALIBRATION_IMAGES = 4  # synthetic images added to the calibration set


@dataclass(frozen=True)
class HlsResult:
    project: Project
    overflows: dict[str, int]  # op → 32-bit accumulator overflows over the test images (the engine wraps)


def synthetic_images(shapes: dict[str, tuple[int, ...]], count: int, seed: int) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [{name: rng.uniform(0.0, 1.0, shape) for name, shape in shapes.items()} for _ in range(count)]


def generate_hls(workload: Workload, design: Design, device: Device | str, out_dir: Path, *,
                 precision: str | None = None, params: dict[str, ConvParams] | None = None,
                 images: list[dict[str, np.ndarray]] | None = None, isolate: bool = False,
                 seed: int = 0, test_images: int = 2, calibration_images: int = CALIBRATION_IMAGES) -> HlsResult:
    """Write the project. `images` (real values, one dict of network inputs per image; default
    `test_images` synthetic ones) are the test images, also used with `calibration_images`
    synthetic ones to calibrate the scales."""
    precision = precision or design.settings.precision
    bits_of(precision)
    design = design.replace(precision=precision)
    graph = build_graph(workload, isolate=isolate)
    shapes = {name: graph.shapes[name] for name in graph.inputs}
    params = params if params is not None else synthetic_params(graph, seed=seed)
    images = images if images is not None else synthetic_images(shapes, test_images, seed + 1)
    for image in images:
        for name, shape in shapes.items():
            if name not in image or tuple(np.shape(image[name])) != shape:
                raise CoexploreError(f"image input {name!r} must have shape {shape}", field="images")
    calibration = images + synthetic_images(shapes, calibration_images, seed + 2)
    net = quantize_network(graph, params, calibration, precision)
    runs = [run_reference(net, net.quantize_inputs(image)) for image in images]
    schedule = build_schedule(net, design, device)
    project = write_project(net, schedule, design, device, Path(out_dir), runs)
    overflows: dict[str, int] = {}
    for run in runs:
        for op, n in run.overflows.items():
            overflows[op] = overflows.get(op, 0) + n
    return HlsResult(project, overflows)


@dataclass(frozen=True)
class CsimResult:
    returncode: int
    output: str
    counts: list[tuple[str, str, int, int]]  # layer, counter, engine, model

    @property
    def bit_exact(self) -> bool:
        return "PASS (bit-exact)" in self.output

    @property
    def counts_equal(self) -> bool:
        return "COUNTS EQUAL the cost model" in self.output


def compiler() -> str | None:
    return shutil.which("g++")


def run_csim(project_dir: Path, *, timeout: float | None = None) -> CsimResult:
    """`make csim` in the project (g++ must be on the PATH)."""
    if compiler() is None or shutil.which("make") is None:
        raise CoexploreError("g++ and make are needed for the C-simulation", field="csim",
                             fix="install a C++17 compiler (e.g. apt install g++ make)")
    csv = Path(project_dir) / "csim_counts.csv"
    csv.unlink(missing_ok=True)  # the counts of this run, not of an earlier one
    done = subprocess.run(["make", "-s", "csim"], cwd=project_dir, capture_output=True, text=True, timeout=timeout)
    output = done.stdout + done.stderr
    counts = []
    if csv.exists():
        for line in csv.read_text().splitlines()[1:]:
            layer, counter, engine, model = line.rsplit(",", 3)
            counts.append((layer, counter, int(engine), int(model)))
    if re.search(r"error:|Error \d", output) and not counts:
        raise CoexploreError(f"the C-simulation did not build:\n{output[-4000:]}", field="csim")
    return CsimResult(done.returncode, output, counts)
