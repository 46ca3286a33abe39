"""Building the notices context, for the composition root, the command line, tests and benchmarks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from cartax.notices.adapters.pdfconcat import PdfConcatenation
from cartax.notices.adapters.store import SqlDocumentStore
from cartax.notices.adapters.typesetter import PooledTypesetter
from cartax.notices.ports import FactsSource
from cartax.notices.service import NoticeService
from cartax.notices.templates import load_templates, template_folder
from cartax.settings import Settings


def build_notices(
    engine: Engine, settings: Settings, clock: Callable[[], datetime], source: FactsSource
) -> NoticeService:
    """The context on ``engine``, printing with the shipped templates and the configured fonts."""
    folder = template_folder()
    return NoticeService(
        source=source,
        store=SqlDocumentStore(engine),
        typesetter=PooledTypesetter(Path(settings.notice_font_dir), folder, settings.notice_print_workers),
        templates=load_templates(folder),
        seal_key=settings.notice_seal_key.get_secret_value().encode(),
        public_url=settings.effective_public_url,
        clock=clock,
        open_print_file=PdfConcatenation,
    )
