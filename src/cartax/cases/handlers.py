"""The use cases: one function per command, each working inside an open unit of work.

Handlers load the case, ask the aggregate to change, and leave persistence of the new rows and the
events to :func:`_store`. Idempotency, retries and the transaction belong to
:class:`cartax.cases.service.CaseService`, which calls them through :data:`HANDLERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from cartax.cases import commands as c
from cartax.cases.computation import Computation
from cartax.cases.errors import (
    CaseConflictError,
    CaseForbiddenError,
    CaseNotFoundError,
    InvalidEventError,
    TransitionNotAllowedError,
)
from cartax.cases.events import CaseOpened, CaseStateChanged, RefundApproved, SecondApprovalRequested
from cartax.cases.inbound import REFUND_RECOMPUTED, DetectedRefund
from cartax.cases.model import (
    AWAITING_APPROVAL,
    TRANSITIONS,
    Actor,
    ActorKind,
    Case,
    CaseState,
    PolicyDecision,
    Transition,
    can_transition,
)
from cartax.cases.policy import PolicyVersion, Route, StraightThroughPolicy
from cartax.cases.ports import CasesUnitOfWork
from cartax.cases.risk import RiskAssessment

KST = timezone(timedelta(hours=9), "KST")  # days of the law are Korean calendar days (no DST in Korea)
STRAIGHT_THROUGH = Actor.system("straight-through")


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What a command did, as answered to its caller and to every repeat of its idempotency key."""

    case_key: str
    state: CaseState
    seq: int
    outcome: str
    replayed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"case_key": self.case_key, "state": str(self.state), "seq": self.seq, "outcome": self.outcome}

    @classmethod
    def from_json(cls, data: dict[str, Any], replayed: bool = False) -> CommandResult:
        return cls(data["case_key"], CaseState(data["state"]), data["seq"], data["outcome"], replayed)


@dataclass(frozen=True, slots=True)
class HandlerContext:
    now: datetime
    policy: StraightThroughPolicy
    """The settings' policy: its maker-checker threshold holds everywhere (the database enforces it)."""
    objection_window: timedelta
    policy_of: Callable[[str], PolicyVersion] | None = None
    """The policy version in force in a district (None: the settings' policy, version 0)."""
    risk_of: Callable[[Case, StraightThroughPolicy, datetime], RiskAssessment] | None = None
    """The risk flags of a case under a policy's thresholds (None: no facts known, no flags)."""

    def policy_version(self, district: str) -> PolicyVersion:
        if self.policy_of is not None:
            return self.policy_of(district)
        return PolicyVersion(district, 0, self.policy, "settings", self.now, "settings")

    def risk(self, case: Case, policy: StraightThroughPolicy) -> RiskAssessment:
        if self.risk_of is not None:
            return self.risk_of(case, policy, self.now)
        return RiskAssessment(None, ())

    @property
    def today(self) -> date:
        return self.now.astimezone(KST).date()


def open_case(command: c.OpenCase, actor: Actor, uow: CasesUnitOfWork, ctx: HandlerContext) -> CommandResult:
    detected = command.detected
    existing = uow.cases.get(detected.identity.case_key)
    if existing is not None:  # the same detection delivered again: one case (recomputation is explicit)
        return _result(existing, "duplicate")
    case = Case.open(detected.identity, _computation(detected, 1, ctx.now), actor, ctx.now)
    outcome = _close_without_payment(case, actor, ctx.now) or "opened"
    identity = case.identity
    uow.emit(
        CaseOpened(
            identity.case_key, identity.owner_id, identity.vehicle_id, identity.tax_year, identity.district,
            case.payable, case.computation.rules_version, ctx.now,
        )
    )  # fmt: skip
    return _store(uow, case, outcome, new=True)


def recompute_case(
    command: c.RecomputeCase, actor: Actor, uow: CasesUnitOfWork, ctx: HandlerContext
) -> CommandResult:
    new = command.recomputed.detected
    case = _load(uow, new.identity.case_key)
    current = case.computation
    if case.identity != new.identity:
        raise InvalidEventError(
            REFUND_RECOMPUTED, "case_key", "names a case of another owner, vehicle, year or district"
        )
    if (current.rules_version, current.refunds, current.totals) == (
        new.rules_version,
        new.refunds,
        new.totals,
    ):
        return _result(case, "duplicate")
    if command.recomputed.previous_totals != current.totals:
        raise InvalidEventError(
            REFUND_RECOMPUTED,
            "previous_totals",
            f"does not match the case's current amounts (computation {current.version}, payable "
            f"{current.totals.payable}); an operator must check the order of corrections",
        )
    _check_allowed(case, CaseState.RECOMPUTED)
    case.add_computation(_computation(new, current.version + 1, ctx.now))
    case.transition(CaseState.RECOMPUTED, actor, ctx.now, "registry_correction")
    outcome = _close_without_payment(case, actor, ctx.now) or "recomputed"
    return _store(uow, case, outcome)


