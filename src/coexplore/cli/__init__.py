"""The `coexplore` command. Thin: parse, call the library, print.

Each concern registers its commands from its own module (`hardware.py`, `nets.py`, `pose.py`,
`search.py`), so the command groups stay small and independent.
"""

from __future__ import annotations

import sys

import typer

from coexplore.cli.common import JsonFlag, print_json, run_guarded

app = typer.Typer(
    name="coexplore",
    help="CNN/FPGA co-exploration: search a Stacked Hourglass network and its FPGA accelerator together.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """CNN/FPGA co-exploration: search a Stacked Hourglass network and its FPGA accelerator together."""


def _register() -> None:
    # At run time, not import time: a test that imports one command module does not load them all.
    from coexplore.cli import demo, export, hardware, hls, nets, pose, report, search, train, validate

    for module in (hardware, nets, pose, train, search, report, export, hls, demo, validate):
        module.register(app)


def main() -> None:
    _register()
    sys.exit(run_guarded(app))


@app.command("version")
def version(as_json: JsonFlag = False) -> None:
    """Print the coexplore version (with --json: and the Python version)."""
    import platform
    from importlib.metadata import version as _version

    if as_json:
        print_json({"coexplore": _version("coexplore"), "python": platform.python_version()})
        return
    typer.echo(_version("coexplore"))
