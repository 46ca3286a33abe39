"""``cartax notify``: what operators run for messages to people.

- ``send``: the dispatcher (until SIGTERM), or ``--once`` for one pass;
- ``remind``: reminders to people who have not answered, nearest lapse first, in cohorts per minute;
- ``receipts``: ask the providers what became of the messages they accepted;
- ``letters``: one district's print batch of a day as one PDF;
- ``messages``: the messages of a case, with their receipts (no contact details anywhere).
"""

from __future__ import annotations

import signal
import threading
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from cartax.bootstrap import Services, bootstrap, connect
from cartax.notify.campaigns import remind_non_responders
from cartax.notify.errors import NotifyError
from cartax.notify.model import Channel
from cartax.notify.policy import SEOUL
from cartax.notify.settings import NotifySettings


def _services() -> Services:
    return connect(bootstrap())


def register(app: typer.Typer) -> None:
    notify = typer.Typer(
        help="알림 발송 (messages to people: 알림톡, SMS, e-mail, letters).", no_args_is_help=True
    )
    app.add_typer(notify, name="notify")

    @notify.command("send")
    def send(
        once: Annotated[bool, typer.Option("--once", help="one pass over what is due, then exit")] = False,
    ) -> None:
        """Send the messages that are due, channel by channel, with retries and fallback."""
        services = _services()
        try:
            if once:
                report = services.notify.service.dispatch()
                typer.echo(
                    f"보냄 {report.sent:,} · 실패 {report.failed:,} (대체 발송 {report.fallbacks:,}) · "
                    f"보류 {report.deferred:,} (sent, failed, deferred)"
                )
                return
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            signal.signal(signal.SIGINT, lambda *_: stop.set())
            services.notify.run(stop)
        finally:
            services.close()

    @notify.command("remind")
    def remind(
        district: Annotated[
            str | None, typer.Option(help="district code, e.g. 11680; all when omitted")
        ] = None,
        per_minute: Annotated[
            int, typer.Option(min=1, max=100_000, help="messages per cohort minute")
        ] = 1000,
        limit: Annotated[int, typer.Option(min=1, max=10_000_000, help="at most this many people")] = 100_000,
    ) -> None:
        """Remind people who were told of a refund and have not answered, nearest lapse first."""
        policy = NotifySettings().reminder_policy()
        services = _services()
        try:
            result = remind_non_responders(
                services.notify.service, district=district, per_minute=per_minute, limit=limit, policy=policy
            )
        except NotifyError as error:
            typer.echo(f"cartax notify remind: {error.render()}", err=True)
            raise typer.Exit(2) from None
        finally:
            services.close()
        span = ""
        if result.first_at and result.last_at:
            first, last = result.first_at.astimezone(SEOUL), result.last_at.astimezone(SEOUL)
            span = f", {first:%H:%M}–{last:%H:%M} KST"
        typer.echo(
            f"캠페인 {result.campaign_id}: {result.queued:,}명에게 재안내 대기 "
            f"(소멸시효 임박 {result.lapse_warnings:,}명){span} (campaign queued)"
        )

    @notify.command("receipts")
    def receipts(limit: Annotated[int, typer.Option(min=1, max=100_000)] = 1000) -> None:
        """Ask the providers what became of the messages they accepted; record the answers."""
        services = _services()
        try:
            recorded = services.notify.service.poll_receipts(limit)
        finally:
            services.close()
        typer.echo(f"전달 결과 {recorded:,}건 기록 (receipts recorded)")

    @notify.command("letters")
    def letters(
        district: Annotated[str, typer.Option(help="district code, e.g. 11680")],
        out: Annotated[Path, typer.Option(help="the PDF file to write")],
        day: Annotated[str | None, typer.Option(help="YYYY-MM-DD (Seoul); today when omitted")] = None,
    ) -> None:
        """Print one district's letters of a day into one PDF, one letter a page."""
        from cartax.notify.adapters.letters import PrintBatchLetters

        chosen = day or date.today().isoformat()
        try:
            date.fromisoformat(chosen)
        except ValueError:
            typer.echo(f"cartax notify letters: --day {chosen!r} is not a date; write YYYY-MM-DD", err=True)
            raise typer.Exit(2) from None
        services = _services()
        try:
            printer = services.notify.service.providers.get(Channel.LETTER)
            if not isinstance(printer, PrintBatchLetters):
                typer.echo("cartax notify letters: no print batch is configured", err=True)
                raise typer.Exit(2)
            pdf, count = printer.render_batch(district, chosen, services.notify.service.contacts)
        finally:
            services.close()
        out.write_bytes(pdf)
        typer.echo(f"{district} {chosen}: 우편 {count:,}통 → {out} (letters printed)")

    @notify.command("messages")
    def messages(case_key: Annotated[str, typer.Argument(help="the case's key")]) -> None:
        """The messages of a case with their delivery receipts."""
        services = _services()
        try:
            found = services.notify.service.messages_for_case(case_key)
        finally:
            services.close()
        if not found:
            typer.echo(f"{case_key}: 보낸 메시지 없음 (no messages)")
        for message in found:
            typer.echo(f"{message.ref}  {message.template:<24} {message.channel:<9} {message.status}")
            for receipt in message.receipts:
                at = receipt.at.astimezone(SEOUL)
                typer.echo(
                    f"    {at:%Y-%m-%d %H:%M} {receipt.status:<10} {receipt.provider:<14} {receipt.detail}"
                )