def mark_notified(
    command: c.MarkNotified, actor: Actor, uow: CasesUnitOfWork, ctx: HandlerContext
) -> CommandResult:
    case = _load(uow, command.case_key)
    case.transition(CaseState.NOTIFIED, actor, ctx.now, "citizen_notified", note=command.notice_ref)
    return _store(uow, case, "notified")


def accept_refund(
    command: c.AcceptRefund, actor: Actor, uow: CasesUnitOfWork, ctx: HandlerContext
) -> CommandResult:
    case = _load(uow, command.case_key)
    _require_owner_or_officer(case, actor)
    reason = "citizen_accepted" if actor.kind is ActorKind.CITIZEN else "accepted_at_counter"
    case.transition(CaseState.ACCEPTED, actor, ctx.now, reason)
    return _store(uow, case, _route(case, ctx))


def auto_consent(
    command: c.AutoConsent, actor: Actor, uow: CasesUnitOfWork, ctx: HandlerContext
) -> CommandResult:
    case = _load(uow, command.case_key)
    _check_allowed(case, CaseState.AUTO_CONSENTED)
    if not (command.account_verified and command.consent_given):
        raise CaseConflictError("consent_missing")
    notified = case.last_entry(CaseState.NOTIFIED)
    window_ends = (notified.at if notified else ctx.now) + ctx.objection_window
    if ctx.now < window_ends:
        raise CaseConflictError("objection_window_open", until=window_ends.astimezone(KST).date())
    case.transition(CaseState.AUTO_CONSENTED, actor, ctx.now, "standing_consent")
    return _store(uow, case, _route(case, ctx))


def object_to_refund(
    command: c.ObjectToRefund, actor: Actor, uow: CasesUnitOfWork, ctx: HandlerContext
) -> CommandResult:
    case = _load(uow, command.case_key)
    _require_owner_or_officer(case, actor)
    case.transition(CaseState.OBJECTED, actor, ctx.now, "citizen_objected", note=command.reason)
    return _store(uow, case, "objected")


def approve_refund(
    command: c.ApproveRefund, actor: Actor, uow: CasesUnitOfWork, ctx: HandlerContext
) -> CommandResult:
    case = _load(uow, command.case_key)
    _require_officer(actor)
    if case.state not in AWAITING_APPROVAL:
        raise TransitionNotAllowedError(
            case.case_key, case.state, CaseState.APPROVED, sorted(TRANSITIONS[case.state])
        )
    if any(signature.officer_id == actor.id for signature in case.signatures()):
        raise CaseForbiddenError("same_officer", amount=ctx.policy.second_officer_above)
    signature = case.sign(actor.id, ctx.now)
    if signature.step < ctx.policy.officers_needed(case.payable):
        uow.emit(
            SecondApprovalRequested(case.case_key, case.identity.district, case.payable, actor.id, ctx.now)
        )
        return _store(uow, case, "awaiting_second_officer")
    reason = "officer_approved" if signature.step == 1 else "second_officer_approved"
    case.transition(CaseState.APPROVED, actor, ctx.now, reason)
    return _store(uow, case, "approved")


def reject_refund(
    command: c.RejectRefund, actor: Actor, uow: CasesUnitOfWork, ctx: HandlerContext
) -> CommandResult:
    case = _load(uow, command.case_key)
    _require_officer(actor)
    case.transition(CaseState.REJECTED, actor, ctx.now, "officer_rejected", note=command.reason)
    return _store(uow, case, "rejected")


def record_payment(
    command: c.RecordPayment, actor: Actor, uow: CasesUnitOfWork, ctx: HandlerContext
) -> CommandResult:
    case = _load(uow, command.case_key)
    case.transition(CaseState.PAID, actor, ctx.now, "transfer_made", note=command.transfer_id)
    return _store(uow, case, "paid")


def record_reconciliation(
    command: c.RecordReconciliation, actor: Actor, uow: CasesUnitOfWork, ctx: HandlerContext
) -> CommandResult:
    case = _load(uow, command.case_key)
    case.transition(CaseState.RECONCILED, actor, ctx.now, "bank_confirmed", note=command.bank_ref)
    return _store(uow, case, "reconciled")


