"""The feedback store on SQLite and PostgreSQL: answers kept, counted per journey step and rating."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, inspect

from cartax.voc import Feedback, FeedbackCount
from cartax.voc.adapters.sql import SqlFeedbackStore


def test_answers_are_counted_per_journey_step_and_rating_since_a_day(db_engine: Engine) -> None:
    store = SqlFeedbackStore(db_engine)
    store.add(Feedback("accept", "done", "web", "ko", 5, "none", date(2026, 11, 24)))
    store.add(Feedback("accept", "done", "kiosk", "ko", 5, "none", date(2026, 11, 25)))
    store.add(Feedback("accept", "done", "web", "en", 2, "account", date(2026, 11, 25)))
    store.add(Feedback("objection", "objection_done", "web", "ko", 3, "understanding", date(2026, 11, 25)))

    assert store.counts() == [
        FeedbackCount("accept", "done", 2, 1),
        FeedbackCount("accept", "done", 5, 2),
        FeedbackCount("objection", "objection_done", 3, 1),
    ]
    assert store.counts(since=date(2026, 11, 25)) == [
        FeedbackCount("accept", "done", 2, 1),
        FeedbackCount("accept", "done", 5, 1),
        FeedbackCount("objection", "objection_done", 3, 1),
    ]


def test_the_feedback_table_holds_no_column_that_could_name_a_person(db_engine: Engine) -> None:
    columns = {column["name"] for column in inspect(db_engine).get_columns("voc_feedback")}
    assert columns == {"id", "journey", "step", "channel", "lang", "rating", "difficulty", "given_on"}
