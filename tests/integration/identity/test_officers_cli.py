"""``cartax officers``: accounts and grants from the shell, passwords never on the command line."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from cartax.cli import app

PASSWORD = "a long enough pass phrase"  # noqa: S105 - a test password


@pytest.fixture
def env(db_engine: Engine) -> dict[str, str]:
    return {"CARTAX_DATABASE_URL": db_engine.url.render_as_string(hide_password=False)}


def officers(env: dict[str, str], *args: str, password: str | None = None, prompt: str | None = None) -> str:
    extra = {"CARTAX_OFFICER_PASSWORD": password} if password else {}
    result = CliRunner().invoke(app, ["officers", *args], env={**env, **extra}, input=prompt)
    assert result.exit_code == 0, result.output
    return result.output


def test_add_grant_revoke_and_the_history_kept(env: dict[str, str], db_engine: Engine) -> None:
    added = officers(env, "add", "park.admin", "--name", "박관리", password=PASSWORD)
    assert "otpauth://totp/cartax:park.admin" in added
    officers(env, "add", "kim.officer", "--name", "김담당", prompt=f"{PASSWORD}\n{PASSWORD}\n")
    common = ["--district", "11110", "--by", "park.admin"]
    officers(env, "grant", "kim.officer", "--role", "reviewer", "--reason", "인사발령 제2026-7호", *common)
    officers(env, "grant", "kim.officer", "--role", "approver", "--reason", "승진 발령 제2026-9호", *common)
    officers(env, "revoke", "kim.officer", "--role", "reviewer", "--reason", "승진 발령 제2026-9호", *common)
    listing = officers(env, "list")
    assert "kim.officer\t김담당\t사용\tapprover@11110" in listing
    history = officers(env, "history", "kim.officer").splitlines()
    assert [line.split("\t")[1:3] for line in history] == [
        ["grant", "reviewer@11110"],
        ["grant", "approver@11110"],
        ["revoke", "reviewer@11110"],
    ]
    with db_engine.connect() as connection:
        hashes = list(connection.execute(text("SELECT password_hash FROM officers")).scalars())
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


def test_mistakes_are_refused_with_a_reason(env: dict[str, str]) -> None:
    officers(env, "add", "park.admin", "--name", "박관리", password=PASSWORD)
    runner = CliRunner()
    weak = runner.invoke(
        app,
        ["officers", "add", "lee.new", "--name", "이신규"],
        env={**env, "CARTAX_OFFICER_PASSWORD": "short"},
    )
    assert weak.exit_code == 2
    assert "12자 이상" in weak.output
    unknown = runner.invoke(
        app,
        [
            "officers",
            "grant",
            "nobody",
            "--role",
            "viewer",
            "--district",
            "11110",
            "--reason",
            "인사발령",
            "--by",
            "park.admin",
        ],
        env=env,
    )
    assert unknown.exit_code == 2
    assert "no officer with the user name 'nobody'" in unknown.output
    no_password_option = runner.invoke(
        app, ["officers", "add", "lee.new", "--name", "이", "--password", "x"], env=env
    )
    assert no_password_option.exit_code != 0


def test_unlock_lifts_a_lock(env: dict[str, str], db_engine: Engine) -> None:
    officers(env, "add", "kim.officer", "--name", "김담당", password=PASSWORD)
    with db_engine.begin() as connection:
        connection.execute(text("UPDATE officers SET locked_at = CURRENT_TIMESTAMP"))
    assert "잠김" in officers(env, "list")
    officers(env, "unlock", "kim.officer")
    assert "\t사용\t" in officers(env, "list")
