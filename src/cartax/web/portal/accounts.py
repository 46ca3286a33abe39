"""The refund account on the portal: the one the office already knows, or a new one checked with the bank.

The portal asks the payout context (its public surface) for the person's current account, masked, and
registers a new one through it, which checks the holder's name with the bank (예금주 조회) before it is
used. Before payout holds an account for a person, the one registered with the registry is offered
(masked). Nothing here keeps an account number: the form's fields go straight to payout.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from cartax.core.masking import MaskingError, mask_account


@dataclass(frozen=True, slots=True)
class ShownAccount:
    """An account as the person sees it: bank and last four digits only."""

    bank: str
    masked: str
    verified: bool
    source: str
    """``payout`` (registered and checked with the bank) or ``registry`` (known to the office)."""


@dataclass(frozen=True, slots=True)
class Announcement:
    """A zero-click payment announced for a case: the day it will be paid and to which account."""

    pay_on: date
    account: ShownAccount


class AccountRefusedError(Exception):
    """Payout refused a new account; ``field`` is the form field to fix (or None), ``message`` says why in
    the reader's language and never repeats the number."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class Accounts(Protocol):
    def banks(self) -> Mapping[str, str]:
        """Bank code → name, of the banks a refund can be paid to."""

    def current(self, owner_id: str) -> ShownAccount | None: ...

    def zero_click(self, owner_id: str, case_key: str) -> Announcement | None:
        """The automatic payment announced for the case, if any (it can be objected to until then)."""

    def can_register(self) -> bool:
        """Whether a new account can be registered here (payout is wired)."""

    def register(self, owner_id: str, bank_code: str, number: str, holder: str, lang: str) -> ShownAccount:
        """Register ``number`` as the person's refund account after the bank's holder check; raises
        :class:`AccountRefusedError` with what to fix."""


class RegistryOwner(Protocol):
    @property
    def refund_bank(self) -> str | None: ...
    @property
    def refund_account(self) -> str | None: ...


def registry_account(owner: RegistryOwner | None) -> ShownAccount | None:
    """The account the registry holds for the owner, masked; None when it holds none (or a malformed one)."""
    if owner is None or not owner.refund_bank or not owner.refund_account:
        return None
    try:
        masked = mask_account(owner.refund_account)
    except MaskingError:
        return None
    return ShownAccount(owner.refund_bank, masked, verified=False, source="registry")


@dataclass(frozen=True)
class RegistryAccounts:
    """Accounts as the registry knows them; registering a new one needs the payout context."""

    owners: Callable[[str], RegistryOwner | None]
    bank_names: Mapping[str, str]

    def banks(self) -> Mapping[str, str]:
        return self.bank_names

    def current(self, owner_id: str) -> ShownAccount | None:
        return registry_account(self.owners(owner_id))

    def zero_click(self, owner_id: str, case_key: str) -> Announcement | None:  # noqa: ARG002
        return None  # only the payout context announces automatic payments

    def can_register(self) -> bool:
        return False

    def register(self, *_: str) -> ShownAccount:
        raise AccountRefusedError(None, "registering a new refund account needs the payout context")
