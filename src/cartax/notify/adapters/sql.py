"""The notify context's store on SQLAlchemy Core: one short transaction per call, SQLite and PostgreSQL."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from psycopg import sql
from psycopg.errors import UniqueViolation
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Row,
    String,
    and_,
    any_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError

from cartax.notify.adapters.tables import (
    campaigns,
    daily_usage,
    inbox,
    links,
    messages,
    preferences,
    receipts,
    tracked_cases,
)
from cartax.notify.model import Channel, Preferences, Status, Topic
from cartax.notify.ports import Batch, BulkMessage, Due, NewMessage, TrackedCase
from cartax.notify.views import InboxItem, MessageView, ReceiptView

BATCH = 1000
"""Values in one IN list (SQLite), rows per statement in the bulk paths."""
ARRAY_BATCH = 50_000
"""Values in one array parameter (PostgreSQL)."""
AWAITING_ANSWER = "notified"
"""The case state in which a person has been told and has not yet answered (cases' ``notified``)."""


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _when(moment: datetime | None) -> datetime:
    value = _utc(moment)
    if value is None:
        raise ValueError("a timestamp column was empty")
    return value


class SqlNotifyStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._id_sequence = ""  # the sequence of notify_messages.id (PostgreSQL), looked up on first use

    # -- messages ---------------------------------------------------------------------------------

    def add_message(self, message: NewMessage) -> str:
        row = _message_row(message)
        try:
            with self.engine.begin() as connection:
                inserted = connection.execute(insert(messages).values(**row)).inserted_primary_key
                message_id = inserted[0] if inserted else None
                connection.execute(
                    insert(receipts).values(
                        message_id=message_id,
                        status=str(message.status),
                        at=message.created_at,
                        provider="notify",
                        detail=message.detail[:64],
                    )
                )
        except IntegrityError:
            with self.engine.connect() as connection:
                existing = connection.execute(
                    select(messages.c.ref).where(messages.c.idem_key == message.key)
                ).scalar_one_or_none()
            if existing is None:
                raise
            return str(existing)
        return message.ref

    def queued_keys(self, keys: Sequence[str]) -> set[str]:
        with self.engine.connect() as connection:
            return {str(key) for (key,) in _rows_where_in(connection, [messages.c.idem_key], keys)}

    def add_batch(self, batch: Batch, *, one_by_one: bool = False) -> set[str]:
        if not batch.messages:
            return set()
        if self.engine.dialect.name == "postgresql" and not one_by_one:
            try:
                with self.engine.begin() as connection:
                    if not self._id_sequence:
                        self._id_sequence = str(
                            connection.execute(
                                select(func.pg_get_serial_sequence(messages.name, messages.c.id.name))
                            ).scalar_one()
                        )
                    _copy_batch(connection, batch, self._id_sequence)
            except UniqueViolation:
                return set()  # a key or a draw already stored: the caller sorts them out
            return {message.key for message in batch.messages}
        with self.engine.begin() as connection:
            return _insert_batch(connection, batch)

    def preferences_many(self, person_ids: Sequence[str]) -> dict[str, Preferences]:
        with self.engine.connect() as connection:
            found = _rows_where_in(connection, list(preferences.c), person_ids, preferences.c.person_id)
            return {row.person_id: _preferences(row) for row in found}

    def due(self, now: datetime, limit: int) -> Sequence[Due]:
        query = (
            select(messages)
            .where(
                messages.c.status == str(Status.QUEUED),
                messages.c.next_attempt_at <= now,
                or_(messages.c.lease_until.is_(None), messages.c.lease_until < now),
            )
            .order_by(messages.c.priority, messages.c.next_attempt_at, messages.c.id)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            Due(
                id=row.id,
                ref=row.ref,
                key=row.idem_key,
                person_id=row.person_id,
                case_key=row.case_key,
                district=row.district,
                topic=Topic(row.topic),
                template=row.template,
                lang=row.lang,
                channel=Channel(row.channel),
                priority=row.priority,
                attempts=row.attempts,
                subject=row.subject,
                body=row.body,
                params=dict(row.params or {}),
                campaign_id=row.campaign_id,
            )
            for row in rows
        ]

    def claim_many(self, message_ids: Sequence[int], now: datetime, lease_until: datetime) -> set[int]:
        if not message_ids:
            return set()
        statement = (
            update(messages)
            .where(
                messages.c.id.in_(list(message_ids)),
                messages.c.status == str(Status.QUEUED),
                or_(messages.c.lease_until.is_(None), messages.c.lease_until < now),
            )
            .values(lease_until=lease_until)
            .returning(messages.c.id)
        )
        with self.engine.begin() as connection:
            return {int(row.id) for row in connection.execute(statement)}

    def mark(
        self,
        message_id: int,
        status: Status,
        now: datetime,
        provider: str,
        detail: str,
        *,
        provider_ref: str = "",
        next_attempt_at: datetime | None = None,
        attempted: bool = False,
        delivered: bool = False,
    ) -> None:
        final = Status.DELIVERED if delivered and status is Status.SENT else status
        values: dict[str, Any] = {"status": str(final), "status_at": now, "lease_until": None}
        if attempted:
            values["attempts"] = messages.c.attempts + 1
        if next_attempt_at is not None:
            values["next_attempt_at"] = _when(next_attempt_at)  # UTC: SQLite compares the text
        if status is Status.SENT:
            values.update(sent_at=now, provider=provider, provider_ref=provider_ref or None)
        with self.engine.begin() as connection:
            connection.execute(update(messages).where(messages.c.id == message_id).values(**values))
            rows = [{"status": str(status), "detail": detail[:64]}]
            if final is not status:
                rows.append({"status": str(final), "detail": "delivered"})
            connection.execute(
                insert(receipts),
                [{"message_id": message_id, "at": now, "provider": provider, **row} for row in rows],
            )

    def receipt(self, provider: str, provider_ref: str, status: Status, now: datetime, detail: str) -> bool:
        with self.engine.begin() as connection:
            message_id = connection.execute(
                select(messages.c.id).where(
                    messages.c.provider == provider,
                    messages.c.provider_ref == provider_ref,
                    messages.c.status == str(Status.SENT),
                )
            ).scalar_one_or_none()
            if message_id is None:
                return False
            connection.execute(
                update(messages).where(messages.c.id == message_id).values(status=str(status), status_at=now)
            )
            connection.execute(
                insert(receipts).values(
                    message_id=message_id, status=str(status), at=now, provider=provider, detail=detail
                )
            )
        return True

    def awaiting_receipt(self, providers: list[str], limit: int) -> list[tuple[str, str]]:
        if not providers:
            return []
        query = (
            select(messages.c.provider, messages.c.provider_ref)
            .where(
                messages.c.status == str(Status.SENT),
                messages.c.provider.in_(providers),
                messages.c.provider_ref.is_not(None),
            )
            .order_by(messages.c.sent_at)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            return [(str(row.provider), str(row.provider_ref)) for row in connection.execute(query)]

    def messages(self, *, case_key: str | None = None, person_id: str | None = None) -> list[MessageView]:
        condition = (
            messages.c.case_key == case_key if case_key is not None else messages.c.person_id == person_id
        )
        with self.engine.connect() as connection:
            rows = connection.execute(select(messages).where(condition).order_by(messages.c.id)).all()
            found = self._receipts(connection, [row.id for row in rows])
        return [_view(row, found.get(row.id, ())) for row in rows]

    def by_code(self, code_digest: str) -> MessageView | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(messages).where(messages.c.code_digest == code_digest)).first()
        return None if row is None else _view(row, ())

    def receipts(self, ref: str) -> list[ReceiptView]:
        with self.engine.connect() as connection:
            message_id = connection.execute(select(messages.c.id).where(messages.c.ref == ref)).scalar()
            if message_id is None:
                return []
            return list(self._receipts(connection, [int(message_id)]).get(int(message_id), ()))

    @staticmethod
    def _receipts(connection: Any, ids: list[int]) -> dict[int, list[ReceiptView]]:
        found: dict[int, list[ReceiptView]] = defaultdict(list)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            query = select(receipts).where(receipts.c.message_id.in_(chunk)).order_by(receipts.c.id)
            for row in connection.execute(query):
                found[row.message_id].append(
                    ReceiptView(Status(row.status), _when(row.at), row.provider, row.detail)
                )
        return found

    # -- people, links, quotas --------------------------------------------------------------------

    def preferences(self, person_id: str) -> Preferences:
        with self.engine.connect() as connection:
            row = connection.execute(select(preferences).where(preferences.c.person_id == person_id)).first()
        return Preferences(person_id) if row is None else _preferences(row)

    def save_preferences(self, chosen: Preferences) -> None:
        values = {
            "first_channel": str(chosen.first),
            "opted_out": ",".join(sorted(str(channel) for channel in chosen.opted_out)),
            "updated_at": chosen.updated_at or datetime.now(UTC),
        }
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(preferences).where(preferences.c.person_id == chosen.person_id).values(**values)
            ).rowcount
            if not changed:
                connection.execute(insert(preferences).values(person_id=chosen.person_id, **values))

    def add_link(self, ref: str, case_key: str, expires_at: datetime, now: datetime) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                insert(links).values(ref=ref, case_key=case_key, created_at=now, expires_at=expires_at)
            )

    def link_case(self, ref: str) -> str | None:
        with self.engine.connect() as connection:
            value = connection.execute(select(links.c.case_key).where(links.c.ref == ref)).scalar()
        return None if value is None else str(value)

    def take_daily_many(self, district: str, day: str, wanted: int, cap: int) -> int:
        key = and_(daily_usage.c.district == district, daily_usage.c.day == day)
        with self.engine.begin() as connection:
            fresh = _insert_usage_if_absent(connection.dialect.name)
            connection.execute(fresh.values(district=district, day=day, sent=0))
            # The row is locked by this UPDATE (PostgreSQL) or the database by this write (SQLite) until
            # commit, so two workers never both take the last places.
            before = connection.execute(select(daily_usage.c.sent).where(key).with_for_update()).scalar_one()
            granted = max(0, min(wanted, cap - int(before)))
            if granted:
                connection.execute(update(daily_usage).where(key).values(sent=daily_usage.c.sent + granted))
        return granted

    # -- tracked cases, campaigns -----------------------------------------------------------------

    def track_case(self, case: TrackedCase) -> None:
        values = {
            "person_id": case.person_id, "district": case.district, "payable": case.payable,
            "state": case.state, "lapses_on": case.lapses_on,
        }  # fmt: skip
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(tracked_cases).where(tracked_cases.c.case_key == case.case_key).values(**values)
            ).rowcount
            if not changed:
                connection.execute(
                    insert(tracked_cases).values(
                        case_key=case.case_key,
                        reminders=case.reminders,
                        last_message_at=case.last_message_at,
                        **values,
                    )
                )

    def track_state(self, case_key: str, state: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(tracked_cases).where(tracked_cases.c.case_key == case_key).values(state=state)
            )

    def tracked(self, case_key: str) -> TrackedCase | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(tracked_cases).where(tracked_cases.c.case_key == case_key)
            ).first()
        return None if row is None else _tracked(row)

    def non_responders(
        self, district: str | None, quiet_since: datetime, max_reminders: int, limit: int
    ) -> list[TrackedCase]:
        query = select(tracked_cases).where(
            tracked_cases.c.state == AWAITING_ANSWER,
            tracked_cases.c.reminders < max_reminders,
            or_(tracked_cases.c.last_message_at.is_(None), tracked_cases.c.last_message_at < quiet_since),
        )
        if district is not None:
            query = query.where(tracked_cases.c.district == district)
        # Nearest lapse first; cases without a known lapse date after every dated one.
        query = query.order_by(
            tracked_cases.c.lapses_on.is_(None), tracked_cases.c.lapses_on, tracked_cases.c.case_key
        ).limit(limit)
        with self.engine.connect() as connection:
            return [_tracked(row) for row in connection.execute(query)]

    def count_reminders(self, case_keys: Sequence[str], now: datetime) -> None:
        with self.engine.begin() as connection:
            for start in range(0, len(case_keys), BATCH):
                connection.execute(
                    update(tracked_cases)
                    .where(tracked_cases.c.case_key.in_(case_keys[start : start + BATCH]))
                    .values(reminders=tracked_cases.c.reminders + 1, last_message_at=now)
                )

    def touch_case(self, case_key: str, now: datetime) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(tracked_cases).where(tracked_cases.c.case_key == case_key).values(last_message_at=now)
            )

    def add_campaign(self, district: str | None, topic: Topic, per_minute: int, now: datetime) -> int:
        with self.engine.begin() as connection:
            result = connection.execute(
                insert(campaigns).values(
                    district=district, topic=str(topic), per_minute=per_minute, created_at=now
                )
            )
            inserted = result.inserted_primary_key
            if not inserted:
                raise RuntimeError("the campaign row was not stored")
            return int(inserted[0])

    # -- the demo inbox ---------------------------------------------------------------------------

    def deliver_to_inbox(self, item: InboxItem) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                insert(inbox).values(
                    person_id=item.person_id,
                    message_ref=item.message_ref,
                    channel=str(item.channel),
                    subject=item.subject[:200],
                    body=item.body,
                    delivered_at=item.delivered_at,
                )
            )

    def inbox(self, person_id: str, limit: int) -> list[InboxItem]:
        query = select(inbox).where(inbox.c.person_id == person_id).order_by(inbox.c.id.desc()).limit(limit)
        with self.engine.connect() as connection:
            return [
                InboxItem(
                    row.person_id,
                    row.message_ref,
                    Channel(row.channel),
                    row.subject,
                    row.body,
                    _when(row.delivered_at),
                )
                for row in connection.execute(query)
            ]

    def inbox_people(self, limit: int) -> list[tuple[str, int]]:
        """People with something in the demo inbox, and how many messages each."""
        query = (
            select(inbox.c.person_id, func.count())
            .group_by(inbox.c.person_id)
            .order_by(inbox.c.person_id)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            return [(str(person), int(count)) for person, count in connection.execute(query)]


def _message_row(message: NewMessage) -> dict[str, Any]:
    return {
        "ref": message.ref, "idem_key": message.key, "person_id": message.person_id,
        "case_key": message.case_key, "district": message.district, "topic": str(message.topic),
        "template": message.template, "lang": message.lang, "channel": str(message.channel),
        "status": str(message.status), "priority": message.priority, "subject": message.subject[:200],
        "body": message.body, "params": message.params, "code_digest": message.code_digest,
        "link_ref": message.link_ref or None, "attempts": 0,
        "next_attempt_at": _when(message.next_attempt_at),
        "created_at": message.created_at, "status_at": message.created_at,
        "fallback_of": message.fallback_of, "campaign_id": message.campaign_id,
    }  # fmt: skip


def _rows_where_in(
    connection: Connection, columns: list[Column[Any]], values: Sequence[str], key: Column[Any] | None = None
) -> list[Row[Any]]:
    """The rows whose ``key`` (the first column by default) is one of ``values``: one array parameter a
    statement on PostgreSQL, lists of :data:`BATCH` elsewhere."""
    key = columns[0] if key is None else key
    found: list[Row[Any]] = []
    if connection.dialect.name == "postgresql":
        for start in range(0, len(values), ARRAY_BATCH):
            chunk = list(values[start : start + ARRAY_BATCH])
            wanted = key == any_(bindparam("values", chunk, type_=ARRAY(String)))
            found += connection.execute(select(*columns).where(wanted)).all()
        return found
    for start in range(0, len(values), BATCH):
        found += connection.execute(select(*columns).where(key.in_(values[start : start + BATCH]))).all()
    return found


# The columns a bulk-queued message fills, with the types its values are sent as (binary COPY: strings as
# UTF-8 text whatever the column's text type, the JSON as its text).
_MESSAGE_COPY = (
    ("id", "int8"), ("ref", "text"), ("idem_key", "text"), ("person_id", "text"), ("case_key", "text"),
    ("district", "text"), ("topic", "text"), ("template", "text"), ("lang", "text"), ("channel", "text"),
    ("subject", "text"), ("body", "text"), ("params", "text"), ("code_digest", "text"),
    ("link_ref", "text"), ("next_attempt_at", "timestamptz"), ("status", "text"), ("priority", "int2"),
    ("attempts", "int4"), ("created_at", "timestamptz"), ("status_at", "timestamptz"),
    ("campaign_id", "int8"),
)  # fmt: skip


def _copy_batch(connection: Connection, batch: Batch, id_sequence: str) -> None:
    """Write a batch with three binary ``COPY … FROM STDIN`` (messages, links, first receipts) on the
    caller's transaction; the message ids are taken from their sequence (named as a constant: looked up
    row by row, it would cost the server more than the receipts) first, so the receipts can name them."""
    raw = connection.connection.driver_connection
    created, expires = _when(batch.created_at), _when(batch.link_expires_at)
    queued, priority, campaign = str(Status.QUEUED), batch.priority, batch.campaign_id
    moments: dict[datetime, datetime] = {}
    dumps, non_str_keys = orjson.dumps, orjson.OPT_NON_STR_KEYS
    columns = ", ".join(name for name, _ in _MESSAGE_COPY)
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(
            sql.SQL("SELECT nextval({}::regclass) FROM generate_series(1, %s)").format(
                sql.Literal(id_sequence)
            ),
            (len(batch.messages),),
        )
        ids = [int(row[0]) for row in cursor.fetchall()]
        with cursor.copy(f"COPY notify_messages ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types([kind for _, kind in _MESSAGE_COPY])
            write = copy.write_row
            for message_id, m in zip(ids, batch.messages, strict=True):
                due = moments.get(m.next_attempt_at) or moments.setdefault(
                    m.next_attempt_at, _when(m.next_attempt_at)
                )
                write(
                    (
                        message_id, m.ref, m.key, m.person_id, m.case_key, m.district, m.topic, m.template,
                        m.lang, m.channel, m.subject[:200], m.body,
                        dumps(m.params, option=non_str_keys).decode(), m.code_digest, m.link_ref, due,
                        queued, priority, 0, created, created, campaign,
                    )
                )  # fmt: skip
        with cursor.copy(
            "COPY notify_links (ref, case_key, created_at, expires_at) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["text", "text", "timestamptz", "timestamptz"])
            for m in batch.messages:
                if m.link_ref and m.case_key:
                    copy.write_row((m.link_ref, m.case_key, created, expires))
        with cursor.copy(
            "COPY notify_receipts (message_id, status, at, provider, detail) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["int8", "text", "timestamptz", "text", "text"])
            first = (queued, created, "notify", batch.detail[:64])
            for message_id in ids:
                copy.write_row((message_id, *first))


def _insert_batch(connection: Connection, batch: Batch) -> set[str]:
    """Write a batch with INSERTs that skip a message whose key, reference or code digest is stored
    (SQLite; PostgreSQL when a ``COPY`` met one); a message whose link reference is taken is left out."""
    candidates = list(batch.messages)
    link_refs = [m.link_ref for m in candidates if m.link_ref]
    taken = {str(ref) for (ref,) in _rows_where_in(connection, [links.c.ref], link_refs)}
    candidates = [m for m in candidates if m.link_ref not in taken]
    if not candidates:
        return set()
    connection.execute(
        _insert_ignoring_duplicates(connection.dialect.name), [_bulk_row(m, batch) for m in candidates]
    )
    columns = [messages.c.ref, messages.c.id, messages.c.idem_key]
    stored = {row.ref: row for row in _rows_where_in(connection, columns, [m.ref for m in candidates])}
    fresh = [(stored[m.ref].id, m) for m in candidates if m.ref in stored and stored[m.ref].idem_key == m.key]
    if not fresh:
        return set()
    connection.execute(
        insert(receipts),
        [
            {"message_id": message_id, "status": str(Status.QUEUED), "at": batch.created_at,
             "provider": "notify", "detail": batch.detail[:64]}
            for message_id, _ in fresh
        ],
    )  # fmt: skip
    linked = [m for _, m in fresh if m.case_key and m.link_ref]
    if linked:
        connection.execute(
            insert(links),
            [
                {"ref": m.link_ref, "case_key": m.case_key, "created_at": batch.created_at,
                 "expires_at": batch.link_expires_at}
                for m in linked
            ],
        )  # fmt: skip
    return {m.key for _, m in fresh}


def _bulk_row(message: BulkMessage, batch: Batch) -> dict[str, Any]:
    return {
        "ref": message.ref, "idem_key": message.key, "person_id": message.person_id,
        "case_key": message.case_key, "district": message.district, "topic": str(message.topic),
        "template": message.template, "lang": message.lang, "channel": str(message.channel),
        "status": str(Status.QUEUED), "priority": batch.priority, "subject": message.subject[:200],
        "body": message.body, "params": message.params, "code_digest": message.code_digest,
        "link_ref": message.link_ref, "attempts": 0, "next_attempt_at": _when(message.next_attempt_at),
        "created_at": batch.created_at, "status_at": batch.created_at, "fallback_of": None,
        "campaign_id": batch.campaign_id,
    }  # fmt: skip


def _preferences(row: Any) -> Preferences:
    opted = frozenset(Channel(name) for name in row.opted_out.split(",") if name)
    return Preferences(row.person_id, Channel(row.first_channel), opted, _utc(row.updated_at))


def _insert_usage_if_absent(dialect: str) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(daily_usage).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(daily_usage).on_conflict_do_nothing()


def _insert_ignoring_duplicates(dialect: str) -> Any:
    """An INSERT of messages that skips a row whose key (or reference) is already stored."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(messages).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(messages).on_conflict_do_nothing()


def _view(row: Any, found: Sequence[ReceiptView]) -> MessageView:
    return MessageView(
        ref=row.ref, person_id=row.person_id, case_key=row.case_key, district=row.district,
        topic=Topic(row.topic), template=row.template, lang=row.lang, channel=Channel(row.channel),
        status=Status(row.status), attempts=row.attempts, created_at=_when(row.created_at),
        sent_at=_utc(row.sent_at), fallback_of=row.fallback_of, subject=row.subject, body=row.body,
        receipts=tuple(found),
    )  # fmt: skip


def _tracked(row: Any) -> TrackedCase:
    return TrackedCase(
        row.case_key,
        row.person_id,
        row.district,
        row.payable,
        row.state,
        row.lapses_on,
        row.reminders,
        _utc(row.last_message_at),
    )
