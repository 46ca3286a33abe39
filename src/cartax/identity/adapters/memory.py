"""In-memory implementations of every identity port, for unit tests and the demo's first start.

They keep the same promises as the database adapters: grants only grow, a stored officer is a copy
(changing the object you hold changes nothing until ``save``).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from cartax.identity.model import Officer, RoleGrant
from cartax.identity.ports import (
    ApiToken,
    LoginAttempt,
    LoginOutcome,
    SessionKind,
    SessionRecord,
)


class MemoryOfficers:
    def __init__(self) -> None:
        self._rows: dict[str, Officer] = {}

    def add(self, officer: Officer) -> None:
        if officer.officer_id in self._rows or self.by_username(officer.username) is not None:
            raise ValueError(f"officer {officer.officer_id} or user name {officer.username} exists already")
        self._rows[officer.officer_id] = copy.copy(officer)

    def get(self, officer_id: str) -> Officer | None:
        row = self._rows.get(officer_id)
        return copy.copy(row) if row else None

    def by_username(self, username: str) -> Officer | None:
        found = next((o for o in self._rows.values() if o.username == username), None)
        return copy.copy(found) if found else None

    def save(self, officer: Officer) -> None:
        if officer.officer_id not in self._rows:
            raise KeyError(officer.officer_id)
        self._rows[officer.officer_id] = copy.copy(officer)


class MemoryGrants:
    def __init__(self) -> None:
        self.rows: list[RoleGrant] = []

    def append(self, grant: RoleGrant) -> None:
        self.rows.append(grant)

    def for_officer(self, officer_id: str) -> Sequence[RoleGrant]:
        return tuple(g for g in self.rows if g.officer_id == officer_id)


class MemoryAttempts:
    def __init__(self) -> None:
        self.rows: list[LoginAttempt] = []

    def append(self, attempt: LoginAttempt) -> None:
        self.rows.append(attempt)

    def failures_since(self, officer_id: str, since: datetime) -> int:
        return sum(
            1
            for a in self.rows
            if a.officer_id == officer_id and a.at >= since and a.outcome is not LoginOutcome.SUCCESS
        )


class MemorySessions:
    def __init__(self) -> None:
        self.rows: dict[str, SessionRecord] = {}

    def add(self, session: SessionRecord) -> None:
        self.rows[session.id_hash] = session

    def get(self, id_hash: str) -> SessionRecord | None:
        return self.rows.get(id_hash)

    def touch(self, id_hash: str, at: datetime) -> None:
        if id_hash in self.rows:
            self.rows[id_hash] = replace(self.rows[id_hash], last_seen_at=at)

    def remove(self, id_hash: str) -> None:
        self.rows.pop(id_hash, None)

    def remove_for(self, kind: SessionKind, subject_id: str) -> int:
        doomed = [k for k, s in self.rows.items() if s.kind is kind and s.subject_id == subject_id]
        for key in doomed:
            del self.rows[key]
        return len(doomed)


class MemoryTokens:
    def __init__(self) -> None:
        self.rows: dict[str, ApiToken] = {}

    def add(self, token: ApiToken) -> None:
        self.rows[token.token_id] = token

    def get(self, token_id: str) -> ApiToken | None:
        return self.rows.get(token_id)

    def revoke(self, token_id: str, at: datetime) -> None:
        self.rows[token_id] = replace(self.rows[token_id], revoked_at=at)


@dataclass
class MemoryIdentity:
    """All identity repositories in memory (satisfies ``IdentityRepositories``)."""

    officers: MemoryOfficers = field(default_factory=MemoryOfficers)
    grants: MemoryGrants = field(default_factory=MemoryGrants)
    attempts: MemoryAttempts = field(default_factory=MemoryAttempts)
    sessions: MemorySessions = field(default_factory=MemorySessions)
    tokens: MemoryTokens = field(default_factory=MemoryTokens)
