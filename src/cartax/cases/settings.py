"""The cases context's settings, read from ``CARTAX_CASES_*`` environment variables at start.

Kept beside the context (and not in the platform's :class:`cartax.settings.Settings`) so an operator
tunes the straight-through policy of one context without touching the others; the composition root
builds it once, like the platform's settings.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cartax.cases.computation import CAUSES
from cartax.cases.policy import StraightThroughPolicy


class CasesSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CARTAX_CASES_", extra="ignore")

    straight_through: bool = True
    """Approve ordinary accepted cases automatically (``false``: every case goes to an officer)."""
    straight_through_max: int = Field(default=500_000, ge=0)
    """Largest payable (원) approved straight through (inclusive)."""
    second_officer_above: int = Field(default=2_000_000, ge=0)
    """Above this payable (원) approval needs a second, different officer; the database enforces it."""
    review_causes: frozenset[str] = frozenset({"R5"})
    """Refund causes an officer always reviews, e.g. ``["R5","R6"]`` (JSON list in the environment)."""
    objection_window_days: int = Field(default=14, ge=1, le=90)
    """Days after the notice during which a citizen may object before an automatic payment."""
    command_attempts: int = Field(default=5, ge=1, le=20)
    """Tries of a command that meets a concurrent change before it answers ``case_busy``."""
    consumer_attempts: int = Field(default=5, ge=1, le=50)
    """Deliveries of an event to a failing consumer before the event is parked for an operator."""

    @model_validator(mode="after")
    def _consistent(self) -> CasesSettings:
        if self.straight_through_max > self.second_officer_above:
            raise ValueError(
                "CARTAX_CASES_STRAIGHT_THROUGH_MAX must not exceed CARTAX_CASES_SECOND_OFFICER_ABOVE "
                f"({self.straight_through_max:,} > {self.second_officer_above:,}): a straight-through "
                "approval would bypass the second officer"
            )
        unknown = self.review_causes - CAUSES
        if unknown:
            raise ValueError(f"CARTAX_CASES_REVIEW_CAUSES: {sorted(unknown)} are not causes; accepted: R1–R6")
        return self

    @property
    def objection_window(self) -> timedelta:
        return timedelta(days=self.objection_window_days)

    def policy(self) -> StraightThroughPolicy:
        return StraightThroughPolicy(
            enabled=self.straight_through,
            max_amount=self.straight_through_max,
            second_officer_above=self.second_officer_above,
            review_causes=self.review_causes,
        )
