"""Payout: on PostgreSQL, the ledger's balance is checked once per statement that writes lines, over every
entry the statement touched (a trigger with a transition table), instead of once per line at commit.

The rule is unchanged and checked earlier: every entry whose lines a statement writes must sum to zero when
the statement ends (the code writes an entry's lines in one statement). A million payments booked at once
cost one grouped query instead of two million look-ups.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_PER_STATEMENT = """
CREATE FUNCTION ledger_check_statement() RETURNS trigger LANGUAGE plpgsql AS $$
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

_PER_LINE = """
CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  total bigint;
BEGIN
  SELECT COALESCE(sum(amount), 0) INTO total FROM ledger_lines WHERE entry_id = NEW.entry_id;
  IF total <> 0 THEN
    RAISE EXCEPTION 'ledger_unbalanced: the lines of entry % sum to %, not 0', NEW.entry_id, total
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER ledger_lines_balanced ON ledger_lines")
    op.execute("DROP FUNCTION ledger_check_balanced()")
    op.execute(_PER_STATEMENT)
    op.execute(
        "CREATE TRIGGER ledger_lines_balanced AFTER INSERT ON ledger_lines REFERENCING NEW TABLE AS added "
        "FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_statement()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER ledger_lines_balanced ON ledger_lines")
    op.execute("DROP FUNCTION ledger_check_statement()")
    op.execute(_PER_LINE)
    op.execute(
        "CREATE CONSTRAINT TRIGGER ledger_lines_balanced AFTER INSERT ON ledger_lines "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced()"
    )
