"""`HourglassSpec`: the genome of a Stacked Hourglass network, and its compact string form.

One frozen dataclass describes a whole network (Newell, Yang, Deng, ECCV 2016, arXiv 1603.06937):
how many stacks, how deep the recursion, how wide each level, which residual block, which
upsampling. It round-trips through a compact string (`hg-s2-o4-f128-m1-bottleneck-k3-nearest-r256`)
and is also read from a dict of genes or a YAML/JSON spec file; every invalid value raises one
`CoexploreError` naming the field and what is allowed.

Compact string grammar: `hg` then `-`-separated tokens in any order, missing ones take the
defaults (the Newell network). The canonical form `str(spec)` always writes
`s{stacks}-o{order}-f{features}-m{modules}-{block}-k{kernel}-{upsample}-r{input_res}` and then,
only where they differ from the default, the level widths (`g{growth}` when they grow evenly,
else `w{w1}.{w2}...`), `j{joints}`, the stem name and `nosup`.
"""

from __future__ import annotations

import dataclasses
import numbers
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coexplore.errors import CoexploreError, choice_error
from coexplore.files import read_mapping
from coexplore.nets.recipe import BLOCK_RECIPES, STEM_WIDTHS

BLOCKS: tuple[str, ...] = tuple(BLOCK_RECIPES)  # the residual block recipes (recipe.py)
UPSAMPLES: tuple[str, ...] = ("nearest", "bilinear", "deconv")
STEMS: tuple[str, ...] = tuple(STEM_WIDTHS)
KERNELS: tuple[int, ...] = (3, 5)

# Limits of the genome (issue 3): stacks 1-8, order 1-5, modules 1-3.
STACKS_RANGE = (1, 8)
ORDER_RANGE = (1, 5)
MODULES_RANGE = (1, 3)
CHANNEL_MULTIPLE = 8  # widths are multiples of 8 so they tile evenly on MAC arrays
STEM_DOWNSAMPLE = 4  # 7x7/2 conv then 2x2 max-pool: heatmaps are input_res / 4 (Newell et al.)
MPII_JOINTS = 16

NO_SUPERVISION_TOKEN = "nosup"
_INT_FIELDS = ("stacks", "order", "features", "modules", "kernel", "input_res", "joints")


