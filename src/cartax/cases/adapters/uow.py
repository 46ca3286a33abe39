"""The cases context's unit of work on SQLAlchemy: the shared one, plus the case repository and the
idempotency store on its transaction's connection."""

from __future__ import annotations

from cartax.cases.adapters.sql import SqlCaseRepository, SqlIdempotencyStore
from cartax.infra import SqlUnitOfWork


class SqlCasesUnitOfWork(SqlUnitOfWork):
    cases: SqlCaseRepository
    idempotency: SqlIdempotencyStore

    def _open(self) -> None:
        self.cases = SqlCaseRepository(self.connection)
        self.idempotency = SqlIdempotencyStore(self.connection, self.now)
