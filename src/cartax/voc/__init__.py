"""VOC (voice of the customer): the feedback question at the end of each citizen journey, kept for the
analyses that come later. A store only: answers in, counts out (docs/portal.md, "Feedback").

Public surface::

    feedback = Feedback("accept", "done", "web", "ko", rating=5, difficulty="none", given_on=today)
    store.add(feedback)                 # FeedbackError for anything outside the fixed choices
    store.counts(since=date(2026, 7, 1))
"""

from __future__ import annotations

from cartax.voc.model import (
    CHANNELS,
    DIFFICULTIES,
    JOURNEYS,
    RATINGS,
    STEPS,
    Feedback,
    FeedbackCount,
    FeedbackError,
)
from cartax.voc.ports import FeedbackStore

__all__ = [
    "CHANNELS",
    "DIFFICULTIES",
    "JOURNEYS",
    "RATINGS",
    "STEPS",
    "Feedback",
    "FeedbackCount",
    "FeedbackError",
    "FeedbackStore",
]
