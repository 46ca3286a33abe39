"""Payout: a transfer's instruction, account and batch are checked once per statement that writes
transfers, instead of by three foreign keys, each a look-up and a row lock per transfer.

Claiming a million instructions into a bank file wrote a million transfers and made three million such
look-ups, locking every account once. The rule is the same: a transfer names an existing instruction, an
existing account and, if it has one, an existing batch (on PostgreSQL checked over the statement's rows
when it ends; per row on SQLite); the three never change once written; and an instruction or a batch
with transfers is never deleted (accounts are append-only already).

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_REFERENCES = {
    "instruction_id": "payout_instructions",
    "account_id": "payout_accounts",
    "batch_id": "payout_batches",
}

_PG_CHECK_REFERENCES = """
CREATE FUNCTION payout_transfers_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad text;
BEGIN
  SELECT c.transfer_id INTO bad
    FROM changed c
    LEFT JOIN payout_instructions i ON i.id = c.instruction_id
    LEFT JOIN payout_accounts a ON a.id = c.account_id
    LEFT JOIN payout_batches b ON b.id = c.batch_id
   WHERE i.id IS NULL OR a.id IS NULL OR (c.batch_id IS NOT NULL AND b.id IS NULL)
   LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'payout_transfer_orphan: transfer % names a missing instruction, account or batch', bad
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$
"""

_PG_FIXED = """
CREATE FUNCTION payout_transfers_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.instruction_id IS DISTINCT FROM OLD.instruction_id OR NEW.account_id IS DISTINCT FROM OLD.account_id
     OR NEW.batch_id IS DISTINCT FROM OLD.batch_id THEN
    RAISE EXCEPTION 'payout_transfer_fixed: a transfer''s instruction, account and batch never change'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$
"""

_PG_REFERENCED = """
CREATE FUNCTION payout_refuse_referenced_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (TG_TABLE_NAME = 'payout_instructions'
      AND EXISTS (SELECT 1 FROM payout_transfers t WHERE t.instruction_id = OLD.id))
     OR (TG_TABLE_NAME = 'payout_batches'
         AND EXISTS (SELECT 1 FROM payout_transfers t WHERE t.batch_id = OLD.id))
  THEN
    RAISE EXCEPTION 'payout_referenced: % row % has transfers', TG_TABLE_NAME, OLD.id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN OLD;
