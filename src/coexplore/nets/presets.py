"""Named networks: the ECCV 2016 Stacked Hourglass family and small ones that train on a CPU.

Newell, Yang, Deng, ECCV 2016 (arXiv 1603.06937): 256×256 input, F = 256, order 4, one bottleneck
per box, nearest upsampling, 16 MPII joints; `newell8` is the published 8-stack network.
The small presets use the `scaled` stem and 64×64 or 128×128 input; REFERENCES.md ("Training cost
on these 2-core machines") gives 2–5 ms per image for 1-stack F = 32, 15–20 ms for F = 64 at 128.
"""

from __future__ import annotations

from coexplore.errors import CoexploreError
from coexplore.nets.spec import HourglassSpec

_NEWELL = HourglassSpec(stacks=8, order=4, features=256, modules=1, block="bottleneck", kernel=3,
                        upsample="nearest", input_res=256, joints=16, stem="newell")

PRESETS: dict[str, HourglassSpec] = {
    "newell8": _NEWELL,
    "newell4": _NEWELL.replace(stacks=4),
    "newell2": _NEWELL.replace(stacks=2),
    "newell1": _NEWELL.replace(stacks=1),
    # CPU-sized: bottom level 2×2 (tiny) or 4×4 (others), like the 4×4 bottom of the 256 network.
    "tiny": _NEWELL.replace(stacks=1, order=3, features=32, input_res=64, stem="scaled"),
    "small": _NEWELL.replace(stacks=1, order=3, features=32, input_res=128, stem="scaled"),
    "small2": _NEWELL.replace(stacks=2, order=3, features=32, input_res=128, stem="scaled", growth=16),
    "medium": _NEWELL.replace(stacks=2, order=3, features=64, input_res=128, stem="scaled"),
}

PRESET_NOTES: dict[str, str] = {
    "newell8": "ECCV 2016 network: 8 stacks, F=256, 256×256",
    "newell4": "4 stacks of the ECCV 2016 network",
    "newell2": "2 stacks of the ECCV 2016 network",
    "newell1": "1 stack of the ECCV 2016 network",
    "tiny": "CPU: 1 stack, F=32, 64×64",
    "small": "CPU: 1 stack, F=32, 128×128",
    "small2": "CPU: 2 stacks, F=32 growing by 16 per level (32/48/64/80), 128×128",
    "medium": "CPU: 2 stacks, F=64, 128×128",
}


def get_preset(name: str) -> HourglassSpec:
    try:
        return PRESETS[name.lower()]
    except KeyError:
        raise CoexploreError(f"unknown preset {name!r}", field="preset",
                             fix=f"use one of: {', '.join(PRESETS)}") from None
