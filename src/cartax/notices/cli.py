"""``cartax notices print | render | verify``: a district's batch into one print file, one document, a code.

Each builds the platform like any entry point (``bootstrap`` then ``connect``); errors are printed in
Korean then English and end with exit status 2, nothing half-written left behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

from cartax.bootstrap import bootstrap, connect
from cartax.notices import NoticesError, grouped_code, kind_label
from cartax.notices.adapters.typesetter import FontsMissingError

KINDS_HELP = "refund_notice (환급금 통지서), payment_decision (지급결정 통지서), offset_notice (충당 통지서)"


def _fail(error: NoticesError | FontsMissingError) -> typer.Exit:
    if isinstance(error, NoticesError):
        typer.echo(f"오류: {error.render('ko')}\n({error.render('en')})", err=True)
    else:
        typer.echo(f"오류: {error}", err=True)
    return typer.Exit(2)


def register(app: typer.Typer) -> None:
    notices = typer.Typer(help="통지서 (notices: PDF documents with QR codes).", no_args_is_help=True)
    app.add_typer(notices, name="notices")

    @notices.command("print")
    def print_command(
        district: Annotated[str, typer.Option(help="5-digit 시군구 code, e.g. 11680")],
        kind: Annotated[str, typer.Option(help=KINDS_HELP)],
        out: Annotated[Path, typer.Option(help="the print file to write (.pdf)")],
        quiet: Annotated[bool, typer.Option("--quiet", help="no progress bar")] = False,
    ) -> None:
        """Every document of KIND the district's cases call for, into one print-ready PDF."""
        services = connect(bootstrap())
        try:
            total = services.notices.batch_size(district, kind)
            with tqdm(total=total, unit="건", disable=quiet, desc=kind_label(kind)) as bar:

                def advance(cases: int) -> None:
                    bar.update(cases)

                result = services.notices.print_batch(district, kind, out, progress=advance)
        except (NoticesError, FontsMissingError) as error:
            raise _fail(error) from None
        finally:
            services.close()
        typer.echo(
            f"{result.documents:,}건 {result.pages:,}쪽을 {out}에 썼습니다 ({result.skipped:,}건 해당 없음, "
            f"{result.seconds:.1f}초). (wrote {result.documents:,} documents, {result.pages:,} pages)"
        )

    @notices.command("render")
    def render_command(
        case: Annotated[str, typer.Option(help="the case key")],
        kind: Annotated[str, typer.Option(help=KINDS_HELP)],
        out: Annotated[Path, typer.Option(help="the PDF to write")],
    ) -> None:
        """One document for one case (an accessible, tagged PDF)."""
        services = connect(bootstrap())
        try:
            document = services.notices.render(kind, case)
        except (NoticesError, FontsMissingError) as error:
            raise _fail(error) from None
        finally:
            services.close()
        out.write_bytes(document.pdf)
        typer.echo(f"{out}: 문서확인번호 {grouped_code(document.record.code)} (verification code)")

    @notices.command("verify")
    def verify_command(code: Annotated[str, typer.Argument(help="the code printed on the document")]) -> None:
        """Whether a printed code belongs to a document issued here, intact. Exit 0 genuine, 1 otherwise."""
        services = connect(bootstrap())
        try:
            check = services.notices.verify(code)
        finally:
            services.close()
        typer.echo(f"{check.outcome}: {grouped_code(check.code) if check.code else code[:40]}")
        if not check.genuine:
            raise typer.Exit(1)
