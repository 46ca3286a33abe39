"""``cartax serve``: the platform over HTTP (pages and API) with uvicorn."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from fastapi import FastAPI
    from pydantic import ValidationError

GRACEFUL_SHUTDOWN_SECONDS = 10


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        demo: Annotated[
            bool, typer.Option("--demo", help="embedded mode with demo data (development only)")
        ] = False,
        host: Annotated[
            str | None, typer.Option(help="address to listen on (default CARTAX_HOST, else 127.0.0.1)")
        ] = None,
        port: Annotated[
            int | None, typer.Option(min=1, max=65535, help="port (default CARTAX_PORT, else 8000)")
        ] = None,
        workers: Annotated[
            int,
            typer.Option(
                min=1, max=64, help="server processes sharing the port (more than one: services mode only)"
            ),
        ] = 1,
    ) -> None:
        """Serve the pages and the HTTP API (/api/v1, /openapi.json)."""
        # Imported here so that `cartax calc` and the other commands start without the web stack.
        import uvicorn
        from pydantic import ValidationError

        from cartax.bootstrap import bootstrap
        from cartax.settings import Environment, Settings
        from cartax.web import create_app

        try:
            settings = Settings()
        except ValidationError as error:
            typer.echo(f"cartax serve: the settings are not valid:\n{_describe(error)}", err=True)
            raise typer.Exit(2) from None
        if demo and settings.environment is Environment.PRODUCTION:
            typer.echo(
                "cartax serve: --demo is for development; unset CARTAX_ENVIRONMENT=production", err=True
            )
            raise typer.Exit(2)
        if workers > 1 and (demo or settings.event_bus == "inprocess"):
            typer.echo(
                "cartax serve: the embedded mode relays events inside its one process; several workers "
                "need the services mode (CARTAX_EVENT_BUS=nats, with `cartax events relay` and "
                "`cartax events consume` beside them)",
                err=True,
            )
            raise typer.Exit(2)
        platform = bootstrap(settings)
        if demo:
            from cartax.demo import DEMO_SECOND_OFFICER_ABOVE, prepare_demo

            # The demo district's refunds stay under the default threshold of a second signature; a
            # lower one (unless set) lets the demo show maker-checker on its larger claims.
            os.environ.setdefault("CARTAX_CASES_SECOND_OFFICER_ABOVE", str(DEMO_SECOND_OFFICER_ABOVE))

            prepare_demo(platform, typer.echo)
            from cartax.bootstrap import relay_pending

            opened = relay_pending(platform)
            if opened:
                typer.echo(f"사건 등록: 이벤트 {opened:,}건 처리 (detected refunds opened as cases)")
            from cartax.demo.payout import add_zero_click_consents

            add_zero_click_consents(platform, typer.echo)
            from cartax.demo import DEMO_DISTRICT
            from cartax.demo.claims import start_claims

            start_claims(platform, DEMO_DISTRICT, typer.echo)  # some demo citizens claim, as told
        bind_host, bind_port = host or settings.host, port or settings.port
        typer.echo(
            f"cartax {settings.environment.value}: http://{bind_host}:{bind_port} "
            f"(rules {platform.law.version}; stop with Ctrl+C)"
        )
        # Several workers each build the app from the same environment (uvicorn imports the factory in
        # every process); one serves the app built here.
        uvicorn.run(
            create_app(platform) if workers == 1 else f"{__name__}:app_from_environment",
            factory=workers > 1,
            workers=workers,
            host=bind_host,
            port=bind_port,
            server_header=False,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            log_level="info",
        )


def app_from_environment() -> FastAPI:
    """The app from the ``CARTAX_*`` environment: what each of several server processes runs."""
    from cartax.bootstrap import bootstrap
    from cartax.settings import Settings
    from cartax.web import create_app

    return create_app(bootstrap(Settings()))


def _describe(error: ValidationError) -> str:
    """Each problem with the variable to fix; never the values, which may be secrets."""
    lines = []
    for problem in error.errors(include_input=False, include_url=False):
        name = "_".join(str(part) for part in problem["loc"]).upper()
        where = f"CARTAX_{name}: " if name else ""
        lines.append(f"  {where}{problem['msg']}")
    return "\n".join(lines)
