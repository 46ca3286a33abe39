"""Identity (officers, role grants, login attempts, sessions, API tokens) and the audit chain.

``role_grants`` and ``audit_records`` are append-only: triggers refuse UPDATE and DELETE (and TRUNCATE on
PostgreSQL), whoever the database user is.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
APPEND_ONLY = ("role_grants", "audit_records")
PG_FUNCTION = "identity_audit_refuse_change"


def _stamp(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    _identity_tables()
    _audit_table()
    if op.get_bind().dialect.name == "postgresql":
        _postgres_triggers()
    else:
        _sqlite_triggers()


def _identity_tables() -> None:
    op.create_table(
        "officers",
        sa.Column("officer_id", sa.String(40), primary_key=True),
        sa.Column("username", sa.String(32), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("totp_secret", sa.Text(), nullable=False),
        _stamp("created_at"),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=False),
        _stamp("locked_at", nullable=True),
        _stamp("failures_since", nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("username", name="uq_officers_username"),
    )
    op.create_table(
        "role_grants",
        sa.Column("seq", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("grant_id", sa.String(40), nullable=False),
        sa.Column(
            "officer_id",
            sa.String(40),
            sa.ForeignKey("officers.officer_id", name="fk_role_grants_officer"),
            nullable=False,
        ),
        sa.Column("district", sa.String(5), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        _stamp("at"),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.UniqueConstraint("grant_id", name="uq_role_grants_grant_id"),
    )
    op.create_index("ix_role_grants_officer", "role_grants", ["officer_id", "seq"])
    op.create_table(
        "login_attempts",
        sa.Column("attempt_id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("officer_id", sa.String(40), nullable=True),
        _stamp("at"),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
    )
    op.create_index("ix_login_attempts_officer_at", "login_attempts", ["officer_id", "at"])
    op.create_table(
        "sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        _stamp("created_at"),
        _stamp("last_seen_at"),
    )
    op.create_index("ix_sessions_subject", "sessions", ["kind", "subject_id"])
    op.create_table(
        "api_tokens",
        sa.Column("token_id", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("district", sa.String(5), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        _stamp("created_at"),
        _stamp("expires_at"),
        _stamp("revoked_at", nullable=True),
    )


def _audit_table() -> None:
    op.create_table(
        "audit_records",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        _stamp("at"),
        sa.Column("actor", sa.String(500), nullable=False),
        sa.Column("actor_role", sa.String(500), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("person_ref", sa.String(500), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )


def _sqlite_triggers() -> None:
    for table in APPEND_ONLY:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END"
            )


def _postgres_triggers() -> None:
    op.execute(
        f"CREATE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP "
        "USING ERRCODE = 'insufficient_privilege'; END $$"
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()"
        )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in APPEND_ONLY:
        triggers = ("append_only", "no_truncate") if postgres else ("no_update", "no_delete")
        for trigger in triggers:
            op.execute(f"DROP TRIGGER {table}_{trigger}" + (f" ON {table}" if postgres else ""))
    if postgres:
        op.execute(f"DROP FUNCTION {PG_FUNCTION}()")
    op.drop_table("audit_records")
    op.drop_table("api_tokens")
    op.drop_index("ix_sessions_subject", table_name="sessions")
    op.drop_table("sessions")
    op.drop_index("ix_login_attempts_officer_at", table_name="login_attempts")
    op.drop_table("login_attempts")
    op.drop_index("ix_role_grants_officer", table_name="role_grants")
    op.drop_table("role_grants")
    op.drop_table("officers")
