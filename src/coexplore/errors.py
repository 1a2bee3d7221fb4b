"""One error type for everything a user can get wrong.

Every message names the problem (the field or file) and the fix, so the CLI can print it as one
line and exit with code 2 instead of showing a traceback (DESIGN.md, "Conventions").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pydantic is imported only by callers that validate
    from pydantic import BaseModel, ValidationError


class CoexploreError(Exception):
    """A user-facing error: bad input, an impossible design, a resource overrun.

    `field` names what is wrong (a config key, a CLI flag, a file); `fix` says what to do.
    """

    def __init__(self, message: str, *, field: str | None = None, fix: str | None = None):
        self.field = field
        self.fix = fix
        parts = [f"{field}: {message}" if field else message]
        if fix:
            parts.append(fix)
        super().__init__(" — ".join(parts))


def choice_error(field: str, value: object, allowed: list[str] | tuple[str, ...]) -> CoexploreError:
    """The standard message for a value outside a known set."""
    return CoexploreError(
        f"unknown value {value!r}", field=field, fix=f"use one of: {', '.join(map(str, allowed))}"
    )


# Locations listed after the first problem of a pydantic error, so a file with several mistakes
# names them all without flooding the terminal.
_MAX_OTHER_LOCATIONS = 4
# pydantic error types whose message our own validators wrote (they name the value themselves).
_OWN_MESSAGE_TYPES = {"value_error", "assertion_error"}


def validation_error(exc: ValidationError, where: str, *, fix: str | None = None,
                     model: type[BaseModel] | None = None) -> CoexploreError:
    """A pydantic ValidationError as one CoexploreError: `where.field: problem (got value)`.

    `where` names what was validated: a setting ("design" gives `design.tm: ...`) or a file or
    phrase ("search.yaml" gives `search.yaml: budget: ...`). The first problem is
    spelled out, further ones are named by location. An unknown key lists the allowed ones when
    `model` (the validated model class) is given and the caller has no `fix` of its own.
    """
    errors = exc.errors()
    first = errors[0]
    location = _location(first["loc"])
    message = first["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    value = first.get("input")
    if first["type"] == "extra_forbidden":
        message = "unknown setting"
        if fix is None and model is not None:
            allowed = _fields_at(model, first["loc"][:-1])
            fix = f"use one of: {', '.join(allowed)}" if allowed else None
    elif first["type"] not in _OWN_MESSAGE_TYPES and isinstance(value, (str, int, float)):
        message += f" (got {value!r})"
    others = [_location(e["loc"]) or "(whole)" for e in errors[1:]]
    if others:
        shown = ", ".join(others[:_MAX_OTHER_LOCATIONS])
        more = len(others) - _MAX_OTHER_LOCATIONS
        message += f"; also wrong: {shown}" + (f" and {more} more" if more > 0 else "")
    if location:  # a setting name continues the dotted path (design.tm); a file or phrase is a prefix
        where = f"{where}.{location}" if where.isidentifier() else f"{where}: {location}"
    return CoexploreError(message, field=where, fix=fix)


def _location(loc: tuple) -> str:
    return ".".join(str(part) for part in loc)


def _fields_at(model: type[BaseModel], path: tuple) -> list[str]:
    """Field names of the (nested) model at `path`, or [] when the path leaves pydantic models."""
    from pydantic import BaseModel

    for part in path:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        nested = field.annotation if field is not None else None
        if not (isinstance(nested, type) and issubclass(nested, BaseModel)):
            return []
        model = nested
    return list(model.model_fields)
