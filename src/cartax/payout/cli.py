"""``cartax payout``: what operators run for payments.

- ``run``: the API-rail payment worker (until SIGTERM, or ``--once``);
- ``files``: claim the payable instructions into a batch and write its transfer files (CSV, pain.001),
  or write a committed batch's files again (``--batch``);
- ``results``: book the bank's result file (pain.002 or CSV);
- ``reconcile``: the day's reconciliation report (exit 1 when anything is flagged);
- ``ledger``: balances per case, person, district or day, and whether the ledger sums to zero;
- ``index-accounts``: give accounts registered before migration 0015 their keyed digest (once).
"""

from __future__ import annotations

import signal
import threading
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from cartax.bootstrap import bootstrap, connect
from cartax.core.dates import parse_date
from cartax.payout.errors import PayoutError
from cartax.payout.model import kst_day


def _services() -> Any:
    return connect(bootstrap())


def _refused(command: str, error: PayoutError) -> typer.Exit:
    """Print why ``command`` refused its input (Korean, then English) and give the exit to raise: 2."""
    typer.echo(f"cartax payout {command}: {error.render('ko')}\n({error.render('en')})", err=True)
    return typer.Exit(2)


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return parse_date(text)
    except ValueError:
        message = f"{text!r} is not a date; give it as YYYY-MM-DD (a Korean calendar day), e.g. 2026-08-14"
        raise typer.BadParameter(message, param_hint="--day") from None


def register(app: typer.Typer) -> None:
    payout = typer.Typer(
        help="환급금 지급 (payments, bank files, reconciliation, ledger).", no_args_is_help=True
    )
    app.add_typer(payout, name="payout")

    @payout.command("run")
    def run(
        once: Annotated[bool, typer.Option(help="one round, then exit")] = False,
        worker_id: Annotated[str, typer.Option(help="this worker's name in leases")] = "worker",
    ) -> None:
        """Pay approved refunds through the API rail, exactly once per decision."""
        services = _services()
        try:
            worker = services.payout.worker
            worker.worker_id = worker_id
            if once:
                typer.echo(f"{worker.run_once():,}건 처리 (payments worked)")
                return
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            signal.signal(signal.SIGINT, lambda *_: stop.set())
            services.payout.run(stop)
        finally:
            services.close()

    @payout.command("files")
    def files(
        out: Annotated[Path, typer.Option(help="folder for the files")] = Path("var/payout/out"),
        batch: Annotated[str | None, typer.Option(help="write this committed batch's files again")] = None,
        fmt: Annotated[str, typer.Option("--format", help="csv, pain001 or both")] = "both",
        limit: Annotated[
            int, typer.Option(min=1, help="at most this many payments in the batch")
        ] = 1_000_000,
    ) -> None:
        """Claim payable refunds into a batch and write its transfer files for the bank."""
        formats = {"csv": ("csv",), "pain001": ("pain001",), "both": ("csv", "pain001")}.get(fmt)
        if formats is None:
            typer.echo("cartax payout files: --format is csv, pain001 or both", err=True)
            raise typer.Exit(2)
        services = _services()
        try:
            written = (
                services.payout.render_batch(batch, out, formats)
                if batch
                else services.payout.file_batch(out, formats, limit)
            )
        except PayoutError as error:
            raise _refused("files", error) from None
        finally:
            services.close()
        if not written:
            typer.echo("지급할 건이 없습니다 (nothing payable now)")
        for path in written:
            typer.echo(str(path))

    @payout.command("results")
    def results(
        path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="pain.002 or CSV")],
    ) -> None:
        """Book the bank's result file on the transfers it answers."""
        services = _services()
        try:
            counts = services.payout.read_result_file(path)
        except PayoutError as error:  # nothing was booked: the file is read whole before any booking
            raise _refused("results", error) from None
        finally:
            services.close()
        typer.echo(
            f"성공 {counts['succeeded']:,} · 실패 {counts['failed']:,} · "
            f"이미 반영/모르는 번호 {counts['ignored']:,}"
        )

    @payout.command("reconcile")
    def reconcile(
        day: Annotated[
            str | None, typer.Option(help="YYYY-MM-DD (Korean calendar day); today if omitted")
        ] = None,
    ) -> None:
        """The day's reconciliation: every transfer id matched with a bank result, or flagged."""
        chosen = _day(day)
        services = _services()
        try:
            when = chosen or kst_day(services.payout.service.clock())
            report = services.payout.service.reconcile(when)
        finally:
            services.close()
        typer.echo(f"{report.day} 대사: 일치 {report.matched:,}건, 확인 필요 {len(report.flagged):,}건, "
                   f"원장 {'균형' if report.ledger_balanced else '불균형'}")  # fmt: skip
        for line in report.flagged:
            typer.echo(f"  {line.transfer_id}  {line.status}  ours={line.ours} bank={line.bank} "
                       f"amount={line.amount} bank_amount={line.bank_amount}")  # fmt: skip
        if not report.clean:
            raise typer.Exit(1)

    @payout.command("index-accounts")
    def index_accounts() -> None:
        """Give the accounts registered before their digests existed theirs (who else registered an
        account is found by them); running it again does nothing more."""
        services = _services()
        try:
            done = services.payout.service.index_accounts()
        finally:
            services.close()
        typer.echo(f"{done:,}개 계좌 색인 (accounts indexed)")

    @payout.command("ledger")
    def ledger(
        by: Annotated[str, typer.Option(help="case, owner, district or day")] = "district",
        key: Annotated[str | None, typer.Option(help="only this case, owner, district or day")] = None,
    ) -> None:
        """Ledger balances by account; the last line says whether every entry balances."""
        if by not in ("case", "owner", "district", "day"):
            typer.echo("cartax payout ledger: --by is case, owner, district or day", err=True)
            raise typer.Exit(2)
        services = _services()
        try:
            balances = services.payout.service.balances(by, key)
        finally:
            services.close()
        total = 0
        for balance in balances:
            accounts = "  ".join(f"{name}={amount:,}" for name, amount in sorted(balance.by_account.items()))
            typer.echo(f"{balance.key}  {accounts}")
            total += balance.total
        typer.echo(f"합계 (sum of all lines): {total:,} {'— 균형 (balanced)' if total == 0 else '— 불균형!'}")
        if total:
            raise typer.Exit(1)
