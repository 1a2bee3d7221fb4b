"""coexplore.fpga: FPGA devices, accelerator designs, the cost model and the hardware DSE.

    dev = get_device("zcu102")
    cost = evaluate(workload, Design(tm=64, tn=7, tr=13, tc=13, precision="fp32", clock_mhz=100), dev)
    res = explore(workload, dev, precision="int16")

No torch or optuna here (DESIGN.md): the model is numpy over plain-data workloads.
"""

from coexplore.fpga.cost import BOTTLENECKS, OpCost, WorkloadCost, evaluate
from coexplore.fpga.design import SCHEDULES, Design
from coexplore.fpga.devices import PRESETS as DEVICE_PRESETS
from coexplore.fpga.devices import Device, UtilisationLimits, get_device, list_devices, load_device_file
from coexplore.fpga.dse import DSEResult, design_space, explore
from coexplore.fpga.export import design_header, write_design
from coexplore.fpga.precision import PRECISIONS, Precision, get_precision
from coexplore.fpga.vectorized import BatchModel, BatchSettings, evaluate_many

__all__ = [
    "BOTTLENECKS", "BatchModel", "BatchSettings", "DEVICE_PRESETS", "DSEResult", "Design", "Device", "OpCost",
    "PRECISIONS", "Precision", "SCHEDULES", "UtilisationLimits", "WorkloadCost", "design_header", "design_space",
    "evaluate", "evaluate_many", "explore", "get_device", "get_precision", "list_devices", "load_device_file",
    "write_design",
]
