"""The `key=value,...` text form of designs and settings (CLI `--design`, `--settings`, `str(design)`).

    tm=64,tn=7,tr=13,tc=13,precision=fp32,clock=100,ports=8/8/8,p=20,tiles=conv1*:11x11|conv2*:27x27

Short keys map to field names (full field names are accepted too); `tile=13` or `tile=13x27` sets
tr and tc. In a design, `ports` is its port split; in settings, the DSE's port policy.
"""

from __future__ import annotations

from coexplore.errors import CoexploreError
from coexplore.fpga.settings import parse_ports

# short key → field name, in the order `Design.to_string` writes them
DESIGN_KEYS: dict[str, str] = {
    "tm": "tm", "tn": "tn", "tr": "tr", "tc": "tc", "precision": "precision", "clock": "clock_mhz",
    "ports": "ports_words_per_cycle", "ddr_eff": "ddr_efficiency", "double_buffer": "double_buffer",
    "p": "pipeline_overhead_cycles", "keep_skips": "keep_skips_on_chip", "schedule": "schedule",
    "halo": "input_halo", "prologue": "prologue_epilogue", "buffers": "buffer_memory",
    "wstage": "weight_stage_cycles", "tiles": "layer_tiles",
}
SETTINGS_KEYS: dict[str, str] = {
    **{k: v for k, v in DESIGN_KEYS.items() if k not in ("tm", "tn", "tr", "tc", "tiles")},
    "ports": "ports", "max_macs": "max_macs", "tile_shapes": "tile_shapes", "per_layer_tiles": "per_layer_tiles",
    "wstages": "explore_weight_stages",
}
_BOOL_FIELDS = {"double_buffer", "keep_skips_on_chip", "input_halo", "prologue_epilogue", "per_layer_tiles",
                "explore_weight_stages"}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def read_items(text: str, keys: dict[str, str], where: str) -> dict[str, object]:
    """Field values from the text form; `keys` says which short keys are allowed."""
    names = ", ".join(keys) + (", tile" if "tr" in keys else "")
    values: dict[str, object] = {}
    for item in filter(None, (part.strip() for part in str(text).split(","))):
        if "=" not in item:
            raise CoexploreError(f"expected key=value, got {item!r}", field=where, fix=f"keys: {names}")
        key, raw = (s.strip() for s in item.split("=", 1))
        key_l = key.lower()
        if key_l == "tile" and "tr" in keys:  # shorthand: tile=13 or tile=13x27 sets tr and tc
            values["tr"], values["tc"] = parse_tile(raw, f"{where}.tile")
            continue
        field_name = keys.get(key_l) or (key_l if key_l in keys.values() else None)
        if field_name is None:
            raise CoexploreError(f"unknown key {key!r}", field=where, fix=f"use one of: {names}")
        values[field_name] = _parse_value(field_name, raw, f"{where}.{field_name}")
    return values


def format_items(values: dict[str, object], keys: dict[str, str]) -> str:
    """`key=value` for each field in `values`, in the order of `keys`."""
    return ",".join(f"{key}={_format_value(name, values[name])}" for key, name in keys.items() if name in values)


def parse_tile(raw: str, where: str) -> tuple[int, int]:
    parts = raw.lower().split("x")
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2:
        raise CoexploreError(f"expected TR or TRxTC, got {raw!r}", field=where, fix="e.g. tile=13 or tile=13x27")
    return _to_int(parts[0], where), _to_int(parts[1], where)


def _parse_value(field_name: str, raw: str, where: str):
    if field_name in _BOOL_FIELDS:
        if raw.lower() in _TRUE | _FALSE:
            return raw.lower() in _TRUE
        raise CoexploreError(f"expected true/false, got {raw!r}", field=where, fix="use true/false, yes/no, on/off or 1/0")
    if field_name == "ports_words_per_cycle":
        return parse_ports(raw, where)
    if field_name == "layer_tiles":
        tiles = []
        for entry in filter(None, raw.split("|")):
            pattern, _, tile = entry.rpartition(":")
            if not pattern:
                raise CoexploreError(f"expected name:TRxTC, got {entry!r}", field=where,
                                     fix="e.g. tiles=conv1*:11x11|conv2*:27x27")
            tiles.append((pattern, *parse_tile(tile, where)))
        return tuple(tiles)
    if field_name in ("clock_mhz", "ddr_efficiency"):
        return None if raw.lower() in ("none", "device", "") else _to_float(raw, where)
    if field_name == "max_macs":
        return None if raw.lower() in ("none", "") else _to_int(raw, where)
    if field_name in ("precision", "schedule", "tile_shapes", "ports", "buffer_memory"):
        return raw.lower()  # the settings model checks the value
    return _to_int(raw, where)


def _format_value(field_name: str, value) -> str:
    if field_name in ("ports_words_per_cycle", "ports"):
        if value is None:
            return "shared"
        return value if isinstance(value, str) else "/".join(_num(v) for v in value)
    if field_name == "layer_tiles":
        return "|".join(f"{p}:{tr}x{tc}" for p, tr, tc in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _num(value)
    return str(value)


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _to_int(raw: str, where: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise CoexploreError(f"expected an integer, got {raw!r}", field=where, fix="write a whole number, e.g. tm=64") from None


def _to_float(raw: str, where: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise CoexploreError(f"expected a number, got {raw!r}", field=where, fix="e.g. clock=200, ddr_eff=0.8") from None
