"""The payout context's exception tree.

Every error has a stable ``code`` (clients branch on it), an English ``str()`` for logs and
:meth:`PayoutError.render` for people, Korean first. None of them carries an account number or a
name: at most a bank's name and the last four digits. The families tell the web layer how to answer:
:class:`InvalidAccountError` (422), :class:`AccountRejectedError` (422: the bank refused the account),
:class:`PayoutNotFoundError` (404), :class:`PayoutForbiddenError` (403), :class:`PayoutConflictError` (409).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cartax.core.errors import CartaxError
from cartax.core.i18n import Catalogue, load_catalogue


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The payout context's messages (read on first use, never at import)."""
    return load_catalogue("cartax.payout")


class PayoutError(CartaxError):
    """Base of every error of the payout context."""

    retryable = False

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(self.render("en"))

    def render(self, lang: str = "ko") -> str:
        return catalogue().render(self.code, lang, **self.params)


class InvalidAccountError(PayoutError):
    """The bank or the number is malformed (codes ``unknown_bank``, ``invalid_account_number``)."""


class AccountRejectedError(PayoutError):
    """The bank's account-holder check refused the account (codes ``holder_mismatch``,
    ``account_closed``, ``account_not_found``); nothing was registered as payable."""


class BankUnavailableError(PayoutError):
    """The bank did not answer the account-holder check; the same request may be sent again."""

    retryable = True

    def __init__(self) -> None:
        super().__init__("bank_unavailable")


class PayoutNotFoundError(PayoutError):
    """No account for the person (``no_account``), no payment for the case (``payment_not_found``), or no
    batch of that reference (``batch_not_found``)."""


class PayoutForbiddenError(PayoutError):
    """The actor may not do this (``officer_required``, ``not_account_owner``)."""


class PayoutConflictError(PayoutError):
    """The request conflicts with the state (``consent_needs_verified_account``, ``already_paid``,
    ``payment_in_flight``, ``idempotency_key_reused``)."""


class BankProtocolError(PayoutError):
    """A bank file or a bank answer breaks its format (``bad_bank_file``, ``bad_bank_answer``)."""
