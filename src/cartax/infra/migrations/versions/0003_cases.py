"""Cases: refund cases, their computations, append-only history, maker-checker signatures, the
maker-checker threshold the database enforces, and idempotency keys.

``cases``, ``case_computations``, ``case_history`` and ``case_approvals`` are append-only: triggers
refuse UPDATE and DELETE. A transition into ``approved`` whose payable is above
``case_policy.second_officer_above`` needs two signatures; the second signature must name the first
officer and differ from them (constraints, a foreign key and triggers, on SQLite and PostgreSQL).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STATES = (
    "detected", "notified", "accepted", "auto_consented", "approved", "paid", "reconciled", "objected",
    "rejected", "offset", "lapsed", "recomputed",
)  # fmt: skip
STATES_SQL = ", ".join(f"'{state}'" for state in STATES)
ACTORS_SQL = "'citizen', 'officer', 'system'"

APPEND_ONLY_TABLES = ("cases", "case_computations", "case_history", "case_approvals")

_SQLITE_MAKER_CHECKER = """
CREATE TRIGGER case_history_maker_checker BEFORE INSERT ON case_history
WHEN NEW.to_state = 'approved'
 AND (SELECT payable FROM case_computations WHERE case_id = NEW.case_id AND version = NEW.computation)
     > COALESCE((SELECT second_officer_above FROM case_policy WHERE id = 1), 0)
 AND (SELECT count(*) FROM case_approvals WHERE case_id = NEW.case_id AND computation = NEW.computation) < 2
BEGIN
  SELECT RAISE(ABORT, 'maker_checker_required: a payment above the threshold needs two different officers');
END
"""

# SQLite enforces the composite foreign key to the maker's signature only with PRAGMA foreign_keys=ON;
# this trigger holds the same rule whatever the connection's settings.
_SQLITE_MAKER_IS_FIRST = """
CREATE TRIGGER case_approvals_maker_is_first BEFORE INSERT ON case_approvals
WHEN NEW.step = 2 AND NOT EXISTS (
  SELECT 1 FROM case_approvals
  WHERE case_id = NEW.case_id AND computation = NEW.computation AND step = 1 AND officer_id = NEW.maker_id)
BEGIN
  SELECT RAISE(ABORT, 'maker_checker_maker_unknown: the second approval must name the first officer');
END
"""

_PG_REFUSE_CHANGE = """
CREATE FUNCTION cases_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'append_only: % rows are never updated or deleted', TG_TABLE_NAME
    USING ERRCODE = 'integrity_constraint_violation';
END $$
"""

_PG_MAKER_CHECKER = """
CREATE FUNCTION cases_check_maker_checker() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  amount bigint;
  threshold bigint;
  signatures integer;
BEGIN
  IF NEW.to_state <> 'approved' THEN
    RETURN NEW;
  END IF;
  SELECT payable INTO amount FROM case_computations
   WHERE case_id = NEW.case_id AND version = NEW.computation;
  threshold := COALESCE((SELECT second_officer_above FROM case_policy WHERE id = 1), 0);
  SELECT count(*) INTO signatures FROM case_approvals
   WHERE case_id = NEW.case_id AND computation = NEW.computation;
  IF amount > threshold AND signatures < 2 THEN
    RAISE EXCEPTION 'maker_checker_required: payable % above % needs two different officers, % signed',
      amount, threshold, signatures USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$
