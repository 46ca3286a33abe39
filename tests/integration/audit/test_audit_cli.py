"""``cartax audit verify`` and ``cartax audit anchor`` on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cartax.audit import AccessAction, AccessEntry, record_access
from cartax.audit.adapters.config import chain_keys
from cartax.audit.adapters.sql import SqlAuditStore
from cartax.cli import app
from cartax.settings import Settings

CHAIN_KEY = "audit-chain-key-for-the-cli-test-" + "c" * 16


@pytest.fixture
def env(db_engine: Engine, tmp_path: Path) -> dict[str, str]:
    settings = Settings(audit_chain_key=CHAIN_KEY)
    for n in range(4):
        with Session(db_engine) as session:
            entry = AccessEntry(
                actor="off_cli",
                actor_role="approver",
                at=datetime(2026, 8, 14, 9, tzinfo=UTC) + timedelta(minutes=n),
                source="10.0.0.9",
                action=AccessAction.EXPORT,
                subject=f"export:payout-batch-{n}",
                person_ref="*",
                reason="지급 파일 은행 전송",
            )
            record_access(SqlAuditStore(session), chain_keys(settings), entry)
            session.commit()
    return {
        "CARTAX_DATABASE_URL": db_engine.url.render_as_string(hide_password=False),
        "CARTAX_AUDIT_CHAIN_KEY": CHAIN_KEY,
        "CARTAX_AUDIT_ANCHOR_FILE": str(tmp_path / "anchors.jsonl"),
        "CARTAX_DATA_DIR": str(tmp_path),
    }


def test_verify_says_intact_and_anchor_pins_the_head(env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    verified = runner.invoke(app, ["audit", "verify"], env=env)
    assert verified.exit_code == 0, verified.output
    assert "4건 검증" in verified.output
    anchored = runner.invoke(app, ["audit", "anchor"], env=env)
    assert anchored.exit_code == 0, anchored.output
    assert '"seq": 4' in (tmp_path / "anchors.jsonl").read_text()


def test_verify_names_the_first_broken_record(env: dict[str, str], db_engine: Engine) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["audit", "anchor"], env=env).exit_code == 0
    with db_engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP TRIGGER audit_records_append_only ON audit_records"))
        else:
            connection.execute(text("DROP TRIGGER audit_records_no_update"))
        connection.execute(text("UPDATE audit_records SET reason = '단순 조회' WHERE seq = 3"))
    broken = runner.invoke(app, ["audit", "verify"], env=env)
    assert broken.exit_code == 1
    assert "기록 3 (altered)" in broken.output


def test_verify_with_the_wrong_key_fails(env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["audit", "verify"], env={**env, "CARTAX_AUDIT_CHAIN_KEY": "x" * 40})
    assert result.exit_code == 1
    assert "unknown_key" in result.output
