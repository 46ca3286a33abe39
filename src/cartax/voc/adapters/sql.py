"""The feedback store on the platform's database."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, func, insert, select

from cartax.voc.adapters.tables import voc_feedback
from cartax.voc.model import Feedback, FeedbackCount


class SqlFeedbackStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, feedback: Feedback) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                insert(voc_feedback).values(
                    journey=feedback.journey,
                    step=feedback.step,
                    channel=feedback.channel,
                    lang=feedback.lang,
                    rating=feedback.rating,
                    difficulty=feedback.difficulty,
                    given_on=feedback.given_on,
                )
            )

    def counts(self, since: date | None = None) -> list[FeedbackCount]:
        table = voc_feedback
        query = select(table.c.journey, table.c.step, table.c.rating, func.count().label("n")).group_by(
            table.c.journey, table.c.step, table.c.rating
        )
        if since is not None:
            query = query.where(table.c.given_on >= since)
        query = query.order_by(table.c.journey, table.c.step, table.c.rating)
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [FeedbackCount(r.journey, r.step, int(r.rating), int(r.n)) for r in rows]