"""


def _rule_statements(dialect: str) -> list[str]:
    if dialect == "sqlite":
        statements = [
            f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} BEGIN "
            f"SELECT RAISE(ABORT, 'append_only: {table} rows are never updated or deleted'); END"
            for table in APPEND_ONLY_TABLES
            for verb in ("UPDATE", "DELETE")
        ]
        return [*statements, _SQLITE_MAKER_CHECKER, _SQLITE_MAKER_IS_FIRST]
    if dialect == "postgresql":
        statements = [
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION cases_refuse_change()"
            for table in APPEND_ONLY_TABLES
        ]
        return [
            _PG_REFUSE_CHANGE,
            *statements,
            _PG_MAKER_CHECKER,
            "CREATE TRIGGER case_history_maker_checker BEFORE INSERT ON case_history "
            "FOR EACH ROW EXECUTE FUNCTION cases_check_maker_checker()",
        ]
    raise ValueError(f"dialect {dialect!r} is not supported; accepted: sqlite, postgresql")


def _drop_rule_statements(dialect: str) -> list[str]:
    # Dropping the tables removes SQLite's triggers and PostgreSQL's; the functions remain.
    if dialect == "postgresql":
        return [
            "DROP FUNCTION IF EXISTS cases_check_maker_checker() CASCADE",
            "DROP FUNCTION IF EXISTS cases_refuse_change() CASCADE",
        ]
    return []


def _stamp(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    _case_tables()
    _approval_tables()
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(80), nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("result", sa.JSON()),
        _stamp("created_at"),
        sa.PrimaryKeyConstraint("scope", "key", name="pk_idempotency_keys"),
    )
    for statement in _rule_statements(op.get_bind().dialect.name):
        op.execute(statement)


def _case_tables() -> None:
    op.create_table(
        "cases",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("case_key", sa.String(64), nullable=False),
        sa.Column("owner_id", sa.String(64), nullable=False),
        sa.Column("vehicle_id", sa.String(64), nullable=False),
        sa.Column("tax_year", sa.Integer(), nullable=False),
        sa.Column("district", sa.String(5), nullable=False),
        _stamp("opened_at"),
        sa.UniqueConstraint("case_key", name="uq_cases_case_key"),
    )
    op.create_index("ix_cases_owner", "cases", ["owner_id"])
    op.create_table(
        "case_computations",
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rules_version", sa.String(32), nullable=False),
        sa.Column("refund", sa.BigInteger(), nullable=False),
        sa.Column("interest", sa.BigInteger(), nullable=False),
        sa.Column("offset_amount", sa.BigInteger(), nullable=False),
        sa.Column("payable", sa.BigInteger(), nullable=False),
        sa.Column("refunds", sa.JSON(), nullable=False),
        _stamp("recorded_at"),
        sa.PrimaryKeyConstraint("case_id", "version", name="pk_case_computations"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_computations_case"),
        sa.CheckConstraint(
            "refund >= 0 AND interest >= 0 AND offset_amount >= 0 "
            "AND payable = refund + interest - offset_amount",
            name="ck_case_computations_amounts",
        ),
    )
    op.create_table(
        "case_history",
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("from_state", sa.String(20)),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("actor_kind", sa.String(10), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=False),
        _stamp("at"),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("rules_version", sa.String(32), nullable=False),
        sa.Column("computation", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "seq", name="pk_case_history"),
        sa.ForeignKeyConstraint(
            ["case_id", "computation"],
            ["case_computations.case_id", "case_computations.version"],
            name="fk_case_history_computation",
        ),
        sa.CheckConstraint(f"to_state IN ({STATES_SQL})", name="ck_case_history_to_state"),
        sa.CheckConstraint(f"actor_kind IN ({ACTORS_SQL})", name="ck_case_history_actor_kind"),
        sa.CheckConstraint("(seq = 1) = (from_state IS NULL)", name="ck_case_history_first_row"),
    )
    op.create_index("ix_case_history_to_state", "case_history", ["to_state"])


def _approval_tables() -> None:
    op.create_table(
        "case_approvals",
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("computation", sa.Integer(), nullable=False),
        sa.Column("step", sa.SmallInteger(), nullable=False),
        sa.Column("officer_id", sa.String(64), nullable=False),
        sa.Column("maker_id", sa.String(64)),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        _stamp("approved_at"),
        sa.PrimaryKeyConstraint("case_id", "computation", "step", name="pk_case_approvals"),
        sa.UniqueConstraint("case_id", "computation", "officer_id", name="uq_case_approvals_officer"),
        sa.ForeignKeyConstraint(
            ["case_id", "computation", "maker_id"],
            ["case_approvals.case_id", "case_approvals.computation", "case_approvals.officer_id"],
            name="fk_case_approvals_maker",
        ),
        sa.ForeignKeyConstraint(
            ["case_id", "computation"],
            ["case_computations.case_id", "case_computations.version"],
            name="fk_case_approvals_computation",
        ),
        sa.CheckConstraint(
            "(step = 1 AND maker_id IS NULL) "
            "OR (step = 2 AND maker_id IS NOT NULL AND maker_id <> officer_id)",
            name="ck_case_approvals_maker_checker",
        ),
    )
    op.create_table(
        "case_policy",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("second_officer_above", sa.BigInteger(), nullable=False),
        _stamp("updated_at"),
        sa.CheckConstraint("id = 1", name="ck_case_policy_single_row"),
        sa.CheckConstraint("second_officer_above >= 0", name="ck_case_policy_threshold"),
    )


def downgrade() -> None:
    for statement in _drop_rule_statements(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table("idempotency_keys")
    op.drop_table("case_policy")
    op.drop_table("case_approvals")
    op.drop_index("ix_case_history_to_state", table_name="case_history")
    op.drop_table("case_history")
    op.drop_table("case_computations")
    op.drop_index("ix_cases_owner", table_name="cases")
    op.drop_table("cases")