@dataclass(frozen=True)
class HourglassSpec:
    """A Stacked Hourglass network. Defaults are the ECCV 2016 network (8 stacks, F = 256).

    `widths` are the channels of hourglass levels 1..order below the top level (which runs at
    `features`); empty means every level uses `features`. Level widths that grow by a constant
    step are the `increase` knob of princeton-vl/pytorch_stacked_hourglass (see `growth`).
    `supervision=False` drops the intermediate heatmap heads: only the last stack predicts.
    """

    stacks: int = 8
    order: int = 4
    features: int = 256
    modules: int = 1
    block: str = "bottleneck"
    kernel: int = 3
    upsample: str = "nearest"
    input_res: int = 256
    joints: int = MPII_JOINTS
    stem: str = "newell"
    supervision: bool = True
    widths: tuple[int, ...] = field(default=())

    def __post_init__(self) -> None:
        for name in _INT_FIELDS:  # numpy integers (from a sampler) become plain ints
            value = getattr(self, name)
            if isinstance(value, numbers.Integral) and not isinstance(value, bool):
                object.__setattr__(self, name, int(value))
        object.__setattr__(self, "widths", tuple(
            int(w) if isinstance(w, numbers.Integral) and not isinstance(w, bool) else w for w in self.widths))
        _validate(self)
        if self.widths and all(w == self.features for w in self.widths):
            object.__setattr__(self, "widths", ())  # uniform widths have one canonical form

    # --- derived sizes ------------------------------------------------------------------------
    @property
    def heatmap_res(self) -> int:
        return self.input_res // STEM_DOWNSAMPLE

    @property
    def level_features(self) -> tuple[int, ...]:
        """Channels at every level, top (heatmap resolution) first: length order + 1."""
        return (self.features,) + (self.widths or (self.features,) * self.order)

    @property
    def growth(self) -> int | None:
        """The constant per-level width step, 0 for uniform widths, None if the widths are irregular."""
        levels = self.level_features
        step = levels[1] - levels[0]
        return step if all(b - a == step for a, b in zip(levels, levels[1:])) else None

    # --- conversions --------------------------------------------------------------------------
    def replace(self, **changes: Any) -> "HourglassSpec":
        """A copy with some genes changed; `growth=g` sets evenly growing level widths."""
        growth = changes.pop("growth", None)
        if growth is None and "widths" not in changes and self.widths and self.growth is not None:
            growth = self.growth  # keep evenly growing widths growing when order or features change
        if growth is not None:
            changes["widths"] = ()
        spec = dataclasses.replace(self, **changes)
        if growth:
            spec = dataclasses.replace(spec, widths=widths_from_growth(spec.features, spec.order, growth))
        return spec

    def to_string(self) -> str:
        parts = [
            "hg", f"s{self.stacks}", f"o{self.order}", f"f{self.features}", f"m{self.modules}",
            self.block, f"k{self.kernel}", self.upsample, f"r{self.input_res}",
        ]
        if self.widths:
            growth = self.growth
            # `g` only for positive steps: a minus sign would clash with the token separator
            parts.append(f"g{growth}" if growth is not None and growth > 0 else "w" + ".".join(map(str, self.widths)))
        if self.joints != MPII_JOINTS:
            parts.append(f"j{self.joints}")
        if self.stem != "newell":
            parts.append(self.stem)
        if not self.supervision:
            parts.append(NO_SUPERVISION_TOKEN)
        return "-".join(parts)

    def __str__(self) -> str:
        return self.to_string()

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "spec") -> "HourglassSpec":
        """Build from a mapping (YAML/JSON); `growth` is accepted as a shortcut for `widths`."""
        if not isinstance(data, dict):
            raise CoexploreError(f"expected a mapping of genes, got {type(data).__name__}", field=source)
        allowed = [f.name for f in dataclasses.fields(cls)] + ["growth", "name"]
        unknown = sorted(set(data) - set(allowed))
        if unknown:
            raise CoexploreError(
                f"unknown key(s) {', '.join(unknown)}", field=source, fix=f"allowed keys: {', '.join(allowed)}"
            )
        values = {k: v for k, v in data.items() if k not in ("growth", "name")}
        if "widths" in values:
            values["widths"] = tuple(values["widths"] or ())
        spec = cls(**values)
        if data.get("growth") is not None:
            if spec.widths:
                raise CoexploreError("give either widths or growth, not both", field=f"{source}.growth")
            spec = spec.replace(growth=int(data["growth"]))
        return spec

def widths_from_growth(features: int, order: int, growth: int) -> tuple[int, ...]:
    """Level widths growing by `growth` channels per level below the top (the `increase` knob)."""
    return tuple(features + growth * level for level in range(1, order + 1))


