"""coexplore.hls: the chosen design as a C++ engine in the Vitis HLS synthesizable subset.

    result = generate_hls(lower("tiny"), design, "zcu102", Path("out"), precision="int8")
    csim = run_csim(result.project.out_dir)   # make csim: bit-exact with the integer reference,
                                              # per-layer counts equal to the cost model's

The quantised network (`quant.py`) follows `coexplore.fixedpoint`; `reference.py` runs it in numpy;
`schedule.py` turns the workload into the engine's layer descriptors; `project.py` writes the
files from `templates/`. numpy only (no torch): weights arrive as arrays (`ConvParams`).
"""

from coexplore.hls.generate import CsimResult, HlsResult, compiler, generate_hls, run_csim, synthetic_images
from coexplore.hls.graph import Graph, build_graph
from coexplore.hls.quant import ConvParams, QuantNetwork, quantize_network, synthetic_params
from coexplore.hls.reference import IntegerRun, run_reference

__all__ = ["ConvParams", "CsimResult", "Graph", "HlsResult", "IntegerRun", "QuantNetwork", "build_graph",
           "compiler", "generate_hls", "quantize_network", "run_csim", "run_reference", "synthetic_images",
           "synthetic_params"]