def lapse_case(
    command: c.LapseCase, actor: Actor, uow: CasesUnitOfWork, ctx: HandlerContext
) -> CommandResult:
    case = _load(uow, command.case_key)
    _check_allowed(case, CaseState.LAPSED)
    last_day = case.lapses_after()
    if last_day is None:
        raise CaseConflictError("nothing_to_lapse")
    if ctx.today <= last_day:
        raise CaseConflictError("not_yet_lapsed", until=last_day)
    case.transition(CaseState.LAPSED, actor, ctx.now, "prescription_completed")
    return _store(uow, case, "lapsed")


Handler = Callable[[Any, Actor, CasesUnitOfWork, HandlerContext], CommandResult]
HANDLERS: dict[type[Any], Handler] = {
    c.OpenCase: open_case,
    c.RecomputeCase: recompute_case,
    c.MarkNotified: mark_notified,
    c.AcceptRefund: accept_refund,
    c.AutoConsent: auto_consent,
    c.ObjectToRefund: object_to_refund,
    c.ApproveRefund: approve_refund,
    c.RejectRefund: reject_refund,
    c.RecordPayment: record_payment,
    c.RecordReconciliation: record_reconciliation,
    c.LapseCase: lapse_case,
}


def _load(uow: CasesUnitOfWork, case_key: str) -> Case:
    case = uow.cases.get(case_key)
    if case is None:
        raise CaseNotFoundError(case_key)
    return case


def _check_allowed(case: Case, target: CaseState) -> None:
    if not can_transition(case.state, target):
        raise TransitionNotAllowedError(case.case_key, case.state, target, sorted(TRANSITIONS[case.state]))


def _require_owner_or_officer(case: Case, actor: Actor) -> None:
    if actor.kind is ActorKind.OFFICER:
        return
    if actor.kind is not ActorKind.CITIZEN or actor.id != case.identity.owner_id:
        raise CaseForbiddenError("not_case_owner")


def _require_officer(actor: Actor) -> None:
    if actor.kind is not ActorKind.OFFICER:
        raise CaseForbiddenError("officer_required")


def _computation(detected: DetectedRefund, version: int, at: datetime) -> Computation:
    return Computation(version, detected.rules_version, detected.refunds, detected.totals, at)


def _close_without_payment(case: Case, actor: Actor, now: datetime) -> str | None:
    """Close at once a case with nothing to pay: every refund lapsed, no refund left, or all offset."""
    computation = case.computation
    if not computation.refunds:
        case.transition(CaseState.REJECTED, actor, now, "no_refund_after_correction")
        return "rejected"
    if computation.nothing_to_pay:
        case.transition(CaseState.LAPSED, actor, now, "all_refunds_lapsed")
        return "lapsed"
    if computation.fully_offset:
        case.transition(CaseState.OFFSET, actor, now, "fully_offset")
        return "offset"
    return None


def _route(case: Case, ctx: HandlerContext) -> str:
    """After a claim: approve straight through, or say which officers the case waits for."""
    version = ctx.policy_version(case.identity.district)
    risk = ctx.risk(case, version.policy)
    decision = version.policy.decide(case, risk)
    case.record_decision(
        PolicyDecision(
            case.version, version.district, version.version, str(decision.route), decision.reasons,
            risk.codes, ctx.now,
        )
    )  # fmt: skip
    if decision.route is Route.STRAIGHT_THROUGH:
        note = f"policy {version.label}"
        case.transition(CaseState.APPROVED, STRAIGHT_THROUGH, ctx.now, "straight_through", note=note)
        return "approved"
    return "awaiting_two_officers" if decision.route is Route.TWO_OFFICERS else "awaiting_officer"


def _result(case: Case, outcome: str) -> CommandResult:
    return CommandResult(case.case_key, case.state, case.version, outcome)


def _store(uow: CasesUnitOfWork, case: Case, outcome: str, new: bool = False) -> CommandResult:
    """Put one event per new transition (and per approval) in the outbox and append the case's new rows."""
    identity = case.identity
    for row in case.new_transitions:
        uow.emit(_state_changed(case, row))
        if row.to_state is CaseState.APPROVED:
            officers = len(case.signatures())
            uow.emit(
                RefundApproved(
                    identity.case_key, identity.owner_id, identity.district, case.payable, row.computation,
                    row.rules_version, officers, row.at,
                )
            )  # fmt: skip
    if new:
        uow.cases.add(case)
    else:
        uow.cases.save(case)
    return _result(case, outcome)


def _state_changed(case: Case, row: Transition) -> CaseStateChanged:
    return CaseStateChanged(
        case.case_key,
        case.identity.owner_id,
        case.identity.district,
        row.seq,
        row.from_state and str(row.from_state),
        str(row.to_state),
        str(row.actor.kind),
        row.reason,
        case.payable,
        row.computation,
        row.rules_version,
        row.at,
    )
