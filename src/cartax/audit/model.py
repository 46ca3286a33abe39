"""Access records (접속기록): who did what to whose personal data, when, from where, and why.

The law (개인정보의 안전성 확보조치 기준 §8) asks for the staff member's identifier, the time, the place
accessed from, the person whose data was processed and the task performed, kept at least two years;
downloads need a reason. A record never holds a plaintext resident or account number: ``person_ref``
is the owner id, or the blind-index of a resident number when no owner id is known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from cartax.audit.errors import AccessEntryError

GENESIS = "0" * 64
"""The ``prev_hash`` of the first record."""
MAX_TEXT = 500
MIN_REASON = 5
# A free-standing number of ten or more digits, hyphens and spaces allowed between them, is what resident
# (13 digits) and account numbers (10–14) look like: refused in every text field of a record. Owner ids
# (P11680-0000001), case ids (RC-2026-000123) and blind-index hex are glued to letters: no match.
_NUMBER_RUN = re.compile(r"(?<![0-9A-Za-z-])\d[\d\- ]*\d(?![0-9A-Za-z])")
MIN_NUMBER_DIGITS = 10


def holds_plaintext_number(text: str) -> bool:
    """Whether ``text`` holds something shaped like a resident or account number.

    >>> holds_plaintext_number("900101-1234567"), holds_plaintext_number("계좌 110-123-456789 확인")
    (True, True)
    >>> holds_plaintext_number("case:RC-2026-000123"), holds_plaintext_number("P11680-0000001")
    (False, False)
    """
    return any(sum(c.isdigit() for c in m.group()) >= MIN_NUMBER_DIGITS for m in _NUMBER_RUN.finditer(text))


class AccessAction(StrEnum):
    READ_PERSONAL_DATA = "read_personal_data"
    """A staff screen or API answer showed a person's data (masked)."""
    REVEAL_PERSONAL_DATA = "reveal_personal_data"
    """A resident or account number was shown unmasked, for the stated reason."""
    DECISION = "decision"
    """A case was reviewed, approved, rejected or otherwise decided."""
    EXPORT = "export"
    """Personal data left the platform as a file (download, bank file, report)."""


REASON_REQUIRED = frozenset({AccessAction.REVEAL_PERSONAL_DATA, AccessAction.EXPORT})


@dataclass(frozen=True)
class AccessEntry:
    """What a caller asks to record; the log adds the sequence number and seals it into the chain."""

    actor: str
    """The officer id, token principal or ``system:<job>`` that acted."""
    actor_role: str
    at: datetime
    source: str
    """Where from: the client address, or the host of a batch job."""
    action: AccessAction
    subject: str
    """What was touched, e.g. ``case:RC-2026-000123`` or ``export:payout-batch-42``."""
    person_ref: str
    """Whose data: an owner id or a blind-index value, or ``*`` for an export of many people."""
    reason: str = ""

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise AccessEntryError(
                "an access record's time must carry its time zone (use the platform clock)"
            )
        for name in ("actor", "actor_role", "source", "subject", "person_ref"):
            value = getattr(self, name)
            if not value.strip() or len(value) > MAX_TEXT:
                raise AccessEntryError(f"an access record needs {name} (1 to {MAX_TEXT} characters)")
        if len(self.reason) > MAX_TEXT:
            raise AccessEntryError(f"a reason has at most {MAX_TEXT} characters")
        if self.action in REASON_REQUIRED and len(self.reason.strip()) < MIN_REASON:
            raise AccessEntryError(
                f"{self.action} needs a stated reason of at least {MIN_REASON} characters (e.g. the complaint"
                " or ticket number); nothing was shown or exported"
            )
        for name in ("subject", "person_ref", "reason", "source"):
            if holds_plaintext_number(getattr(self, name)):
                raise AccessEntryError(
                    f"an access record's {name} looks like it holds a resident or account number; refer to "
                    "the person by owner id or blind index instead"
                )


@dataclass(frozen=True)
class AccessRecord:
    """A sealed record: ``hash`` is the HMAC-SHA-256, under key ``key_id``, of the canonical form of every
    other field, ``prev_hash`` included, which ties it to the record before."""

    seq: int
    entry: AccessEntry
    key_id: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Anchor:
    """The chain's head at a moment, copied outside the database (so cutting off the tail shows)."""

    seq: int
    hash: str
    at: datetime
