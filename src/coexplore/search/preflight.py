"""Checks before anything is spent: an empty space, or a latency budget no network can meet.
(The device was checked when the hardware oracle opened it.)"""

from __future__ import annotations

import itertools

from coexplore.errors import CoexploreError
from coexplore.nets import HourglassSpace, lower, parse_spec
from coexplore.search.context import SearchContext

# Spaces up to this size are scanned whole for their smallest networks; larger ones are probed
# with the smallest value of every numeric gene.
FASTEST_SCAN_LIMIT = 2000
# Spaces up to this size get every network's DSE for the check (exact; DSEs are memoised anyway).
FASTEST_EXACT_LIMIT = 200


def check_context(context: SearchContext) -> None:
    """Clear errors for an empty space or an impossible latency budget."""
    config = context.config
    if context.space.size() == 0:
        raise CoexploreError(
            "the search space is empty (no network meets its constraints)",
            field="space",
            fix="give every gene at least one value and relax max_params_m / max_gmacs",
        )
    if config.latency_budget_ms is None:
        return
    fastest_ms, fastest_spec = fastest_network(context)
    if fastest_ms is None:
        raise CoexploreError(
            f"no network of the space fits {config.device} at {config.hardware.precision}",
            field="device",
            fix="choose a larger board, a smaller precision or a smaller space",
        )
    if fastest_ms > config.latency_budget_ms:
        raise CoexploreError(
            f"{config.latency_budget_ms:g} ms cannot be met: the fastest network of the space ({fastest_spec}) "
            f"needs {fastest_ms:.4g} ms on its best {config.device} design",
            field="latency_budget_ms",
            fix=f"raise it to at least {fastest_ms:.4g} ms, or search smaller networks",
        )


def fastest_network(context: SearchContext) -> tuple[float | None, str | None]:
    """Best-design latency of the fastest network of the space.

    A small space is explored whole (exact). In a larger one, MACs alone do not rank latency (a
    depthwise-separable net has the fewest MACs and runs worst on a Tm×Tn array), so the smallest
    network of every block / kernel / upsampling combination is explored: from the whole space up
    to FASTEST_SCAN_LIMIT networks, else from its corner of smallest genes.
    """
    space = context.space
    size = space.size()
    candidates = [str(s) for s in space.enumerate()] if size <= FASTEST_SCAN_LIMIT else _small_corner(space)
    if size > FASTEST_EXACT_LIMIT:
        smallest: dict[tuple, tuple[int, str]] = {}
        for spec in candidates:
            parsed = parse_spec(spec)
            kind = (parsed.block, parsed.kernel, parsed.upsample)
            macs = lower(parsed).macs
            if kind not in smallest or macs < smallest[kind][0]:
                smallest[kind] = (macs, spec)
        candidates = [spec for _, spec in sorted(smallest.values())]
    best: tuple[float | None, str | None] = (None, None)
    for spec in candidates:
        hw = context.hardware.best(spec)
        if hw.total_ms is not None and hw.fits and (best[0] is None or hw.total_ms < best[0]):
            best = (hw.total_ms, spec)
    return best


def _small_corner(space: HourglassSpace) -> list[str]:
    """Smallest value of every numeric gene, every combination of the categorical ones."""
    cfg = space.config
    specs = []
    for block, kernel, upsample in itertools.product(cfg.block, cfg.kernel, cfg.upsample):
        point = {
            "stacks": min(cfg.stacks), "order": min(cfg.order), "features": min(cfg.features),
            "modules": min(cfg.modules), "block": block, "kernel": kernel, "upsample": upsample,
            "per_level": False, "growth": min(cfg.growth),
        }
        specs.append(str(space.spec_from_point(point)))
    return specs
