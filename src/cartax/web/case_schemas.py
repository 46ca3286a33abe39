"""Pydantic models of the refund-case API: what a citizen or an officer is answered, and what they send.

They carry ids, states, dates and amounts only: no names, resident or account numbers, and no officer's
or citizen's free-text note (those stay in the case's history, which staff read through the console).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cartax.cases import CaseState

CASE_KEY_PATTERN = r"^[0-9A-Za-z_-]{1,64}$"
DISTRICT_PATTERN = r"^[0-9]{5}$"
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
REASON_LIMIT = 500
Money = int


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Reason(_Body):
    """Why an officer refuses a refund, or why a citizen objects (kept in the case's history)."""

    reason: str = Field(min_length=1, max_length=REASON_LIMIT, description="Plain words, 1–500 characters.")


class CaseTotals(BaseModel):
    refund: Money
    interest: Money
    offset: Money
    payable: Money = Field(description="refund + interest − offset, in 원.")


class HistoryEntry(BaseModel):
    seq: int = Field(description="1, 2, … without gaps: the case's version.")
    from_state: CaseState | None
    to_state: CaseState
    actor_kind: Literal["citizen", "officer", "system"]
    reason: str = Field(description="A stable code such as `citizen_accepted` or `officer_rejected`.")
    at: dt.datetime


class CaseDetail(BaseModel):
    """One case as its owner or an officer of its district follows it."""

    case_key: str = Field(description="The case's stable id (used as `{case_id}` in paths).")
    owner_id: str
    vehicle_id: str
    tax_year: int
    district: str
    state: CaseState
    since: dt.datetime = Field(description="When the case reached its current state.")
    totals: CaseTotals
    rules_version: str = Field(description="The rule set the amounts were computed with.")
    computation: int = Field(description="The number of the current computation (1 unless recomputed).")
    history: list[HistoryEntry]


class CaseLine(BaseModel):
    """A case in a list: where it stands and what it would pay."""

    case_key: str
    tax_year: int
    district: str
    state: CaseState
    since: dt.datetime
    payable: Money
    computation: int


class CaseList(BaseModel):
    items: list[CaseLine]
    next_after: str | None = Field(
        description="Pass as `after` for the next page; null on the last page.", default=None
    )


class CommandOutcome(BaseModel):
    """What a command did. A repeat with the same Idempotency-Key gets exactly this body again."""

    case_key: str
    state: CaseState
    seq: int = Field(description="The case's version after the command.")
    outcome: str = Field(
        description="e.g. `approved`, `awaiting_officer`, `awaiting_second_officer`, `rejected`, `objected`."
    )


class DetectionRun(BaseModel):
    run_id: int
    mode: str = Field(description="`full` or `incremental`.")
    tax_year: int
    decision_on: dt.date
    rules_version: str
    started_at: dt.datetime
    finished_at: dt.datetime
    cases_with_refunds: int = Field(ge=0)
    payable_total: Money = Field(ge=0)
    rejects: int = Field(ge=0)


class OwnerMasked(BaseModel):
    """The owner of a case as staff screens show them: personal values masked (docs/security.md)."""

    owner_id: str
    kind: str = Field(description="`person` or `company`.")
    name: str | None = Field(description="홍*동: the first and last character.")
    rrn: str | None = Field(description="900101-1******: birth date and the sex digit.")
    phone: str | None = Field(description="010-****-5678.")
    email: str | None = Field(description="ho****@example.kr.")
    refund_bank: str | None
    refund_account: str | None = Field(description="****-**-6789: the last four digits only.")
    refund_account_holder: str | None = Field(description="Masked like a name.")


class RevealRequest(_Body):
    """Ask to see one value in full; the reason is kept in the audit trail (at least 5 characters)."""

    field: Literal["rrn", "refund_account"]
    reason: str = Field(min_length=5, max_length=REASON_LIMIT, description="e.g. the complaint number.")


class Revealed(BaseModel):
    field: Literal["rrn", "refund_account"]
    value: str | None
