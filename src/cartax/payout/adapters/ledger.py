"""Posting to and reading the double-entry ledger (SQL). Posting is idempotent on the entry's key."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import Connection, func, insert, select

from cartax.payout.adapters.tables import ledger_entries, ledger_lines
from cartax.payout.model import Entry
from cartax.payout.views import Balance, LedgerLineView

DIMENSIONS = {
    "case": ledger_entries.c.case_key,
    "owner": ledger_entries.c.owner_id,
    "district": ledger_entries.c.district,
    "day": ledger_entries.c.day,
}


def post(connection: Connection, entry: Entry, at: datetime) -> bool:
    """Append ``entry`` unless its key is already posted; True if it was appended now."""
    if connection.execute(select(ledger_entries.c.id).where(ledger_entries.c.entry_key == entry.key)).first():
        return False
    entry_id = connection.execute(
        insert(ledger_entries).returning(ledger_entries.c.id),
        {
            "entry_key": entry.key,
            "kind": str(entry.kind),
            "case_key": entry.case_key,
            "owner_id": entry.owner_id,
            "district": entry.district,
            "day": entry.day,
            "transfer_id": entry.transfer_id,
            "posted_at": at,
        },
    ).scalar_one()
    # One statement for all the lines: on PostgreSQL the entry must balance when the statement ends.
    connection.execute(
        insert(ledger_lines).values(
            [
                {"entry_id": entry_id, "account": str(line.account), "amount": line.amount}
                for line in entry.lines
            ]
        )
    )
    return True


def lines_of_case(connection: Connection, case_key: str) -> list[LedgerLineView]:
    rows = connection.execute(
        select(ledger_entries.c.entry_key, ledger_entries.c.kind, ledger_entries.c.day,
               ledger_lines.c.account, ledger_lines.c.amount)
        .join(ledger_lines, ledger_lines.c.entry_id == ledger_entries.c.id)
        .where(ledger_entries.c.case_key == case_key)
        .order_by(ledger_entries.c.id, ledger_lines.c.id)
    ).all()  # fmt: skip
    return [LedgerLineView(r.entry_key, r.kind, r.day, r.account, r.amount) for r in rows]


def balances(connection: Connection, by: str, key: str | date | None = None) -> list[Balance]:
    """Sum of lines per account, grouped by case, owner, district or day."""
    if by not in DIMENSIONS:
        raise ValueError(f"balances by {by!r}: accepted are {', '.join(DIMENSIONS)}")
    column = DIMENSIONS[by]
    query = (
        select(column.label("key"), ledger_lines.c.account, func.sum(ledger_lines.c.amount).label("total"))
        .join(ledger_lines, ledger_lines.c.entry_id == ledger_entries.c.id)
        .group_by(column, ledger_lines.c.account)
        .order_by(column, ledger_lines.c.account)
    )
    if key is not None:
        query = query.where(column == key)
    grouped: dict[str, dict[str, int]] = defaultdict(dict)
    for row in connection.execute(query):
        grouped[str(row.key)][row.account] = int(row.total)
    return [Balance(name, accounts) for name, accounts in grouped.items()]


def unbalanced_entries(connection: Connection) -> list[str]:
    """Keys of entries whose lines do not sum to zero (empty unless tampered with)."""
    query = (
        select(ledger_entries.c.entry_key)
        .join(ledger_lines, ledger_lines.c.entry_id == ledger_entries.c.id)
        .group_by(ledger_entries.c.id, ledger_entries.c.entry_key)
        .having(func.sum(ledger_lines.c.amount) != 0)
    )
    return [row.entry_key for row in connection.execute(query)]


def balanced(connection: Connection) -> bool:
    """Whether every entry's lines sum to zero (so the whole ledger does): one grouped pass over the
    lines, stopping at the first entry that does not."""
    query = (
        select(ledger_lines.c.entry_id)
        .group_by(ledger_lines.c.entry_id)
        .having(func.sum(ledger_lines.c.amount) != 0)
        .limit(1)
    )
    return connection.execute(query).first() is None


def ledger_total(connection: Connection) -> int:
    """The sum of every line of the ledger: 0 when every entry balances."""
    return int(connection.execute(select(func.coalesce(func.sum(ledger_lines.c.amount), 0))).scalar_one())
