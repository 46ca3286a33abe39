"""The calculation page in a real browser: it loads styled with KRDS, answers, and passes axe-core."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI
from playwright.sync_api import Page, expect

from browser.conftest import axe_violations
from cartax.bootstrap import bootstrap
from cartax.settings import Environment, Settings
from cartax.web import create_app

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def _app(tmp_path: Path) -> FastAPI:
    settings = Settings(
        environment=Environment.TEST, data_dir=tmp_path, krds_dir=REPO / "node_modules" / "krds-uiux"
    )
    return create_app(bootstrap(settings, clock=lambda: NOW))


def test_the_worked_example_computes_in_the_browser_and_the_page_passes_axe(
    page: Page, serve: Callable[[FastAPI], str], tmp_path: Path
) -> None:
    base = serve(_app(tmp_path))
    page.goto(f"{base}/calc?example=1")
    assert axe_violations(page) == []
    page.get_by_role("button", name="계산하기").click()
    expect(page.locator("main")).to_contain_text("원")
    assert axe_violations(page) == []
