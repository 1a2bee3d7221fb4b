"""`resolve_workload`: one entry point for every way a user names a network on the command line.

Tried in this order: a workload `.json` file, an `.onnx` file, a hourglass spec file
(`.yaml`/`.yml`), a reference network name (`coexplore.workload.reference`), a hourglass
preset name, a compact hourglass spec string.
"""

from __future__ import annotations

from pathlib import Path

from coexplore.errors import CoexploreError
from coexplore.workload import Workload

ACCEPTED_FORMS = (
    "a workload .json file (Workload.to_json), an .onnx file, a hourglass spec .yaml/.json file, "
    "a reference network name, a hourglass preset, or a spec string such as "
    "hg-s2-o4-f128-m1-bottleneck-k3-nearest-r256"
)


def reference_names() -> list[str]:
    """Names `coexplore.workload.reference.get_reference` knows ([] if that module is absent)."""
    try:
        from coexplore.workload import reference
    except ImportError:
        return []
    for attr in ("reference_names", "REFERENCE_NAMES", "REFERENCES", "NAMES"):
        found = getattr(reference, attr, None)
        if found is not None:
            return sorted(found() if callable(found) else found)
    return []


def _get_reference(name: str) -> Workload | None:
    """The reference workload called `name`, or None (unknown name, or no reference module)."""
    try:
        from coexplore.workload.reference import get_reference
    except ImportError:
        return None
    try:
        return get_reference(name)
    except CoexploreError:
        return None  # not a reference name: try the next form


def resolve_workload(text: str, *, batch: int = 1) -> Workload:
    """The workload a user means by `text` (see the module docstring for the order tried)."""
    from coexplore.nets.lower import lower
    from coexplore.nets.presets import PRESETS
    from coexplore.nets.spec import SPEC_FILE_SUFFIXES, load_spec_file, looks_like_spec_string, parse_spec_string

    text = str(text).strip()
    path = Path(text)
    suffix = path.suffix.lower()
    if suffix in SPEC_FILE_SUFFIXES or suffix == ".onnx":
        if not path.is_file():
            raise CoexploreError(f"file not found: {path}", field="net", fix=f"give {ACCEPTED_FORMS}")
        if suffix == ".onnx":
            from coexplore.nets.onnx_import import from_onnx

            return _at_batch(from_onnx(path), batch)
        if suffix == ".json" and _is_workload_json(path):
            return _at_batch(Workload.from_json(path), batch)
        return lower(load_spec_file(path), batch=batch)
    reference = _get_reference(text)
    if reference is not None:
        return _at_batch(reference, batch)
    if text.lower() in PRESETS:
        return lower(PRESETS[text.lower()], batch=batch)
    if looks_like_spec_string(text):
        return lower(parse_spec_string(text), batch=batch)
    refs = reference_names()
    raise CoexploreError(
        f"unknown network {text!r}", field="net",
        fix=f"presets: {', '.join(PRESETS)}; reference networks: {', '.join(refs) or '(none installed)'}; "
            f"or {ACCEPTED_FORMS}",
    )


def _is_workload_json(path: Path) -> bool:
    import json

    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise CoexploreError(f"not valid JSON ({exc})", field=str(path)) from exc
    return isinstance(data, dict) and "ops" in data


def _at_batch(workload: Workload, batch: int) -> Workload:
    return workload if batch == 1 and all(op.batch == 1 for op in workload.ops) else workload.with_batch(batch)
