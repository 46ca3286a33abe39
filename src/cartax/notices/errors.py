"""The notices context's exception tree.

Every error has a stable ``code``, an English ``str()`` for logs and :meth:`NoticesError.render` for
people, Korean first. The web layer maps the families: :class:`DocumentCaseNotFoundError` (404),
:class:`DocumentNotApplicableError` (409), :class:`InvalidDocumentRequestError` (422).
Messages never carry personal data: a case key, a kind, a district code at most.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cartax.core.errors import CartaxError
from cartax.core.i18n import Catalogue, load_catalogue


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The notices context's messages (read on first use, never at import)."""
    return load_catalogue("cartax.notices")


class NoticesError(CartaxError):
    """Base of every error of the notices context."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(self.render("en"))

    def render(self, lang: str = "ko") -> str:
        messages = catalogue()
        params = dict(self.params)
        if f"kind.{params.get('kind')}" in messages:
            params["kind"] = messages.render(f"kind.{params['kind']}", lang)
        return messages.render(f"error.{self.code}", lang, **params)


class DocumentCaseNotFoundError(NoticesError):
    def __init__(self, case_key: str) -> None:
        super().__init__("case_not_found", case_key=case_key)


class DocumentNotApplicableError(NoticesError):
    """The case is not in a state (or has no amounts) for which this document can be issued."""

    def __init__(self, kind: str, case_key: str, reason: str) -> None:
        super().__init__(f"not_applicable.{reason}", kind=kind, case_key=case_key)


class InvalidDocumentRequestError(NoticesError):
    """A kind, district or output path that is not accepted."""
