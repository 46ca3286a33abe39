"""Detection: on PostgreSQL, a detected case's runs (``first_run_id``, ``last_run_id``) are checked to exist
once per statement, over the statement's rows (a trigger with a transition table), instead of by two
foreign keys, each a look-up and a lock of the run's row per case written.

The rule is unchanged: a stored case names runs that exist, and a run that cases name is neither deleted
nor renumbered (nor the runs truncated while cases remain). A run stores its new cases in one statement,
so 19,098 cases cost one anti-join instead of 38,196 look-ups. SQLite keeps its foreign keys: its checks
run in the same process and cost little.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_CASES_NAME_RUNS = """
CREATE FUNCTION detected_cases_check_runs() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad bigint;
BEGIN
  SELECT n.run_id INTO bad
    FROM (SELECT first_run_id AS run_id FROM added UNION SELECT last_run_id FROM added) n
   WHERE NOT EXISTS (SELECT 1 FROM detection_runs r WHERE r.id = n.run_id)
   LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'detected_case_orphan: a detected case names run %, which does not exist', bad
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$
"""

_RUNS_KEPT = """
CREATE FUNCTION detection_runs_check_cases() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad bigint;
BEGIN
  SELECT o.id INTO bad
    FROM removed o
   WHERE NOT EXISTS (SELECT 1 FROM detection_runs r WHERE r.id = o.id)
     AND (EXISTS (SELECT 1 FROM detected_cases c WHERE c.first_run_id = o.id)
          OR EXISTS (SELECT 1 FROM detected_cases c WHERE c.last_run_id = o.id))
   LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'detection_run_in_use: detected cases name run %', bad
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$
"""

_RUNS_NOT_EMPTIED = """
CREATE FUNCTION detection_runs_check_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM detected_cases) THEN
    RAISE EXCEPTION 'detection_run_in_use: detected cases name the runs'
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$
"""

_TRIGGERS = {
    "detected_cases_runs_insert": (
        "detected_cases",
        "AFTER INSERT ON detected_cases REFERENCING NEW TABLE AS added "
        "FOR EACH STATEMENT EXECUTE FUNCTION detected_cases_check_runs()",
    ),
    "detected_cases_runs_update": (
        "detected_cases",
        "AFTER UPDATE ON detected_cases REFERENCING NEW TABLE AS added "
        "FOR EACH STATEMENT EXECUTE FUNCTION detected_cases_check_runs()",
    ),
    "detection_runs_cases_delete": (
        "detection_runs",
        "AFTER DELETE ON detection_runs REFERENCING OLD TABLE AS removed "
        "FOR EACH STATEMENT EXECUTE FUNCTION detection_runs_check_cases()",
    ),
    "detection_runs_cases_update": (
        "detection_runs",
        "AFTER UPDATE ON detection_runs REFERENCING OLD TABLE AS removed "
        "FOR EACH STATEMENT EXECUTE FUNCTION detection_runs_check_cases()",
    ),
    "detection_runs_cases_truncate": (
        "detection_runs",
        "BEFORE TRUNCATE ON detection_runs "
        "FOR EACH STATEMENT EXECUTE FUNCTION detection_runs_check_truncate()",
    ),
}
_FOREIGN_KEYS = ("first_run_id", "last_run_id")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in _FOREIGN_KEYS:
        op.execute(f"ALTER TABLE detected_cases DROP CONSTRAINT detected_cases_{column}_fkey")
    op.execute(_CASES_NAME_RUNS)
    op.execute(_RUNS_KEPT)
    op.execute(_RUNS_NOT_EMPTIED)
    for name, (_table, definition) in _TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {definition}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, (table, _definition) in _TRIGGERS.items():
        op.execute(f"DROP TRIGGER {name} ON {table}")
    op.execute("DROP FUNCTION detection_runs_check_truncate()")
    op.execute("DROP FUNCTION detection_runs_check_cases()")
    op.execute("DROP FUNCTION detected_cases_check_runs()")
    for column in _FOREIGN_KEYS:
        op.execute(
            f"ALTER TABLE detected_cases ADD CONSTRAINT detected_cases_{column}_fkey "
            f"FOREIGN KEY ({column}) REFERENCES detection_runs (id)"
        )
