"""Payout: a booked bank result writes fewer rows and index entries, with the same guarantees.

- *One success per instruction* is held by ``payout_paid`` (the instruction's id as primary key, and the
  transfer that paid it), written with the booking, instead of a partial unique index on the transfers'
  state. A trigger refuses a transfer that is ``succeeded`` without its ``payout_paid`` row (once per
  statement on PostgreSQL, over the statement's rows; per row on SQLite), and the primary key refuses a
  second success, even from two transactions at once. No index of ``payout_transfers`` names its state
  any more, so booking a result changes a transfer in place (a HOT update on PostgreSQL, whose pages now
  keep room for it: ``fillfactor`` 45 for pages written from now on) instead of adding an entry to each
  of its four indexes.
- *A ledger line names an existing entry*: checked once per statement on PostgreSQL (with the balance, by
  the same trigger, over the statement's lines) instead of a foreign-key look-up and lock per line, and
  per row by a trigger on SQLite. Entries are append-only, so one that exists stays.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_PG_CHECK_SUCCESS = """
CREATE FUNCTION payout_check_success() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad text;
BEGIN
  SELECT c.transfer_id INTO bad
    FROM changed c
   WHERE c.state = 'succeeded'
     AND NOT EXISTS (SELECT 1 FROM payout_paid p
                      WHERE p.instruction_id = c.instruction_id AND p.transfer_id = c.transfer_id)
   LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'payout_success_unrecorded: transfer % succeeded without its payout_paid row', bad
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END $$
"""

_PG_LEDGER_CHECK = """
CREATE OR REPLACE FUNCTION ledger_check_statement() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad bigint;
  total bigint;
BEGIN
  SELECT a.entry_id INTO bad
    FROM (SELECT DISTINCT entry_id FROM added) a
   WHERE NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.id = a.entry_id)
   LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'ledger_orphan_line: lines of entry %, which does not exist', bad
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  SELECT l.entry_id, sum(l.amount) INTO bad, total
    FROM ledger_lines l
   WHERE l.entry_id IN (SELECT DISTINCT entry_id FROM added)
   GROUP BY l.entry_id
  HAVING sum(l.amount) <> 0
   LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'ledger_unbalanced: the lines of entry % sum to %, not 0', bad, total
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$
"""

_PG_LEDGER_CHECK_BEFORE = """
CREATE OR REPLACE FUNCTION ledger_check_statement() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad bigint;
  total bigint;
