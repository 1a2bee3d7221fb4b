"""`resolve_workload`: one entry point for every way a user names a network on the command line.

Tried in this order: a workload `.json` file, an `.onnx` file, a hourglass spec file
(`.yaml`/`.yml`/`.json`), a reference network name (`coexplore.workload.reference`), a hourglass
preset name, a compact hourglass spec string.
"""

from __future__ import annotations

from pathlib import Path

from coexplore.errors import CoexploreError
from coexplore.files import read_mapping
from coexplore.nets.lower import lower
from coexplore.nets.presets import PRESETS
from coexplore.nets.spec import SPEC_FILE_SUFFIXES, looks_like_spec_string, parse_spec_string, spec_from_mapping
from coexplore.workload import Workload, get_reference, is_reference, reference_names

ACCEPTED_FORMS = (
    "a workload .json file (Workload.to_json), an .onnx file, a hourglass spec .yaml/.json file, "
    "a reference network name, a hourglass preset, or a spec string such as "
    "hg-s2-o4-f128-m1-bottleneck-k3-nearest-r256"
)


def resolve_workload(text: str, *, batch: int = 1) -> Workload:
    """The workload a user means by `text` (see the module docstring for the order tried)."""
    text = str(text).strip()
    path = Path(text)
    suffix = path.suffix.lower()
    if suffix in SPEC_FILE_SUFFIXES or suffix == ".onnx":
        if not path.is_file():
            raise CoexploreError(f"file not found: {path}", field="net", fix=f"give {ACCEPTED_FORMS}")
        if suffix == ".onnx":
            from coexplore.nets.onnx_import import from_onnx  # onnx loads only when asked for

            return _at_batch(from_onnx(path), batch)
        data = read_mapping(path, what="net", fix=f"give {ACCEPTED_FORMS}")
        if "ops" in data:  # written by Workload.to_json
            return _at_batch(Workload.from_dict(data), batch)
        return lower(spec_from_mapping(data, source=str(path)), batch=batch)
    if is_reference(text):
        return get_reference(text, batch=batch)
    if text.lower() in PRESETS:
        return lower(PRESETS[text.lower()], batch=batch)
    if looks_like_spec_string(text):
        return lower(parse_spec_string(text), batch=batch)
    raise CoexploreError(
        f"unknown network {text!r}", field="net",
        fix=f"presets: {', '.join(PRESETS)}; reference networks: {', '.join(reference_names())}; "
            f"or {ACCEPTED_FORMS}",
    )


def _at_batch(workload: Workload, batch: int) -> Workload:
    return workload if batch == 1 and all(op.batch == 1 for op in workload.ops) else workload.with_batch(batch)
