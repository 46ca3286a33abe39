"""The portal's form answers, read and checked: what is wrong is said next to the field it concerns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cartax.voc import DIFFICULTIES, JOURNEYS, RATINGS, STEPS

ACCOUNT_CHOICES = ("registered", "new")
OBJECTION_REASONS = ("no_auto", "amount", "account", "other")
OTHER_REASON_LIMIT = 300


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    key: str
    """Message key in the portal's catalogue."""


def account_choice(fields: Mapping[str, str], registered: bool) -> tuple[str | None, tuple[Problem, ...]]:
    choice = fields.get("account", "")
    allowed = ACCOUNT_CHOICES if registered else ("new",)
    if choice not in allowed:
        return None, (Problem("account-registered" if registered else "account-new", "error.account_choice"),)
    return choice, ()


@dataclass(frozen=True, slots=True)
class NewAccount:
    bank: str
    number: str


def new_account(
    fields: Mapping[str, str], banks: Mapping[str, str]
) -> tuple[NewAccount | None, tuple[Problem, ...]]:
    """The bank and number of a new account, or what is wrong with them. The holder's name is not asked:
    the bank's holder is checked against the entitled person the office knows.

    >>> new_account({"bank": "088", "number": "110-234-567890"}, {"088": "신한은행"})[0]
    NewAccount(bank='088', number='110234567890')
    >>> [p.key for p in new_account({"bank": "", "number": "12ab"}, {"088": "신한은행"})[1]]
    ['error.bank', 'error.account_number']
    """
    problems = []
    bank = fields.get("bank", "").strip()
    if bank not in banks:
        problems.append(Problem("bank", "error.bank"))
    number = "".join(fields.get("number", "").split()).replace("-", "")
    if not (number.isascii() and number.isdigit() and 10 <= len(number) <= 16):
        problems.append(Problem("number", "error.account_number"))
    if problems:
        return None, tuple(problems)
    return NewAccount(bank, number), ()


@dataclass(frozen=True, slots=True)
class Objection:
    reason: str
    other: str


def objection(fields: Mapping[str, str], kiosk: bool) -> tuple[Objection | None, tuple[Problem, ...]]:
    reason = fields.get("reason", "")
    allowed = OBJECTION_REASONS[:-1] if kiosk else OBJECTION_REASONS
    if reason not in allowed:
        return None, (Problem("reason-no_auto", "error.objection_reason"),)
    other = " ".join(fields.get("other", "").split())
    if reason == "other" and (not other or len(other) > OTHER_REASON_LIMIT):
        return None, (Problem("other", "error.objection_other"),)
    return Objection(reason, other if reason == "other" else ""), ()


@dataclass(frozen=True, slots=True)
class FeedbackAnswer:
    journey: str
    step: str
    rating: int
    difficulty: str


def feedback_place(fields: Mapping[str, str]) -> tuple[str, str] | None:
    journey, step = fields.get("journey", ""), fields.get("step", "")
    return (journey, step) if journey in JOURNEYS and step in STEPS else None


def feedback(fields: Mapping[str, str]) -> tuple[FeedbackAnswer | None, tuple[Problem, ...]]:
    place = feedback_place(fields)
    if place is None:
        return None, (Problem("rating-5", "error.feedback_place"),)
    problems = []
    rating = fields.get("rating", "")
    if rating not in {str(value) for value in RATINGS}:
        problems.append(Problem("rating-5", "error.rating"))
    difficulty = fields.get("difficulty", "none") or "none"
    if difficulty not in DIFFICULTIES:
        problems.append(Problem("difficulty-none", "error.difficulty"))
    if problems:
        return None, tuple(problems)
    return FeedbackAnswer(place[0], place[1], int(rating), difficulty), ()
