"""A unit of work: one transaction, rolled back unless committed, with its events in the outbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Self

from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

from cartax.infra.outbox import EncodedEvents, OutboxEvent, add_encoded, add_events


class SqlUnitOfWork:
    """``with uow: ... uow.emit(event) ... uow.commit()``; leaving the block without commit rolls back.

    Events emitted are written to the outbox by :meth:`commit`, in the same transaction as the change,
    so they are stored if and only if the change is. Contexts subclass it to add their repositories
    (override :meth:`_open`).
    """

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._clock = clock
        self._session: Session | None = None
        self._events: list[OutboxEvent | EncodedEvents] = []

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already in use; create one per transaction")
        self._session = self._sessions()
        self._events = []
        self._open()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        session, self._session = self._session, None
        self._events = []
        if session is not None:
            session.rollback()
            session.close()

    def _open(self) -> None:
        """Hook for subclasses: build repositories on :attr:`session` once the transaction is open."""

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("use the unit of work inside a `with` block")
        return self._session

    @property
    def connection(self) -> Connection:
        """The connection of this transaction, for Core statements and bulk loads."""
        return self.session.connection()

    def now(self) -> datetime:
        return self._clock()

    def emit(self, event: OutboxEvent) -> None:
        """Queue an event; it reaches the outbox on :meth:`commit`, or nowhere if the work rolls back."""
        self.session  # noqa: B018 - refuses an event outside the block
        self._events.append(event)

    def emit_encoded(self, events: EncodedEvents) -> None:
        """Queue many events of one type at once, their payloads already JSON (see :meth:`emit`)."""
        self.session  # noqa: B018 - refuses events outside the block
        self._events.append(events)

    def commit(self) -> None:
        now, single = self._clock(), list[OutboxEvent]()
        for event in self._events:  # in the order they were raised
            if isinstance(event, EncodedEvents):
                add_events(self.connection, single, now)
                add_encoded(self.connection, event, now)
                single = []
            else:
                single.append(event)
        add_events(self.connection, single, now)
        self._events = []
        self.session.commit()

    def rollback(self) -> None:
        self._events = []
        self.session.rollback()
