"""Turn pydantic validation failures into the one user-facing error type."""

from __future__ import annotations

from pydantic import ValidationError

from coexplore.errors import CoexploreError


def as_coexplore_error(exc: ValidationError, where: str, fix: str | None = None) -> CoexploreError:
    """The first problem pydantic found, as `where.field: message`."""
    first = exc.errors()[0]
    location = ".".join(str(part) for part in first.get("loc", ())) or "value"
    value = first.get("input")
    shown = f" (got {value!r})" if value is not None and not isinstance(value, dict) else ""
    return CoexploreError(f"{first['msg']}{shown}", field=f"{where}.{location}", fix=fix)
