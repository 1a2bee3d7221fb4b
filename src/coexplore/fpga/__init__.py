"""coexplore.fpga: FPGA devices, accelerator designs and their settings, the cost model and the DSE.

    dev = get_device("zcu102")
    cost = evaluate(workload, Design(tm=64, tn=7, tr=13, tc=13, precision="fp32", clock_mhz=100), dev)
    res = explore(workload, dev, DesignSettings(precision="int16"))

No torch or optuna here (DESIGN.md): the model is numpy over plain-data workloads.
"""

from coexplore.fpga.cost import BOTTLENECKS, OpCost, WorkloadCost, evaluate
from coexplore.fpga.design import Design, parse_settings
from coexplore.fpga.devices import PRESETS as DEVICE_PRESETS
from coexplore.fpga.devices import Device, UtilisationLimits, get_device, list_devices, load_device_file
from coexplore.fpga.dse import DSEResult, explore
from coexplore.fpga.export import design_header, write_design
from coexplore.fpga.precision import PRECISIONS, Precision, get_precision
from coexplore.fpga.settings import SCHEDULES, DesignSettings, load_settings, parse_ports
from coexplore.fpga.space import design_space

__all__ = [
    "BOTTLENECKS", "DEVICE_PRESETS", "DSEResult", "Design", "DesignSettings", "Device", "OpCost", "PRECISIONS",
    "Precision", "SCHEDULES", "UtilisationLimits", "WorkloadCost", "design_header", "design_space", "evaluate",
    "explore", "get_device", "get_precision", "list_devices", "load_device_file", "load_settings", "parse_ports",
    "parse_settings", "write_design",
]