END $$
"""

_SQLITE_TRIGGERS = (
    "CREATE TRIGGER payout_transfers_references BEFORE INSERT ON payout_transfers "
    "WHEN NOT EXISTS (SELECT 1 FROM payout_instructions i WHERE i.id = NEW.instruction_id) "
    "OR NOT EXISTS (SELECT 1 FROM payout_accounts a WHERE a.id = NEW.account_id) "
    "OR (NEW.batch_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM payout_batches b WHERE b.id = NEW.batch_id)) "
    "BEGIN SELECT RAISE(ABORT, 'payout_transfer_orphan: a transfer names an instruction, account or batch "
    "that does not exist'); END",
    "CREATE TRIGGER payout_transfers_fixed BEFORE UPDATE OF instruction_id, account_id, batch_id "
    "ON payout_transfers WHEN NEW.instruction_id IS NOT OLD.instruction_id "
    "OR NEW.account_id IS NOT OLD.account_id OR NEW.batch_id IS NOT OLD.batch_id "
    "BEGIN SELECT RAISE(ABORT, 'payout_transfer_fixed: a transfer''s instruction, account and batch never "
    "change'); END",
    "CREATE TRIGGER payout_instructions_referenced BEFORE DELETE ON payout_instructions "
    "WHEN EXISTS (SELECT 1 FROM payout_transfers t WHERE t.instruction_id = OLD.id) "
    "BEGIN SELECT RAISE(ABORT, 'payout_referenced: an instruction with transfers'); END",
    "CREATE TRIGGER payout_batches_referenced BEFORE DELETE ON payout_batches "
    "WHEN EXISTS (SELECT 1 FROM payout_transfers t WHERE t.batch_id = OLD.id) "
    "BEGIN SELECT RAISE(ABORT, 'payout_referenced: a batch with transfers'); END",
)
# The triggers of migration 0017 on the transfers, made again when SQLite's batch mode makes the table anew.
_SQLITE_SUCCESS = (
    "CREATE TRIGGER payout_transfers_success_{verb} BEFORE {VERB} ON payout_transfers "
    "WHEN NEW.state = 'succeeded' AND NOT EXISTS (SELECT 1 FROM payout_paid p "
    "WHERE p.instruction_id = NEW.instruction_id AND p.transfer_id = NEW.transfer_id) "
    "BEGIN SELECT RAISE(ABORT, 'payout_success_unrecorded: a transfer succeeded without its payout_paid "
    "row'); END"
)
# SQLite's reflected foreign keys have no name: batch mode names them by this convention.
_NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def _sqlite_success_triggers() -> list[str]:
    return [_SQLITE_SUCCESS.format(verb=verb, VERB=verb.upper()) for verb in ("insert", "update")]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for column in _REFERENCES:
            op.execute(f"ALTER TABLE payout_transfers DROP CONSTRAINT payout_transfers_{column}_fkey")
        for statement in (
            _PG_CHECK_REFERENCES,
            "CREATE TRIGGER payout_transfers_references AFTER INSERT ON payout_transfers "
            "REFERENCING NEW TABLE AS changed FOR EACH STATEMENT "
            "EXECUTE FUNCTION payout_transfers_check_references()",
            _PG_FIXED,
            "CREATE TRIGGER payout_transfers_fixed BEFORE UPDATE OF instruction_id, account_id, batch_id "
            "ON payout_transfers FOR EACH ROW EXECUTE FUNCTION payout_transfers_fixed()",
            _PG_REFERENCED,
            "CREATE TRIGGER payout_instructions_referenced BEFORE DELETE ON payout_instructions "
            "FOR EACH ROW EXECUTE FUNCTION payout_refuse_referenced_delete()",
            "CREATE TRIGGER payout_batches_referenced BEFORE DELETE ON payout_batches "
            "FOR EACH ROW EXECUTE FUNCTION payout_refuse_referenced_delete()",
        ):
            op.execute(statement)
    elif dialect == "sqlite":
        for name in ("payout_transfers_success_insert", "payout_transfers_success_update"):
            op.execute(f"DROP TRIGGER {name}")
        with op.batch_alter_table("payout_transfers", naming_convention=_NAMING, recreate="always") as batch:
            for column, table in _REFERENCES.items():
                batch.drop_constraint(f"fk_payout_transfers_{column}_{table}", type_="foreignkey")
        for statement in (*_sqlite_success_triggers(), *_SQLITE_TRIGGERS):
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for statement in (
            "DROP TRIGGER payout_batches_referenced ON payout_batches",
            "DROP TRIGGER payout_instructions_referenced ON payout_instructions",
            "DROP FUNCTION payout_refuse_referenced_delete()",
            "DROP TRIGGER payout_transfers_fixed ON payout_transfers",
            "DROP FUNCTION payout_transfers_fixed()",
            "DROP TRIGGER payout_transfers_references ON payout_transfers",
            "DROP FUNCTION payout_transfers_check_references()",
        ):
            op.execute(statement)
        for column, table in _REFERENCES.items():
            op.execute(
                f"ALTER TABLE payout_transfers ADD CONSTRAINT payout_transfers_{column}_fkey "
                f"FOREIGN KEY ({column}) REFERENCES {table} (id)"
            )
    elif dialect == "sqlite":
        for name in ("payout_batches_referenced", "payout_instructions_referenced", "payout_transfers_fixed",
                     "payout_transfers_references", "payout_transfers_success_insert",
                     "payout_transfers_success_update"):  # fmt: skip
            op.execute(f"DROP TRIGGER {name}")
        with op.batch_alter_table("payout_transfers", naming_convention=_NAMING, recreate="always") as batch:
            for column, table in _REFERENCES.items():
                batch.create_foreign_key(f"fk_payout_transfers_{column}_{table}", table, [column], ["id"])
        for statement in _sqlite_success_triggers():
            op.execute(statement)
