"""One error type for everything a user can get wrong.

Every message names the problem (the field or file) and the fix, so the CLI can print it as one
line and exit with code 2 instead of showing a traceback (DESIGN.md, "Conventions").
"""

from __future__ import annotations


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
