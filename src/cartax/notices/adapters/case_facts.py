"""The facts of a case for its documents, from the cases context (state, computation, decision) and the
registry (plate, owner's name), as the composition root hands them over.

The two sources are described here as Protocols of what is read, so this context imports neither; the
owner's name is masked here, before it goes anywhere else (documents, records, the verification page).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Protocol

from cartax.core.masking import mask_name
from cartax.notices.model import KST, NoticeFacts, RefundedPayment

NO_NAME = "납세자"
NO_PLATE = "-"


class LineRecord(Protocol):
    @property
    def payment_id(self) -> str: ...
    @property
    def cause(self) -> str: ...
    @property
    def refund_car_tax(self) -> int: ...
    @property
    def refund_edu_tax(self) -> int: ...
    @property
    def interest(self) -> int: ...
    @property
    def arose_on(self) -> date: ...
    @property
    def interest_from(self) -> date | None: ...
    @property
    def lapsed(self) -> bool: ...


class TotalsRecord(Protocol):
    @property
    def refund(self) -> int: ...
    @property
    def interest(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def payable(self) -> int: ...


class ComputationRecord(Protocol):
    @property
    def version(self) -> int: ...
    @property
    def rules_version(self) -> str: ...
    @property
    def refunds(self) -> Sequence[LineRecord]: ...
    @property
    def totals(self) -> TotalsRecord: ...
    def lapses_after(self) -> date | None: ...


class CaseRecord(Protocol):
    @property
    def case_key(self) -> str: ...
    @property
    def owner_id(self) -> str: ...
    @property
    def vehicle_id(self) -> str: ...
    @property
    def tax_year(self) -> int: ...
    @property
    def district(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def computation(self) -> ComputationRecord: ...
    @property
    def decided_at(self) -> datetime | None: ...


class CaseRecords(Protocol):
    def get(self, case_key: str) -> CaseRecord | None: ...
    def of_district(
        self, district: str, states: Collection[str], after: str | None, limit: int
    ) -> Sequence[CaseRecord]: ...
    def count(self, district: str, states: Collection[str]) -> int: ...


class RegistryLabels(Protocol):
    def plates(self, vehicle_ids: Collection[str]) -> Mapping[str, str]: ...
    def owner_names(self, owner_ids: Collection[str]) -> Mapping[str, str]: ...


class CaseFacts:
    """A :class:`cartax.notices.ports.FactsSource` over the cases and the registry."""

    def __init__(self, cases: CaseRecords, labels: RegistryLabels, district_names: Mapping[str, str]) -> None:
        self.cases = cases
        self.labels = labels
        self.district_names = district_names

    def facts(self, case_key: str) -> NoticeFacts | None:
        record = self.cases.get(case_key)
        return self._facts([record])[0] if record is not None else None

    def of_district(
        self, district: str, states: frozenset[str], after: str | None, limit: int
    ) -> Sequence[NoticeFacts]:
        return self._facts(self.cases.of_district(district, states, after, limit))

    def count(self, district: str, states: frozenset[str]) -> int:
        return self.cases.count(district, states)

    def _facts(self, records: Sequence[CaseRecord]) -> list[NoticeFacts]:
        plates = self.labels.plates([r.vehicle_id for r in records])
        names = self.labels.owner_names([r.owner_id for r in records])
        return [self._one(r, plates.get(r.vehicle_id), names.get(r.owner_id)) for r in records]

    def _one(self, record: CaseRecord, plate: str | None, name: str | None) -> NoticeFacts:
        computation = record.computation
        totals = computation.totals
        decided = record.decided_at.astimezone(KST).date() if record.decided_at else None
        return NoticeFacts(
            case_key=record.case_key,
            district=record.district,
            district_name=self.district_names.get(record.district, record.district),
            tax_year=record.tax_year,
            state=str(record.state),
            plate=plate or NO_PLATE,
            recipient=mask_name(name) if name and name.strip() else NO_NAME,
            rules_version=computation.rules_version,
            computation=computation.version,
            payments=tuple(
                RefundedPayment(
                    line.payment_id, line.cause, line.refund_car_tax, line.refund_edu_tax, line.interest,
                    line.arose_on, line.interest_from, line.lapsed,
                )
                for line in computation.refunds
            ),
            refund=totals.refund,
            interest=totals.interest,
            offset=totals.offset,
            payable=totals.payable,
            decided_on=decided,
            lapses_after=computation.lapses_after(),
        )  # fmt: skip
