"""``cartax db upgrade | downgrade | current``: the database schema, through the numbered migrations."""

from __future__ import annotations

from typing import Annotated

import typer

from cartax.bootstrap import bootstrap
from cartax.infra.migrate import current_revision, downgrade, head_revision, upgrade

EMPTY = "base (비어 있음, empty)"


def register(app: typer.Typer) -> None:
    db = typer.Typer(
        help="데이터베이스 스키마 (the database schema, through numbered migrations).", no_args_is_help=True
    )
    app.add_typer(db, name="db")

    @db.command("upgrade")
    def upgrade_command(
        revision: Annotated[
            str, typer.Option(help="migration to reach: a number such as 0002, or head")
        ] = "head",
    ) -> None:
        """Apply the migrations up to REVISION (the latest by default)."""
        url = bootstrap().settings.effective_database_url
        upgrade(url, revision)
        typer.echo(f"데이터베이스 스키마: {current_revision(url)} (head {head_revision()})")

    @db.command("downgrade")
    def downgrade_command(
        revision: Annotated[
            str, typer.Option(help="migration to go back to: a number such as 0001, -1 for one step, or base")
        ],
    ) -> None:
        """Undo the migrations after REVISION. Tables dropped this way lose their data."""
        url = bootstrap().settings.effective_database_url
        downgrade(url, revision)
        typer.echo(f"데이터베이스 스키마: {current_revision(url) or EMPTY}")

    @db.command("current")
    def current_command() -> None:
        """Show the migration the database is at, and the latest one."""
        url = bootstrap().settings.effective_database_url
        typer.echo(f"데이터베이스 스키마: {current_revision(url) or EMPTY} (head {head_revision()})")
