"""The ``cartax`` command. Each context contributes its sub-commands from its own ``cli`` module.

Only the module of the command being run is imported, so ``cartax calc`` starts without the web
stack, the database layer or the data generator; ``cartax --help`` (or an unknown word) loads them all.
"""

from __future__ import annotations

import importlib
import sys

import typer

COMMANDS = {
    "calc": "cartax.rules.cli",
    "detect": "cartax.detection.cli",
    "synth": "cartax.registry.synth.cli",
    "ingest": "cartax.registry.cli",
    "serve": "cartax.web.cli",
    "db": "cartax.infra.cli",
    "audit": "cartax.audit.cli",
    "keys": "cartax.audit.cli",
    "officers": "cartax.identity.cli",
    "events": "cartax.bus.cli",
    "demo-code": "cartax.demo.officers",
    "payout": "cartax.payout.cli",
    "notices": "cartax.notices.cli",
    "notify": "cartax.notify.cli",
}
"""Each command's module; the module's ``register(app)`` adds it (and perhaps its siblings)."""


def build(argv: list[str]) -> typer.Typer:
    app = typer.Typer(
        name="cartax",
        help="cartax — 자동차세 환급 플랫폼 (automobile-tax refunds, end to end).",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    app.callback()(_root)
    wanted = COMMANDS.get(argv[0]) if argv else None
    for module in dict.fromkeys([wanted] if wanted else COMMANDS.values()):
        importlib.import_module(module).register(app)
    return app


def _root() -> None:
    """cartax — 자동차세 환급 플랫폼."""


def main() -> None:
    build(sys.argv[1:])()


def __getattr__(name: str) -> typer.Typer:
    """``cartax.cli.app``: the whole command, every context's sub-commands (for tests and tooling)."""
    if name == "app":
        return build([])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
