"""``cartax keys rotate``: every encrypted column re-encrypted in batches, while in use."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cartax.cli import app
from cartax.identity.adapters.sql import SqlIdentity
from cartax.infra.crypto import VERSION, DecryptionError, PiiCipher
from cartax.infra.rotation import EncryptedColumn, encrypted_columns, rotate_column
from identity_factories import make_officer

OLD, NEW, INDEX = (
    "old-personal-data-key-" + "o" * 20,
    "new-personal-data-key-" + "n" * 20,
    "index-key-" + "i" * 30,
)
TOTP = EncryptedColumn("officers", "officer_id", "totp_secret")


def cipher(*secrets: str) -> PiiCipher:
    return PiiCipher.from_secrets(secrets[0], INDEX, secrets[1:])


def prefix(of: PiiCipher) -> str:
    return f"{VERSION}.{of.key_id}."


def secrets_by_officer(engine: Engine, reader: PiiCipher) -> dict[str, str]:
    with Session(engine) as session:
        return {o.officer_id: o.totp_secret for o in SqlIdentity(session, reader).officers.all()}


def stored(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(text("SELECT totp_secret FROM officers ORDER BY officer_id")).scalars()
        )


def enrol(engine: Engine, writer: PiiCipher, count: int) -> dict[str, str]:
    with Session(engine) as session:
        for n in range(count):
            make_officer(SqlIdentity(session, writer), username=f"officer.{n}")
        session.commit()
    return secrets_by_officer(engine, writer)


def test_the_officers_totp_secret_is_a_registered_encrypted_column() -> None:
    assert TOTP in encrypted_columns()


def test_rotation_re_encrypts_in_batches_while_old_values_still_decrypt(db_engine: Engine) -> None:
    ring = cipher(NEW, OLD)
    before = enrol(db_engine, cipher(OLD), 7)
    mid_rotation: list[dict[str, str]] = []

    def between_batches(size: int) -> None:
        # The platform keeps serving: mixed old and new ciphertexts all read back, and new writes land.
        mid_rotation.append(secrets_by_officer(db_engine, ring))
        if len(mid_rotation) == 1:
            with Session(db_engine) as session:
                make_officer(SqlIdentity(session, ring), username="joined.midway")
                session.commit()

    report = rotate_column(db_engine, ring, prefix(ring), TOTP, batch_size=3, on_batch=between_batches)
    assert report.rotated == 7
    assert mid_rotation[0] == before
    assert {k: v for k, v in mid_rotation[-1].items() if k in before} == before
    assert all(value.startswith(prefix(ring)) for value in stored(db_engine))
    after = secrets_by_officer(db_engine, cipher(NEW))  # the old key is no longer needed
    assert {k: v for k, v in after.items() if k in before} == before
    assert len(after) == 8
    with pytest.raises(DecryptionError):
        secrets_by_officer(db_engine, cipher(OLD))
    again = rotate_column(db_engine, ring, prefix(ring), TOTP, batch_size=3)
    assert (again.rotated, again.skipped) == (0, 0)


def test_a_row_rewritten_during_the_batch_is_left_as_written(db_engine: Engine) -> None:
    if db_engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises writers: a write cannot land inside a rotation batch there")
    ring = cipher(NEW, OLD)
    enrol(db_engine, cipher(OLD), 4)
    values = stored(db_engine)

    class Racing(PiiCipher):
        """Decrypts as asked, but someone rewrites the third row just before the update lands."""

        def decrypt(self, token: str, context: str) -> str:
            if token == values[2]:
                with Session(db_engine) as session:
                    session.execute(
                        text("UPDATE officers SET totp_secret = :v WHERE totp_secret = :old"),
                        {"v": ring.encrypt("JBSWY3DPEHPK3PXP", context), "old": token},
                    )
                    session.commit()
            return super().decrypt(token, context)

    racing = Racing.from_secrets(NEW, INDEX, [OLD])
    report = rotate_column(db_engine, racing, prefix(ring), TOTP, batch_size=10)
    assert (report.rotated, report.skipped) == (3, 1)
    assert "JBSWY3DPEHPK3PXP" in secrets_by_officer(db_engine, ring).values()


def test_the_command_rotates_and_a_second_run_has_nothing_left(db_engine: Engine) -> None:
    before = enrol(db_engine, cipher(OLD), 3)
    env = {
        "CARTAX_DATABASE_URL": db_engine.url.render_as_string(hide_password=False),
        "CARTAX_PII_KEY": NEW,
        "CARTAX_PII_OLD_KEYS": OLD,
        "CARTAX_BLIND_INDEX_KEY": INDEX,
    }
    first = CliRunner().invoke(app, ["keys", "rotate", "--batch-size", "2"], env=env)
    assert first.exit_code == 0, first.output
    assert "officers.totp_secret: 3건 재암호화" in first.output
    second = CliRunner().invoke(app, ["keys", "rotate"], env=env)
    assert "officers.totp_secret: 0건 재암호화" in second.output
    assert secrets_by_officer(db_engine, cipher(NEW)) == before
    missing_old = CliRunner().invoke(
        app, ["keys", "rotate"], env={**env, "CARTAX_PII_KEY": "third-key-" + "t" * 30}
    )
    assert missing_old.exit_code == 2
