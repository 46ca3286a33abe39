"""``cartax notices print | render | verify`` on a real database, and a record altered behind the
platform's back verifying as altered (the trigger that forbids it dropped first, as an intruder would)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from cartax.cli import app
from notices_factories import page_texts
from web_factories import World, make_world

DISTRICT = "11680"


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> World:
    world = make_world(db_url, tmp_path)
    for n in range(3):
        world.open_case(case_key=f"C-CLI-{n}", owner_id=f"P-CLI-{n}", district=DISTRICT, payable=20_000 + n)
    return world


def env_of(world: World, tmp_path: Path) -> dict[str, str]:
    return {
        "CARTAX_DATABASE_URL": world.services.engine.url.render_as_string(hide_password=False),
        "CARTAX_DATA_DIR": str(tmp_path),
        "CARTAX_ENVIRONMENT": "test",
        "CARTAX_NOTICE_PRINT_WORKERS": "1",
        "CARTAX_PUBLIC_URL": "https://testserver",
    }


def test_print_render_and_verify_from_the_command_line(world: World, tmp_path: Path) -> None:
    runner, env = CliRunner(), env_of(world, tmp_path)
    out = tmp_path / "gangnam.pdf"

    command = ["notices", "print", "--district", DISTRICT, "--kind", "refund_notice", "--out", str(out)]
    printed = runner.invoke(app, [*command, "--quiet"], env=env)
    one = tmp_path / "one.pdf"
    rendered = runner.invoke(
        app, ["notices", "render", "--case", "C-CLI-1", "--kind", "refund_notice", "--out", str(one)], env=env
    )

    assert printed.exit_code == 0, printed.output
    assert "3건 3쪽" in printed.output
    assert len(page_texts(out)) == 3
    assert rendered.exit_code == 0, rendered.output
    code = rendered.output.split("문서확인번호 ")[1].split(" ")[0]
    assert runner.invoke(app, ["notices", "verify", code], env=env).exit_code == 0
    assert runner.invoke(app, ["notices", "verify", "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ"], env=env).exit_code == 1


def test_bad_requests_end_with_a_korean_message_and_nothing_written(world: World, tmp_path: Path) -> None:
    runner, env = CliRunner(), env_of(world, tmp_path)
    out = tmp_path / "x.pdf"
    wrong_kind = runner.invoke(
        app, ["notices", "print", "--district", DISTRICT, "--kind", "tax_bill", "--out", str(out)], env=env
    )
    nothing = runner.invoke(
        app,
        ["notices", "print", "--district", DISTRICT, "--kind", "offset_notice", "--out", str(out)],
        env=env,
    )
    assert wrong_kind.exit_code == 2
    assert "문서 종류 'tax_bill'" in wrong_kind.output
    assert nothing.exit_code == 2
    assert "발급할 충당 통지서 문서가 없습니다" in nothing.output
    assert not out.exists()
    assert not (tmp_path / "x.pdf.part").exists()


def test_a_record_altered_behind_the_platforms_back_verifies_as_altered(world: World) -> None:
    code = world.services.notices.render("refund_notice", "C-CLI-0").record.code
    with world.services.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP TRIGGER issued_documents_append_only ON issued_documents"))
            change = "UPDATE issued_documents SET summary = jsonb_set(summary, '{payable}', '9999999')"
        else:
            connection.execute(text("DROP TRIGGER issued_documents_no_update"))
            change = "UPDATE issued_documents SET summary = json_set(summary, '$.payable', 9999999)"
        connection.execute(text(change))

    page = world.client().get(f"/verify/documents/{code}")

    assert page.status_code == 409
    assert "확인할 수 없습니다" in page.text
