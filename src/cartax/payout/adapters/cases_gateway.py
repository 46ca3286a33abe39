"""The cases context as payout uses it (:class:`cartax.payout.ports.CaseGateway`): its public surface
only. Every command carries an idempotency key derived from what caused it, so a redelivered event or
a retried worker records a payment, a reconciliation or a consent once."""

from __future__ import annotations

from dataclasses import dataclass

from cartax.cases import (
    Actor,
    AutoConsent,
    CaseConflictError,
    CaseReader,
    CaseService,
    CaseState,
    RecordPayment,
    RecordReconciliation,
    TransitionNotAllowedError,
)
from cartax.payout.model import Decided

PAYOUT = Actor.system("payout")
DECIDED_STATES = frozenset({CaseState.APPROVED, CaseState.PAID, CaseState.RECONCILED})


@dataclass
class CasesGateway:
    service: CaseService
    reader: CaseReader

    def decided(self, case_key: str, computation: int) -> Decided | None:
        status = self.reader.status(case_key)
        if status is None or status.computation != computation or status.state not in DECIDED_STATES:
            return None
        totals = status.totals
        return Decided(
            case_key, computation, status.owner_id, status.district, totals.refund, totals.interest,
            totals.offset, totals.payable,
        )  # fmt: skip

    def auto_consent(self, case_key: str, verified: bool, consent: bool) -> str:
        try:
            self.service.execute(AutoConsent(case_key, verified, consent), PAYOUT, f"zero-click:{case_key}")
        except TransitionNotAllowedError:
            status = self.reader.status(case_key)
            return "objected" if status is not None and status.state is CaseState.OBJECTED else "skipped"
        except CaseConflictError as error:
            if error.code == "objection_window_open":
                return "not_yet"
            if error.code == "consent_missing":
                return "declined"
            raise
        return "consented"

    def record_payment(self, case_key: str, transfer_id: str) -> None:
        self._record(RecordPayment(case_key, transfer_id), f"paid:{transfer_id}", CaseState.PAID)

    def record_reconciliation(self, case_key: str, bank_ref: str) -> None:
        self._record(RecordReconciliation(case_key, bank_ref), f"reconciled:{case_key}", CaseState.RECONCILED)

    def _record(self, command: RecordPayment | RecordReconciliation, key: str, reached: CaseState) -> None:
        try:
            self.service.execute(command, PAYOUT, key)
        except TransitionNotAllowedError:
            status = self.reader.status(command.case_key)
            if status is not None and (status.state is reached or status.state is CaseState.RECONCILED):
                return  # recorded already (under another key, or by an earlier delivery)
            raise
