"""Where a refund stands, as the citizen follows it: six steps and, when it is held, why.

detected → notified → accepted (asked for, or consented to automatically) → approved → sent (the
transfer was made) → arrived (the bank confirmed it). A case off that path (objected, refused, set off
against arrears, lapsed, recomputed) keeps the steps it reached and says why it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cartax.cases import CaseState, CaseStatus

S = CaseState
STEPS = ("detected", "notified", "accepted", "approved", "sent", "arrived")
REACHED_BY = {
    S.DETECTED: "detected",
    S.RECOMPUTED: "detected",
    S.NOTIFIED: "notified",
    S.OBJECTED: "notified",
    S.ACCEPTED: "accepted",
    S.AUTO_CONSENTED: "accepted",
    S.APPROVED: "approved",
    S.PAID: "sent",
    S.RECONCILED: "arrived",
}
HOLDS = frozenset({S.OBJECTED, S.REJECTED, S.OFFSET, S.LAPSED, S.RECOMPUTED})
FINAL = frozenset({S.RECONCILED, S.OFFSET, S.LAPSED})
"""States after which nothing more happens to the case (a refused one can still be recomputed)."""
ACCEPTABLE = frozenset({S.NOTIFIED, S.OBJECTED})
"""States from which the citizen can ask for the refund."""
ASKED = frozenset({S.ACCEPTED, S.AUTO_CONSENTED, S.APPROVED, S.PAID, S.RECONCILED})
"""States in which the refund has been asked for (or consented to) and goes ahead."""


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    status: str
    """``done``, ``active`` (the step the case is at) or ``todo``."""
    at: datetime | None


@dataclass(frozen=True, slots=True)
class Progress:
    steps: tuple[Step, ...]
    state: CaseState
    hold: str | None
    """The state that holds the case off the path (objected, rejected, …), or None."""
    hold_reason: str
    """An officer's stated reason for a refusal (kept in the case history), else empty."""
    final: bool
    marker: tuple[str, int]
    """Changes whenever the case moves: the live status page sends an update when it does."""


def progress_of(status: CaseStatus) -> Progress:
    """The six steps of ``status`` with the day each was reached."""
    reached_at: dict[str, datetime] = {}
    for item in status.history:
        step = REACHED_BY.get(item.to_state)
        if step is not None and item.to_state is not S.RECOMPUTED:
            reached_at[step] = item.at
    if status.state is S.RECOMPUTED:  # the amounts changed: the case starts over from the new figures
        reached_at = {"detected": status.since}
    current = _current_step(status)
    index = STEPS.index(current)
    steps = tuple(
        Step(
            name,
            "done" if n < index or (n == index and name == "arrived") else "active" if n == index else "todo",
            reached_at.get(name) if n <= index else None,
        )
        for n, name in enumerate(STEPS)
    )
    hold = str(status.state) if status.state in HOLDS else None
    reason = status.history[-1].reason if status.state is S.REJECTED and status.history else ""
    return Progress(
        steps, status.state, hold, reason, status.state in FINAL, (str(status.state), len(status.history))
    )


def _current_step(status: CaseStatus) -> str:
    if status.state in REACHED_BY:
        return REACHED_BY[status.state]
    # refused, set off or lapsed: the last step of the path the case reached before
    for item in reversed(status.history):
        step = REACHED_BY.get(item.to_state)
        if step is not None:
            return step
    return "detected"
