"""``cartax ingest`` end to end: the summary, the rejects file, a refused feed, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from cartax.cli import app
from cartax.infra import current_revision, head_revision, make_engine
from cartax.registry.adapters import tables as t
from registry_factories import make_feeds, make_payment


@pytest.fixture
def run(db_url: str, tmp_path: Path) -> CliRunner:
    return CliRunner(env={"CARTAX_DATABASE_URL": db_url, "CARTAX_DATA_DIR": str(tmp_path / "var")})


def test_ingest_migrates_loads_and_summarises(run: CliRunner, db_url: str, tmp_path: Path) -> None:
    feeds = make_feeds(
        tmp_path / "feeds", payments=[make_payment(), make_payment(payment_id="P2", paid_on="2026-02-30")]
    )
    rejects = tmp_path / "out" / "rejects.csv"
    rejects.parent.mkdir()
    result = run.invoke(app, ["ingest", "--feeds", str(feeds), "--rejects", str(rejects)])
    assert result.exit_code == 0, result.output
    assert "vehicles" in result.output
    assert "거부된 행 1건" in result.output
    assert current_revision(db_url) == head_revision()
    assert rejects.read_text(encoding="utf-8").splitlines()[1].startswith("payments,3,invalid_date,paid_on")
    engine = make_engine(db_url)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(t.payments)).scalar_one() == 1
    engine.dispose()

    again = run.invoke(app, ["ingest", "--feeds", str(feeds), "--rejects", str(rejects)])
    assert again.exit_code == 0, again.output
    assert "변경된 내용이 없습니다" in again.output


def test_rejects_go_beside_the_feeds_by_default(run: CliRunner, tmp_path: Path) -> None:
    feeds = make_feeds(tmp_path / "feeds")
    result = run.invoke(app, ["ingest", "--feeds", str(feeds)])
    assert result.exit_code == 0, result.output
    assert (feeds / "rejects.csv").read_text(encoding="utf-8") == "feed,row,reason_code,reason\n"


def test_a_refused_feed_stops_before_the_database(run: CliRunner, db_url: str, tmp_path: Path) -> None:
    feeds = make_feeds(tmp_path / "feeds", owners=None)
    result = run.invoke(app, ["ingest", "--feeds", str(feeds)])
    assert result.exit_code == 2
    assert "오류: the owners feed is missing" in result.output
    assert current_revision(db_url) is None
