"""Feedback at the end of a citizen's journey: a few fixed choices, never free text, never who gave it.

The answer is kept with the journey and its step (where in the portal it was asked), the channel (web
or kiosk), the language and the day. No case id, no owner id, no time of day finer than the date, so an
answer cannot be tied back to a person; fixed choices instead of free text, so nobody can type their
account or phone number into it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cartax.core.errors import CartaxError

JOURNEYS = ("accept", "objection", "status")
"""accept: asked for the refund; objection: objected to the automatic payment; status: followed it."""
STEPS = ("done", "objection_done", "status", "arrived")
CHANNELS = ("web", "kiosk")
LANGUAGES = ("ko", "en")
RATINGS = (1, 2, 3, 4, 5)
"""1 = very dissatisfied … 5 = very satisfied."""
DIFFICULTIES = ("none", "understanding", "sign_in", "account", "too_long", "other")
"""What was hardest, if anything (one fixed choice)."""


class FeedbackError(CartaxError, ValueError):
    """An answer outside the fixed choices; the message names the field and what is accepted."""

    def __init__(self, field: str, accepted: tuple[object, ...]) -> None:
        self.field = field
        self.accepted = accepted
        choices = ", ".join(str(value) for value in accepted)
        super().__init__(f"feedback field {field!r} must be one of: {choices}")


@dataclass(frozen=True, slots=True)
class Feedback:
    journey: str
    step: str
    channel: str
    lang: str
    rating: int
    difficulty: str
    given_on: date

    def __post_init__(self) -> None:
        for name, accepted in (
            ("journey", JOURNEYS),
            ("step", STEPS),
            ("channel", CHANNELS),
            ("lang", LANGUAGES),
            ("rating", RATINGS),
            ("difficulty", DIFFICULTIES),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or value not in accepted:
                raise FeedbackError(name, accepted)


@dataclass(frozen=True, slots=True)
class FeedbackCount:
    """How many answers of one rating a journey's step received (the later VOC analysis reads these)."""

    journey: str
    step: str
    rating: int
    count: int
