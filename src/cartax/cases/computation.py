"""The amounts of a case as detection computed them under one rule-set version.

A case keeps every computation it ever had (a recomputation appends one); the current one is the last.
Amounts are integer 원 and are checked for consistency when they enter: the totals must be exactly
what the refund lines add up to, so no 원 is lost or invented between detection and payment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from cartax.core.dates import add_years_clamped

PRESCRIPTION_YEARS = 5  # 지방세기본법 제64조
CAUSES = frozenset({"R1", "R2", "R3", "R4", "R5", "R6"})


@dataclass(frozen=True, slots=True)
class RefundLine:
    """One refunded payment, exactly as in the calculation contract's ``refunds[]``."""

    payment_id: str
    cause: str
    liability_car_tax: int
    liability_edu_tax: int
    refund_car_tax: int
    refund_edu_tax: int
    arose_on: date
    interest_from: date | None
    interest: int
    lapsed: bool

    @property
    def refund(self) -> int:
        return self.refund_car_tax + self.refund_edu_tax

    def lapses_after(self) -> date:
        """The last day the refund can be paid: it lapses at the end of this day (rules.md §6.6).

        >>> line = RefundLine("p1", "R1", 0, 0, 10, 0, date(2024, 2, 29), None, 0, False)
        >>> line.lapses_after()
        datetime.date(2029, 2, 28)
        """
        return add_years_clamped(self.arose_on, PRESCRIPTION_YEARS)


@dataclass(frozen=True, slots=True)
class Totals:
    """``totals`` of the contract: refund and interest of unlapsed lines, the offset, what is payable."""

    refund: int
    interest: int
    offset: int
    payable: int


@dataclass(frozen=True, slots=True)
class Computation:
    """Version ``version`` of a case's amounts (1 = as detected, 2… = recomputations)."""

    version: int
    rules_version: str
    refunds: tuple[RefundLine, ...]
    totals: Totals
    recorded_at: datetime

    def lapses_after(self) -> date | None:
        """The last day any unlapsed refund of this computation can still be paid."""
        days = [line.lapses_after() for line in self.refunds if not line.lapsed]
        return max(days) if days else None

    @property
    def fully_offset(self) -> bool:
        """Arrears took everything: there is an offset and nothing left to pay."""
        return self.totals.offset > 0 and self.totals.payable == 0

    @property
    def nothing_to_pay(self) -> bool:
        """No unlapsed refund at all (every line lapsed, or a correction removed them)."""
        return self.totals.refund == 0 and self.totals.interest == 0


def consistency_problems(refunds: tuple[RefundLine, ...], totals: Totals) -> list[str]:
    """What is wrong with the amounts (empty when they add up).

    >>> line = RefundLine("p1", "R1", 0, 0, 900, 100, date(2026, 7, 1), None, 30, False)
    >>> consistency_problems((line,), Totals(1000, 30, 0, 1030))
    []
    >>> consistency_problems((line,), Totals(1000, 30, 0, 1000))
    ['totals.payable 1000 is not refund + interest - offset = 1030']
    """
    live = [line for line in refunds if not line.lapsed]
    problems = []
    if totals.refund != sum(line.refund for line in live):
        problems.append(f"totals.refund {totals.refund} is not the sum of the unlapsed refunds")
    if totals.interest != sum(line.interest for line in live):
        problems.append(f"totals.interest {totals.interest} is not the sum of the unlapsed interest")
    if totals.offset > totals.refund + totals.interest:
        problems.append(f"totals.offset {totals.offset} exceeds refund + interest")
    expected = totals.refund + totals.interest - totals.offset
    if totals.payable != expected:
        problems.append(f"totals.payable {totals.payable} is not refund + interest - offset = {expected}")
    for line in refunds:
        if line.cause not in CAUSES:
            problems.append(f"refund {line.payment_id}: cause {line.cause!r} is not one of R1–R6")
    return problems
