"""How long does the C-simulation of the generated HLS engine take for a full network?

Generates the project of `--net` (default newell1, the 1-stack ECCV 2016 hourglass, 5.15 GMAC) at
`--precision` (int8) for `--design` on `--device`, with one synthetic test image, then times the
g++ build and the C-simulation run separately (`make csim`: bit-exact check against the integer
reference and the per-layer counts against the cost model).

Usage: .venv/bin/python bench/hls_csim.py [--net newell1] [--precision int8] [--out /tmp/hls_bench]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path

from coexplore.fpga import Design
from coexplore.hls import generate_hls, run_csim
from coexplore.nets import lower


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--net", default="newell1")
    parser.add_argument("--precision", default="int8")
    parser.add_argument("--design", default="tm=64,tn=8,tr=16,tc=16,schedule=roofline")
    parser.add_argument("--device", default="zcu102")
    parser.add_argument("--out", type=Path, default=Path("/tmp/hls_bench"))
    args = parser.parse_args()

    workload = lower(args.net)
    start = time.perf_counter()
    result = generate_hls(workload, Design.parse(args.design), args.device, args.out, precision=args.precision,
                          test_images=1, calibration_images=1)
    generated = time.perf_counter() - start
    start = time.perf_counter()
    subprocess.run(["make", "-s", "build/csim"], cwd=args.out, check=True)
    built = time.perf_counter() - start
    start = time.perf_counter()
    run = run_csim(args.out)
    simulated = time.perf_counter() - start
    print(json.dumps({
        "net": args.net, "macs": workload.macs, "precision": args.precision, "design": args.design,
        "layers": len(result.project.schedule.layers), "generate_s": round(generated, 1),
        "build_s": round(built, 1), "csim_s": round(simulated, 1), "bit_exact": run.bit_exact,
        "counts_equal": run.counts_equal, "counts_compared": len(run.counts),
        "mac_array_iterations": int(sum(c[2] for c in run.counts if c[1] == "compute")),
        "accumulator_overflows": result.overflows,
    }, indent=1))


if __name__ == "__main__":
    main()
