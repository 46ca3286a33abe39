"""One owner's personal data, decrypted, for the staff screens that show it masked (and, for a stated
and audited reason, in full).

Read-only. Values are decrypted only where they are stored (``registry_owners.<column>_encrypted:<owner
id>`` as associated data), so a token copied elsewhere does not open. The caller decides what to mask and
records the access before showing anything (docs/security.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, select

from cartax.infra.crypto import PiiCipher
from cartax.registry.adapters.tables import owners

PERSONAL = ("rrn", "phone", "email", "address", "refund_account")


@dataclass(frozen=True, slots=True)
class OwnerRecord:
    owner_id: str
    kind: str
    """``person`` or ``company`` (a company has no resident number)."""
    name: str | None
    rrn: str | None
    phone: str | None
    email: str | None
    address: str | None
    refund_bank: str | None
    refund_account: str | None
    refund_account_holder: str | None


class SqlOwnerView:
    def __init__(self, engine: Engine, cipher: PiiCipher) -> None:
        self.engine = engine
        self.cipher = cipher

    def get(self, owner_id: str) -> OwnerRecord | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(owners).where(owners.c.owner_id == owner_id)).first()
        if row is None:
            return None
        opened = {name: self._open(getattr(row, f"{name}_encrypted"), name, owner_id) for name in PERSONAL}
        return OwnerRecord(
            owner_id=row.owner_id,
            kind=row.kind,
            name=row.name,
            refund_bank=row.refund_bank,
            refund_account_holder=row.refund_account_holder,
            **opened,
        )

    def names(self, owner_ids: Sequence[str]) -> dict[str, str]:
        """Names of many owners (a bank file names every payee), a few thousand per query; nothing is
        decrypted. An unknown owner, or one without a name, is left out."""
        found: dict[str, str] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(owner_ids), 5_000):
                chunk = list(owner_ids[start : start + 5_000])
                query = select(owners.c.owner_id, owners.c.name).where(owners.c.owner_id.in_(chunk))
                found.update({row.owner_id: row.name for row in connection.execute(query) if row.name})
        return found

    def by_resident_number(self, rrn: str) -> tuple[str, list[str]]:
        """The blind index of ``rrn`` and the owners stored under it (the number itself is never queried,
        kept or returned; the index is what an access record names as the person looked up)."""
        index = self.cipher.blind_index(rrn)
        query = select(owners.c.owner_id).where(owners.c.rrn_index == index).order_by(owners.c.owner_id)
        with self.engine.connect() as connection:
            return index, [row.owner_id for row in connection.execute(query)]

    def _open(self, token: str | None, column: str, owner_id: str) -> str | None:
        if not token:
            return None
        return self.cipher.decrypt(token, f"{owners.name}.{column}_encrypted:{owner_id}")