# --- validation ---------------------------------------------------------------------------------
def _check_int(name: str, value: Any, lo: int | None = None, hi: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise CoexploreError(f"must be an integer, got {value!r}", field=name)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise CoexploreError(f"must be in {lo}..{hi}, got {value}", field=name,
                             fix=f"use a value from {lo} to {hi}")


def _check_width(name: str, value: Any) -> None:
    _check_int(name, value, CHANNEL_MULTIPLE)
    if value % CHANNEL_MULTIPLE:
        raise CoexploreError(
            f"must be a multiple of {CHANNEL_MULTIPLE}, got {value}", field=name,
            fix=f"use e.g. {max(CHANNEL_MULTIPLE, value // CHANNEL_MULTIPLE * CHANNEL_MULTIPLE)} "
                f"or {(value // CHANNEL_MULTIPLE + 1) * CHANNEL_MULTIPLE}",
        )


def _validate(spec: HourglassSpec) -> None:
    _check_int("stacks", spec.stacks, *STACKS_RANGE)
    _check_int("order", spec.order, *ORDER_RANGE)
    _check_int("modules", spec.modules, *MODULES_RANGE)
    _check_width("features", spec.features)
    if spec.block not in BLOCKS:
        raise choice_error("block", spec.block, BLOCKS)
    if spec.upsample not in UPSAMPLES:
        raise choice_error("upsample", spec.upsample, UPSAMPLES)
    if spec.stem not in STEMS:
        raise choice_error("stem", spec.stem, STEMS)
    if spec.kernel not in KERNELS:
        raise choice_error("kernel", spec.kernel, [str(k) for k in KERNELS])
    _check_int("joints", spec.joints, 1)
    if not isinstance(spec.supervision, bool):
        raise CoexploreError(f"must be true or false, got {spec.supervision!r}", field="supervision")
    _check_int("input_res", spec.input_res, 1)
    step = STEM_DOWNSAMPLE * 2**spec.order
    if spec.input_res % step:
        below = max(step, spec.input_res // step * step)
        raise CoexploreError(
            f"{spec.input_res} is not divisible by 4·2^order = {step} (order {spec.order})",
            field="input_res", fix=f"use a multiple of {step} such as {below} or {below + step}, or a lower order",
        )
    if spec.widths:
        if len(spec.widths) != spec.order:
            raise CoexploreError(
                f"needs one width per level below the top ({spec.order} for order {spec.order}), "
                f"got {len(spec.widths)}", field="widths",
            )
        for level, width in enumerate(spec.widths, start=1):
            _check_width(f"widths[level {level}]", width)


# --- compact string -----------------------------------------------------------------------------
_PREFIX_FIELDS = {"s": "stacks", "o": "order", "f": "features", "m": "modules", "k": "kernel",
                  "r": "input_res", "j": "joints", "g": "growth", "w": "widths"}
_WORD_FIELDS = {**{b: "block" for b in BLOCKS}, **{u: "upsample" for u in UPSAMPLES},
                **{s: "stem" for s in STEMS}, NO_SUPERVISION_TOKEN: "supervision"}
_TOKEN_RE = re.compile(r"^([a-z])(\d+(?:\.\d+)*)$")
SPEC_STRING_HELP = (
    "hg-s<stacks>-o<order>-f<features>-m<modules>-<block>-k<kernel>-<upsample>-r<input_res>"
    "[-g<growth>|-w<w1>.<w2>...][-j<joints>][-scaled][-nosup], e.g. hg-s2-o4-f128-m1-bottleneck-k3-nearest-r256"
)


def looks_like_spec_string(text: str) -> bool:
    return text.strip().lower().startswith("hg-") or text.strip().lower() == "hg"


def parse_spec_string(text: str) -> HourglassSpec:
    """Parse the compact form; tokens in any order, missing ones default to the Newell network."""
    tokens = text.strip().lower().split("-")
    if tokens[0] != "hg":
        raise CoexploreError(f"{text!r} does not start with 'hg-'", field="spec", fix=f"write {SPEC_STRING_HELP}")
    values: dict[str, Any] = {}
    for token in tokens[1:]:
        key, value = _parse_token(token, text)
        if key in values:
            raise CoexploreError(f"{key} given twice in {text!r}", field=f"spec.{key}")
        values[key] = value
    return HourglassSpec.from_dict(values, source=f"spec {text!r}")


def _parse_token(token: str, text: str) -> tuple[str, Any]:
    if token in _WORD_FIELDS:
        key = _WORD_FIELDS[token]
        return key, (False if key == "supervision" else token)
    match = _TOKEN_RE.match(token)
    if not match or match.group(1) not in _PREFIX_FIELDS:
        raise CoexploreError(
            f"unknown token {token!r} in {text!r}", field="spec",
            fix=f"blocks: {', '.join(BLOCKS)}; upsampling: {', '.join(UPSAMPLES)}; stems: {', '.join(STEMS)}; "
                f"form: {SPEC_STRING_HELP}",
        )
    key = _PREFIX_FIELDS[match.group(1)]
    numbers = [int(n) for n in match.group(2).split(".")]
    if key == "widths":
        return key, tuple(numbers)
    if len(numbers) != 1:
        raise CoexploreError(f"token {token!r} takes one number", field=f"spec.{key}")
    return key, numbers[0]


# --- files --------------------------------------------------------------------------------------
SPEC_FILE_SUFFIXES = (".yaml", ".yml", ".json")


def load_spec_file(path: str | Path) -> HourglassSpec:
    """Read a spec from YAML or JSON: a mapping of genes, or `{spec: "hg-..."}`."""
    path = Path(path)
    data = read_mapping(path, what="spec", fix="give the genes of a HourglassSpec, or `spec: hg-...`")
    return spec_from_mapping(data, source=str(path))


def spec_from_mapping(data: dict[str, Any], *, source: str = "spec") -> HourglassSpec:
    """A spec file's contents: a mapping of genes, or `{spec: "hg-..."}`."""
    if set(data) == {"spec"}:
        return parse_spec_string(str(data["spec"]))
    return HourglassSpec.from_dict(data, source=source)

