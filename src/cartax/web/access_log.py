"""Access records (접속기록) for what staff do through the web: reads of personal data and decisions.

The audit context seals them into its chain; this module only says who, from where, on what and whose.
A read is recorded *before* the data is sent (no record, no data), and a decision before it is made (no
record, no decision). Reasons recorded for decisions are stable codes: an officer's own words stay in
the case's history, where a typed number cannot leak into the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request

from cartax.audit import AccessAction, AccessEntry
from cartax.identity import OfficerPrincipal

EVERYONE = "*"
"""``person_ref`` of a list that shows the cases of many people."""


@dataclass(frozen=True)
class AccessLog:
    record: Callable[[AccessEntry], None]
    clock: Callable[[], datetime]

    def staff_read(
        self, request: Request, officer: OfficerPrincipal, district: str, subject: str, person: str
    ) -> None:
        self._write(request, officer, district, AccessAction.READ_PERSONAL_DATA, subject, person, "")

    def reveal(
        self,
        request: Request,
        officer: OfficerPrincipal,
        district: str,
        subject: str,
        person: str,
        reason: str,
    ) -> None:
        self._write(request, officer, district, AccessAction.REVEAL_PERSONAL_DATA, subject, person, reason)

    def decision(
        self,
        request: Request,
        officer: OfficerPrincipal,
        district: str,
        subject: str,
        person: str,
        reason: str,
    ) -> None:
        self._write(request, officer, district, AccessAction.DECISION, subject, person, reason)

    def _write(
        self,
        request: Request,
        officer: OfficerPrincipal,
        district: str,
        action: AccessAction,
        subject: str,
        person: str,
        reason: str,
    ) -> None:
        role = officer.primary_role_in(district)
        entry = AccessEntry(
            actor=officer.officer_id,
            actor_role=str(role) if role else "none",
            at=self.clock(),
            source=request.client.host if request.client else "unknown",
            action=action,
            subject=subject,
            person_ref=person,
            reason=reason,
        )
        self.record(entry)
