"""What the voc context needs from storage."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from cartax.voc.model import Feedback, FeedbackCount


class FeedbackStore(Protocol):
    def add(self, feedback: Feedback) -> None:
        """Keep one answer (append only)."""

    def counts(self, since: date | None = None) -> list[FeedbackCount]:
        """Answers per journey, step and rating, given on or after ``since`` (all when None)."""
