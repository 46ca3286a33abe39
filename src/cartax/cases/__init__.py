"""The refund case lifecycle: detected → notified → accepted / auto-consented → approved → paid →
reconciled, with its side exits, maker-checker approval and a straight-through policy (docs/cases.md).

Public surface for the web layer and workers::

    service = CaseService(uow_factory, clock, policy=settings.policy())
    result = service.execute(AcceptRefund(case_key), Actor.citizen(owner_id), idempotency_key=key)
    status = case_status(reader, case_key)
"""

from __future__ import annotations

from cartax.cases.commands import (
    AcceptRefund,
    ApproveRefund,
    AutoConsent,
    Command,
    LapseCase,
    MarkNotified,
    ObjectToRefund,
    OpenCase,
    RecomputeCase,
    RecordPayment,
    RecordReconciliation,
    RejectRefund,
)
from cartax.cases.computation import Computation, RefundLine, Totals
from cartax.cases.errors import (
    CaseConflictError,
    CaseForbiddenError,
    CaseNotFoundError,
    CasesError,
    CommandInFlightError,
    ConcurrentUpdateError,
    IdempotencyKeyReusedError,
    InvalidCaseCommandError,
    InvalidEventError,
    TransitionNotAllowedError,
)
from cartax.cases.handlers import CommandResult
from cartax.cases.inbound import (
    REFUND_DETECTED,
    REFUND_RECOMPUTED,
    parse_refund_detected,
    parse_refund_recomputed,
)
from cartax.cases.model import TRANSITIONS, Actor, ActorKind, CaseState, can_transition
from cartax.cases.policy import Decision, Route, StraightThroughPolicy
from cartax.cases.ports import CaseReader
from cartax.cases.service import CaseService
from cartax.cases.settings import CasesSettings
from cartax.cases.views import CaseStatus, HistoryItem, QueueItem


def case_status(reader: CaseReader, case_key: str) -> CaseStatus:
    """The status of one case, or :class:`CaseNotFoundError`."""
    status = reader.status(case_key)
    if status is None:
        raise CaseNotFoundError(case_key)
    return status


def officer_queue(reader: CaseReader, district: str | None = None, limit: int = 100) -> list[QueueItem]:
    """Cases awaiting an officer's decision, oldest first."""
    return reader.queue(district, limit)


__all__ = [
    "REFUND_DETECTED",
    "REFUND_RECOMPUTED",
    "TRANSITIONS",
    "AcceptRefund",
    "Actor",
    "ActorKind",
    "ApproveRefund",
    "AutoConsent",
    "CaseConflictError",
    "CaseForbiddenError",
    "CaseNotFoundError",
    "CaseReader",
    "CaseService",
    "CaseState",
    "CaseStatus",
    "CasesError",
    "CasesSettings",
    "Command",
    "CommandInFlightError",
    "CommandResult",
    "Computation",
    "ConcurrentUpdateError",
    "Decision",
    "HistoryItem",
    "IdempotencyKeyReusedError",
    "InvalidCaseCommandError",
    "InvalidEventError",
    "LapseCase",
    "MarkNotified",
    "ObjectToRefund",
    "OpenCase",
    "QueueItem",
    "RecomputeCase",
    "RecordPayment",
    "RecordReconciliation",
    "RefundLine",
    "RejectRefund",
    "Route",
    "StraightThroughPolicy",
    "Totals",
    "TransitionNotAllowedError",
    "can_transition",
    "case_status",
    "officer_queue",
    "parse_refund_detected",
    "parse_refund_recomputed",
]
