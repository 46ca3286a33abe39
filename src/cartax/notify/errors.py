"""The notify context's exception tree.

Every error has a stable ``code``, an English ``str()`` for logs (never personal data) and
:meth:`NotifyError.render` for people, Korean first.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cartax.core.errors import CartaxError
from cartax.core.i18n import Catalogue, load_catalogue


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The notify context's messages and templates (read on first use, never at import)."""
    return load_catalogue("cartax.notify")


class NotifyError(CartaxError):
    """Base of every error of the notify context."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(self.render("en"))

    def render(self, lang: str = "ko") -> str:
        return catalogue().render(f"error.{self.code}", lang, **self.params)


class InvalidNotifyRequestError(NotifyError):
    """A request the context refuses as written (unknown channel, bad code format, unsafe content)."""


class MessageNotFoundError(NotifyError):
    """No message with that reference."""


class LinkInvalidError(NotifyError):
    """A message link whose signature does not check out (``link_invalid``) or has expired
    (``link_expired``)."""


class UnsafeContentError(NotifyError):
    """A rendered message would contain something that must never be sent (an account number, a
    resident registration number, or a request for one)."""
