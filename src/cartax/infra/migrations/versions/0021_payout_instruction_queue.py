"""Payout: the indexes that find instructions awaiting work name their ``queue``, a column the database
computes from the state, instead of the state itself, so that booking a bank result changes an instruction
in place.

``queue`` is the state while the instruction waits for something (``open`` or ``returned``: a transfer
or an officer; ``sending`` or ``unknown``: its worker) and NULL once it is filed, paid or cancelled. The
claims, the workers' recovery and the officers' lists find their instructions by it (``(queue, id)`` and
``(district, queue)``) exactly as they did by the state. Booking a result moves an instruction from
``filed`` to ``paid`` (its queue stays NULL), so no indexed value changes: on PostgreSQL the new row
version stays on its page (a HOT update) instead of adding an entry to each of five indexes; the pages
keep room for it (``fillfactor`` 50, applied to the rows already there by the table's rewrite for the
stored column). A refusal (``filed`` to ``returned``) enters the queue and is indexed as before.

SQLite cannot add a stored computed column to a table: there the column is virtual (computed when read,
and stored in its indexes), with the same values.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

QUEUE_SQL = (
    "CASE WHEN state = 'open' OR state = 'returned' OR state = 'sending' OR state = 'unknown' "
    "THEN state ELSE NULL END"
)
"""The same expression as :data:`cartax.payout.adapters.tables.QUEUE_SQL` when this migration was written."""


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:  # before the rewrite that adding a stored column makes: the rows already there get room
        op.execute("ALTER TABLE payout_instructions SET (fillfactor = 50)")
    kind = "STORED" if postgres else "VIRTUAL"
    op.execute(
        "ALTER TABLE payout_instructions ADD COLUMN queue VARCHAR(12) "
        f"GENERATED ALWAYS AS ({QUEUE_SQL}) {kind}"
    )
    op.drop_index("ix_payout_instructions_state", table_name="payout_instructions")
    op.drop_index("ix_payout_instructions_district", table_name="payout_instructions")
    op.create_index("ix_payout_instructions_queue", "payout_instructions", ["queue", "id"])
    op.create_index("ix_payout_instructions_district", "payout_instructions", ["district", "queue"])


def downgrade() -> None:
    op.drop_index("ix_payout_instructions_district", table_name="payout_instructions")
    op.drop_index("ix_payout_instructions_queue", table_name="payout_instructions")
    op.create_index("ix_payout_instructions_state", "payout_instructions", ["state", "id"])
    op.create_index("ix_payout_instructions_district", "payout_instructions", ["district", "state"])
    op.execute("ALTER TABLE payout_instructions DROP COLUMN queue")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE payout_instructions RESET (fillfactor)")
