"""Feedback answers: only the fixed choices are kept, and a wrong one says what is accepted."""

from __future__ import annotations

from datetime import date

import pytest

from cartax.voc import DIFFICULTIES, Feedback, FeedbackError

DAY = date(2026, 11, 25)


def test_an_answer_within_the_choices_is_kept_as_given() -> None:
    feedback = Feedback("accept", "done", "kiosk", "en", 4, "account", DAY)
    assert (feedback.journey, feedback.rating, feedback.difficulty) == ("accept", 4, "account")


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("journey", {"journey": "payment"}),
        ("step", {"step": "check"}),
        ("channel", {"channel": "phone"}),
        ("lang", {"lang": "fr"}),
        ("rating", {"rating": 6}),
        ("rating", {"rating": True}),
        ("difficulty", {"difficulty": "my phone is 010-1234-5678"}),
    ],
)
def test_an_answer_outside_the_choices_is_refused_naming_the_field(
    field: str, changes: dict[str, object]
) -> None:
    values: dict[str, object] = {
        "journey": "accept",
        "step": "done",
        "channel": "web",
        "lang": "ko",
        "rating": 5,
        "difficulty": "none",
        "given_on": DAY,
    }
    with pytest.raises(FeedbackError) as raised:
        Feedback(**{**values, **changes})  # type: ignore[arg-type]
    assert raised.value.field == field
    assert "must be one of" in str(raised.value)
    assert "010-1234-5678" not in str(raised.value)


def test_the_difficulties_offer_a_way_to_say_nothing_was_hard() -> None:
    assert DIFFICULTIES[0] == "none"
