"""The ``cartax`` command. Each context contributes its sub-commands from its own ``cli`` module."""

from __future__ import annotations

import typer

from cartax.audit.cli import register as register_audit
from cartax.bus.cli import register as register_events
from cartax.detection.cli import register as register_detection
from cartax.identity.cli import register as register_identity
from cartax.infra.cli import register as register_db
from cartax.registry.cli import register as register_registry
from cartax.registry.synth.cli import register as register_synth
from cartax.rules.cli import register as register_rules
from cartax.web.cli import register as register_web

app = typer.Typer(
    name="cartax",
    help="cartax — 자동차세 환급 플랫폼 (automobile-tax refunds, end to end).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
register_rules(app)
register_detection(app)
register_synth(app)
register_web(app)
register_db(app)
register_audit(app)
register_identity(app)
register_events(app)
register_registry(app)


@app.callback()
def _root() -> None:
    """cartax — 자동차세 환급 플랫폼."""


def main() -> None:
    app()
