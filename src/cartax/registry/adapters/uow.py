"""The registry's unit of work: the shared one, plus the bulk store on its transaction."""

from __future__ import annotations

from cartax.infra import SqlUnitOfWork
from cartax.registry.adapters.store import SqlRegistryStore


class RegistryUnitOfWork(SqlUnitOfWork):
    store: SqlRegistryStore

    def _open(self) -> None:
        self.store = SqlRegistryStore(self.connection)