BEGIN
  SELECT l.entry_id, sum(l.amount) INTO bad, total
    FROM ledger_lines l
   WHERE l.entry_id IN (SELECT DISTINCT entry_id FROM added)
   GROUP BY l.entry_id
  HAVING sum(l.amount) <> 0
   LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'ledger_unbalanced: the lines of entry % sum to %, not 0', bad, total
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$
"""

_SQLITE_SUCCESS = (
    "CREATE TRIGGER payout_transfers_success_{verb} BEFORE {VERB} ON payout_transfers "
    "WHEN NEW.state = 'succeeded' AND NOT EXISTS (SELECT 1 FROM payout_paid p "
    "WHERE p.instruction_id = NEW.instruction_id AND p.transfer_id = NEW.transfer_id) "
    "BEGIN SELECT RAISE(ABORT, 'payout_success_unrecorded: a transfer succeeded without its payout_paid "
    "row'); END"
)
_SQLITE_LINE_ENTRY = (
    "CREATE TRIGGER ledger_lines_entry_exists BEFORE INSERT ON ledger_lines "
    "WHEN NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.id = NEW.entry_id) "
    "BEGIN SELECT RAISE(ABORT, 'ledger_orphan_line: a ledger line names no entry'); END"
)
_SQLITE_LINES_APPEND_ONLY = [
    f"CREATE TRIGGER ledger_lines_no_{verb.lower()} BEFORE {verb} ON ledger_lines BEGIN "
    "SELECT RAISE(ABORT, 'append_only: ledger_lines rows are never updated or deleted'); END"
    for verb in ("UPDATE", "DELETE")
]
# SQLite's reflected foreign keys have no name: batch mode names them by this convention.
_NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
_NAMING_FK = "fk_ledger_lines_entry_id_ledger_entries"
_SUCCESS_INDEX = "uq_payout_transfers_one_success"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "payout_paid",
        sa.Column("instruction_id", sa.BigInteger(), nullable=False),
        sa.Column("transfer_id", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("instruction_id"),
    )
    op.execute(
        "INSERT INTO payout_paid (instruction_id, transfer_id) "
        "SELECT instruction_id, transfer_id FROM payout_transfers WHERE state = 'succeeded'"
    )
    op.drop_index(
        _SUCCESS_INDEX,
        table_name="payout_transfers",
        sqlite_where=sa.text("state = 'succeeded'"),
        postgresql_where=sa.text("state = 'succeeded'"),
    )
    if dialect == "postgresql":
        for statement in (
            "CREATE TRIGGER payout_paid_append_only BEFORE UPDATE OR DELETE ON payout_paid "
            "FOR EACH ROW EXECUTE FUNCTION payout_refuse_change()",
            "CREATE TRIGGER payout_paid_no_truncate BEFORE TRUNCATE ON payout_paid "
            "FOR EACH STATEMENT EXECUTE FUNCTION payout_refuse_change()",
            _PG_CHECK_SUCCESS,
            "CREATE TRIGGER payout_transfers_success_insert AFTER INSERT ON payout_transfers "
            "REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION payout_check_success()",
            "CREATE TRIGGER payout_transfers_success_update AFTER UPDATE ON payout_transfers "
            "REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION payout_check_success()",
            "ALTER TABLE payout_transfers SET (fillfactor = 45)",
            "ALTER TABLE ledger_lines DROP CONSTRAINT ledger_lines_entry_id_fkey",
            _PG_LEDGER_CHECK,
        ):
            op.execute(statement)
    elif dialect == "sqlite":
        with op.batch_alter_table("ledger_lines", naming_convention=_NAMING, recreate="always") as batch:
            batch.drop_constraint(_NAMING_FK, type_="foreignkey")
        for statement in (
            *(
                f"CREATE TRIGGER payout_paid_no_{verb.lower()} BEFORE {verb} ON payout_paid BEGIN "
                "SELECT RAISE(ABORT, 'append_only: payout_paid rows are never updated or deleted'); END"
                for verb in ("UPDATE", "DELETE")
            ),
            _SQLITE_SUCCESS.format(verb="insert", VERB="INSERT"),
            _SQLITE_SUCCESS.format(verb="update", VERB="UPDATE"),
            *_SQLITE_LINES_APPEND_ONLY,  # the table was made anew: its triggers too
            _SQLITE_LINE_ENTRY,
        ):
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for statement in (
            _PG_LEDGER_CHECK_BEFORE,
            "ALTER TABLE ledger_lines ADD CONSTRAINT ledger_lines_entry_id_fkey FOREIGN KEY (entry_id) "
            "REFERENCES ledger_entries (id)",
            "ALTER TABLE payout_transfers RESET (fillfactor)",
            "DROP TRIGGER payout_transfers_success_update ON payout_transfers",
            "DROP TRIGGER payout_transfers_success_insert ON payout_transfers",
            "DROP FUNCTION payout_check_success()",
        ):
            op.execute(statement)
    elif dialect == "sqlite":
        for name in ("ledger_lines_entry_exists", "payout_transfers_success_insert",
                     "payout_transfers_success_update"):  # fmt: skip
            op.execute(f"DROP TRIGGER {name}")
        with op.batch_alter_table("ledger_lines", naming_convention=_NAMING, recreate="always") as batch:
            batch.create_foreign_key(_NAMING_FK, "ledger_entries", ["entry_id"], ["id"])
        for statement in _SQLITE_LINES_APPEND_ONLY:
            op.execute(statement)
    op.create_index(
        _SUCCESS_INDEX,
        "payout_transfers",
        ["instruction_id"],
        unique=True,
        sqlite_where=sa.text("state = 'succeeded'"),
        postgresql_where=sa.text("state = 'succeeded'"),
    )
    op.drop_table("payout_paid")
