"""`HourglassSpace`: which genes of a `HourglassSpec` vary, over which values, and how to draw them.

The default space is the one the reference paper explores (Qiu et al., ICET 2021: stacks, order,
features per level, modules, block type, upsampling) at a fixed input resolution and joint count.
A space is a config (space_config.py: a YAML/TOML/JSON file or a dict, validated by pydantic).

Genes and their parameter names (the names `suggest` gives an Optuna trial and `params` returns):

    stacks, order, features, modules, block, kernel, upsample     always (when they vary)
    growth                                                        when per_level is false
    per_level                                                     when level_widths is given
    width_l1 .. width_l<order>                                    when per_level is true

A gene with one value is fixed and not suggested. Every combination of gene values is a valid
network (the config is checked up front), so `suggest` never fails; the optional constraints
(`max_params_m`, `max_gmacs`) are filtered by `sample`, `enumerate`, `size` and `contains`,
and a caller of `suggest` checks `contains` (or `violations`) to prune.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from coexplore.errors import CoexploreError
from coexplore.nets.space_config import SpaceConfig, load_space_config
from coexplore.nets.spec import HourglassSpec, widths_from_growth

# Genes shared by every spec, in the order `suggest` asks for them.
BASE_GENES: tuple[str, ...] = ("stacks", "order", "features", "modules", "block", "kernel", "upsample")
WIDTH_GENE_PREFIX = "width_l"
MAX_SAMPLE_TRIES = 1000


class Trial(Protocol):
    """What `suggest` needs of an Optuna trial (duck-typed: nets does not import optuna)."""

    def suggest_categorical(self, name: str, choices: Any) -> Any: ...

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1) -> int: ...


class HourglassSpace:
    """A set of hourglass specs described by per-gene value lists."""

    def __init__(self, config: SpaceConfig):
        self.config = config
        self._check_config()

    # --- construction -------------------------------------------------------------------------
    @classmethod
    def default(cls) -> "HourglassSpace":
        return cls(SpaceConfig())

    @classmethod
    def from_config(cls, source: str | Path | dict[str, Any]) -> "HourglassSpace":
        """From a YAML/TOML/JSON space file or a dict (space_config.py)."""
        return cls(load_space_config(source))

    def _check_config(self) -> None:
        cfg = self.config
        for gene in (*BASE_GENES, "growth", "per_level"):
            if not getattr(cfg, gene):
                raise CoexploreError("needs at least one value", field=f"space {cfg.name}: {gene}")
        if any(g < 0 for g in cfg.growth):
            raise CoexploreError("growth must be ≥ 0 (widths grow toward the bottom)", field=f"space {cfg.name}: growth")
        if True in cfg.per_level and not cfg.level_widths:
            raise CoexploreError("per_level: true needs level_widths", field=f"space {cfg.name}: level_widths")
        # Every value must make a valid spec; the spec's own error names the field and the value.
        base = self._base_point()
        for gene in BASE_GENES:
            for value in getattr(cfg, gene):
                self._checked_spec({**base, gene: value})
        for width in cfg.level_widths:
            self._checked_spec({**base, "per_level": True,
                                **{f"{WIDTH_GENE_PREFIX}{k}": width for k in range(1, base["order"] + 1)}})

    def _checked_spec(self, point: dict[str, Any]) -> HourglassSpec:
        try:
            return self.spec_from_point(point)
        except CoexploreError as exc:
            raise CoexploreError(str(exc), field=f"space {self.config.name}") from None

    # --- the genes ----------------------------------------------------------------------------
    @property
    def fixed(self) -> dict[str, Any]:
        cfg = self.config
        fixed = {"input_res": cfg.input_res, "joints": cfg.joints, "stem": cfg.stem, "supervision": cfg.supervision}
        fixed.update({g: vals[0] for g, vals in self._all_genes().items() if len(vals) == 1})
        return fixed

    @property
    def genes(self) -> dict[str, list]:
        """The varying genes and their values (per-level widths listed once per possible level)."""
        return {g: vals for g, vals in self._all_genes().items() if len(vals) > 1}

    def _all_genes(self) -> dict[str, list]:
        cfg = self.config
        genes: dict[str, list] = {g: list(getattr(cfg, g)) for g in BASE_GENES}
        genes["growth"] = list(cfg.growth) if False in cfg.per_level else [0]
        if cfg.level_widths:
            genes["per_level"] = list(cfg.per_level)
            if True in cfg.per_level:
                for level in range(1, max(cfg.order) + 1):
                    genes[f"{WIDTH_GENE_PREFIX}{level}"] = list(cfg.level_widths)
        return genes

    def _base_point(self) -> dict[str, Any]:
        cfg = self.config
        point = {g: getattr(cfg, g)[0] for g in BASE_GENES}
        point["per_level"] = cfg.per_level[0]
        point["growth"] = cfg.growth[0]
        return point

    def spec_from_point(self, point: dict[str, Any]) -> HourglassSpec:
        """The spec for one assignment of gene values (see the module docstring for the names)."""
        cfg = self.config
        spec = HourglassSpec(
            stacks=point["stacks"], order=point["order"], features=point["features"], modules=point["modules"],
            block=point["block"], kernel=point["kernel"], upsample=point["upsample"], input_res=cfg.input_res,
            joints=cfg.joints, stem=cfg.stem, supervision=cfg.supervision,
        )
        if point.get("per_level"):
            widths = tuple(point[f"{WIDTH_GENE_PREFIX}{k}"] for k in range(1, spec.order + 1))
            return spec.replace(widths=widths)
        return spec.replace(growth=point.get("growth", 0))

    # --- membership and enumeration -----------------------------------------------------------
    def _width_options(self, order: int, features: int) -> list[tuple[int, ...]]:
        """Distinct level-width tuples (normalised as in HourglassSpec) for one order and F."""
        cfg = self.config
        options: dict[tuple[int, ...], None] = {}
        if False in cfg.per_level:
            for g in cfg.growth:
                options[_normalise(widths_from_growth(features, order, g), features)] = None
        if True in cfg.per_level and cfg.level_widths:
            for widths in itertools.product(cfg.level_widths, repeat=order):
                options[_normalise(widths, features)] = None
        return list(options)

    def _unconstrained(self) -> Iterator[HourglassSpec]:
        cfg = self.config
        others = [getattr(cfg, g) for g in ("stacks", "modules", "block", "kernel", "upsample")]
        for order, features in itertools.product(cfg.order, cfg.features):
            for widths in self._width_options(order, features):
                for stacks, modules, block, kernel, upsample in itertools.product(*others):
                    yield HourglassSpec(stacks=stacks, order=order, features=features, modules=modules, block=block,
                                        kernel=kernel, upsample=upsample, input_res=cfg.input_res, joints=cfg.joints,
                                        stem=cfg.stem, supervision=cfg.supervision, widths=widths)

    def enumerate(self) -> Iterator[HourglassSpec]:
        """Every distinct spec of the space that meets the constraints (for small spaces)."""
        return (spec for spec in self._unconstrained() if not self.violations(spec))

    def size(self) -> int:
        """The number of distinct specs (exact; counts by enumeration only when constrained)."""
        cfg = self.config
        if self._has_constraints():
            return sum(1 for _ in self.enumerate())
        per_shape = int(np.prod([len(getattr(cfg, g)) for g in ("stacks", "modules", "block", "kernel", "upsample")]))
        return per_shape * sum(len(self._width_options(o, f)) for o in cfg.order for f in cfg.features)

    def _has_constraints(self) -> bool:
        return self.config.max_params_m is not None or self.config.max_gmacs is not None

    def violations(self, spec: HourglassSpec) -> list[str]:
        """Why `spec` breaks the space's constraints ([] if it meets them)."""
        if not self._has_constraints():
            return []
        from coexplore.nets.lower import lower

        cfg, workload, found = self.config, lower(spec), []
        if cfg.max_params_m is not None and workload.params > cfg.max_params_m * 1e6:
            found.append(f"{workload.params / 1e6:.2f} M conv weights > max_params_m {cfg.max_params_m}")
        if cfg.max_gmacs is not None and workload.macs > cfg.max_gmacs * 1e9:
            found.append(f"{workload.macs / 1e9:.2f} GMAC > max_gmacs {cfg.max_gmacs}")
        return found

    def contains(self, spec: HourglassSpec) -> bool:
        return self.params(spec, strict=False) is not None and not self.violations(spec)

    def params(self, spec: HourglassSpec, *, strict: bool = True) -> dict[str, Any] | None:
        """The gene values that give `spec`: what `suggest` would have chosen (e.g. to enqueue a
        baseline trial). Only varying genes are listed. Raises (or returns None) if outside."""
        point = self._point(spec)
        if point is None:
            if strict:
                raise CoexploreError(f"{spec} is not in space {self.config.name!r}", field="spec",
                                     fix="check the fixed fields and gene values with `coexplore space show`")
            return None
        varying = self.genes
        return {g: v for g, v in point.items() if g in varying}

    def _point(self, spec: HourglassSpec) -> dict[str, Any] | None:
        cfg = self.config
        if (spec.input_res, spec.joints, spec.stem, spec.supervision) != (cfg.input_res, cfg.joints, cfg.stem,
                                                                           cfg.supervision):
            return None
        point: dict[str, Any] = {g: getattr(spec, g) for g in BASE_GENES}
        if any(point[g] not in getattr(cfg, g) for g in BASE_GENES):
            return None
        if False in cfg.per_level:
            for g in cfg.growth:
                if _normalise(widths_from_growth(spec.features, spec.order, g), spec.features) == spec.widths:
                    return {**point, "per_level": False, "growth": g}
        if True in cfg.per_level:
            widths = spec.level_features[1:]
            if all(w in cfg.level_widths for w in widths):
                return {**point, "per_level": True, **{f"{WIDTH_GENE_PREFIX}{k}": w for k, w in enumerate(widths, 1)}}
        return None

    # --- drawing specs --------------------------------------------------------------------------
    def _random_point(self, rng: np.random.Generator) -> dict[str, Any]:
        pick = lambda values: values[int(rng.integers(len(values)))]  # noqa: E731 (keeps python types)
        genes = self._all_genes()
        point = {g: pick(genes[g]) for g in (*BASE_GENES, "growth")}
        point["per_level"] = pick(genes.get("per_level", [False]))
        for level in range(1, point["order"] + 1):
            point[f"{WIDTH_GENE_PREFIX}{level}"] = pick(self.config.level_widths or [0])
        return point

    def sample(self, rng: np.random.Generator) -> HourglassSpec:
        """A random spec: each gene uniform over its values (constraints by rejection)."""
        for _ in range(MAX_SAMPLE_TRIES):
            spec = self.spec_from_point(self._random_point(rng))
            if not self.violations(spec):
                return spec
        raise CoexploreError(f"no spec meets the constraints after {MAX_SAMPLE_TRIES} samples",
                             field=f"space {self.config.name}", fix="relax max_params_m / max_gmacs")

    def suggest(self, trial: Trial) -> HourglassSpec:
        """Ask an Optuna trial (or anything with suggest_categorical / suggest_int) for a spec."""
        genes = self._all_genes()
        point: dict[str, Any] = {}
        for gene in BASE_GENES:
            point[gene] = _suggest(trial, gene, genes[gene])
        point["per_level"] = _suggest(trial, "per_level", genes.get("per_level", [False]))
        if point["per_level"]:
            for level in range(1, point["order"] + 1):
                name = f"{WIDTH_GENE_PREFIX}{level}"
                point[name] = _suggest(trial, name, genes[name])
        else:
            point["growth"] = _suggest(trial, "growth", genes["growth"])
        return self.spec_from_point(point)

    # --- description --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"name": self.config.name, "description": self.config.description, "fixed": self.fixed,
                "genes": self.genes, "size": self.size(), "config": self.config.model_dump()}


# --- module helpers ------------------------------------------------------------------------------
def _normalise(widths: tuple[int, ...], features: int) -> tuple[int, ...]:
    return () if all(w == features for w in widths) else tuple(widths)


def _suggest(trial: Trial, name: str, values: list) -> Any:
    if len(values) == 1:
        return values[0]
    ints = all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    steps = {b - a for a, b in zip(values, values[1:])} if ints else set()
    if len(values) > 2 and len(steps) == 1 and steps.pop() > 0:  # evenly spaced ints: an int range
        return trial.suggest_int(name, values[0], values[-1], step=values[1] - values[0])
    return trial.suggest_categorical(name, list(values))

