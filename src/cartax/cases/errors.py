"""The cases context's exception tree.

Every error has a stable ``code`` (clients branch on it), an English ``str()`` for logs, and
:meth:`CasesError.render` for people, Korean first. The families tell the web layer how to
answer: :class:`CaseNotFoundError` (404), :class:`CaseForbiddenError` (403), :class:`CaseConflictError`
(409; ``retryable`` says whether the same request may simply be sent again) and
:class:`InvalidCaseCommandError` (422).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from cartax.core.errors import CartaxError
from cartax.core.i18n import Catalogue, load_catalogue


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The cases context's messages (read on first use, never at import)."""
    return load_catalogue("cartax.cases")


def state_label(state: str, lang: str = "ko") -> str:
    """A state as people read it.

    >>> state_label("auto_consented"), state_label("auto_consented", "en")
    ('자동 지급 동의', 'auto-consented')
    """
    return catalogue().render(f"state.{state}", lang)


class CasesError(CartaxError):
    """Base of every error of the cases context."""

    retryable = False

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(self.render("en"))

    def render(self, lang: str = "ko") -> str:
        params = {
            name: state_label(value, lang) if name.endswith("_state") else value
            for name, value in self.params.items()
        }
        if "allowed" in params:
            labels = [state_label(state, lang) for state in params["allowed"]]
            params["allowed"] = ", ".join(labels) or ("없음" if lang == "ko" else "none (the case is closed)")
        return catalogue().render(self.code, lang, **params)


class CaseNotFoundError(CasesError):
    def __init__(self, case_key: str) -> None:
        super().__init__("case_not_found", case_key=case_key)


class CaseForbiddenError(CasesError):
    """The actor may not do this to this case (codes ``not_case_owner``, ``officer_required``,
    ``same_officer``, ``already_signed``)."""


class CaseConflictError(CasesError):
    """The request conflicts with the state of the case or with an earlier request."""


class TransitionNotAllowedError(CaseConflictError):
    def __init__(self, case_key: str, current: str, target: str, allowed: Iterable[str]) -> None:
        self.case_key = case_key
        super().__init__(
            "transition_not_allowed", current_state=current, target_state=target, allowed=list(allowed)
        )


class IdempotencyKeyReusedError(CaseConflictError):
    """The same Idempotency-Key came with a different request: nothing was done."""

    def __init__(self) -> None:
        super().__init__("idempotency_key_reused")


class CommandInFlightError(CaseConflictError):
    retryable = True

    def __init__(self) -> None:
        super().__init__("command_in_flight")


class ConcurrentUpdateError(CaseConflictError):
    """Someone changed the case between our read and our write; the transaction was rolled back."""

    retryable = True

    def __init__(self) -> None:
        super().__init__("case_busy")


class InvalidCaseCommandError(CasesError):
    """A command or its input is malformed (codes ``reason_required``, ``invalid_actor``, ``invalid_key``,
    ``invalid_reference``)."""


class InvalidEventError(CasesError):
    """An incoming event's payload breaks docs/events.md; the consumer parks it."""

    def __init__(self, event_type: str, field: str, problem: str) -> None:
        super().__init__("invalid_event", event_type=event_type, field=field, problem=problem)
