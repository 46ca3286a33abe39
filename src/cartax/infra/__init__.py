"""Shared infrastructure: the database engine, units of work with their outbox, migrations, encryption.

Public surface::

    engine = make_engine(settings.effective_database_url)     # SQLite file or PostgreSQL (psycopg 3)
    upgrade(engine.url)                                        # Alembic migrations to the head
    with SqlUnitOfWork(session_factory(engine), clock) as uow:
        uow.session.execute(...)
        uow.emit(SomethingHappened(...))                       # written to the outbox on commit
        uow.commit()                                           # anything else rolls back
    list_events(engine)                                        # what the outbox holds

Nothing here reads the environment or connects on import; the composition root passes the values in.
"""

from cartax.infra.db import make_engine, session_factory
from cartax.infra.migrate import current_revision, downgrade, head_revision, upgrade
from cartax.infra.outbox import OutboxEvent, StoredEvent, list_events, mark_published
from cartax.infra.uow import SqlUnitOfWork

__all__ = [
    "OutboxEvent",
    "SqlUnitOfWork",
    "StoredEvent",
    "current_revision",
    "downgrade",
    "head_revision",
    "list_events",
    "make_engine",
    "mark_published",
    "session_factory",
    "upgrade",
]
