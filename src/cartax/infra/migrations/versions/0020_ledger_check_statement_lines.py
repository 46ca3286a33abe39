"""Ledger: on PostgreSQL, the per-statement check sums the lines the statement wrote, without reading back
the lines each entry had before.

The rule is unchanged: when a statement that writes ledger lines ends, every entry it wrote lines of sums to
zero, and exists. Lines are append-only (no UPDATE, DELETE or TRUNCATE: triggers refuse them), and every
statement that wrote lines since migration 0016 was held to this rule (before it, each transaction at its
commit), so an entry's earlier lines sum to zero; its sum after the statement is therefore the sum of the
lines the statement wrote. The check groups the statement's own lines (its transition table, read once)
instead of looking each entry's lines up in ``ledger_lines`` by index: a booking of 500,000 payments
no longer reads back the million lines it wrote. The whole ledger is still summed per entry by
:func:`cartax.payout.adapters.ledger.balanced` with every reconciliation report.

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_STATEMENT_LINES = """
CREATE OR REPLACE FUNCTION ledger_check_statement() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad bigint;
  total bigint;
  found_entry boolean;
BEGIN
  SELECT a.entry_id, a.total, EXISTS (SELECT 1 FROM ledger_entries e WHERE e.id = a.entry_id)
    INTO bad, total, found_entry
    FROM (SELECT entry_id, sum(amount) AS total FROM added GROUP BY entry_id) a
   WHERE a.total <> 0 OR NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.id = a.entry_id)
   LIMIT 1;
  IF bad IS NOT NULL AND NOT found_entry THEN
    RAISE EXCEPTION 'ledger_orphan_line: lines of entry %, which does not exist', bad
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'ledger_unbalanced: the lines of entry % sum to %, not 0', bad, total
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$
"""

# As migration 0017 left it.
_ENTRY_LINES = """
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


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_STATEMENT_LINES)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_ENTRY_LINES)
