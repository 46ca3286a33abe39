"""What the other contexts know of a case, for its console page: the payment (transfers with their
results, ledger lines), the owner's refund account (masked), the messages sent with their delivery
receipts. Each is the owning context's public surface; this module only asks and labels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cartax import notify, payout
from cartax.bootstrap import Services
from cartax.notify import MessageView
from cartax.payout import AccountView, FailedTransferView, PaymentView


@dataclass(frozen=True, slots=True)
class CaseRelated:
    payment: PaymentView | None
    account: AccountView | None
    messages: list[MessageView]


def related(services: Services, case_key: str, owner_id: str) -> CaseRelated:
    return CaseRelated(
        services.payout.service.payment(case_key),
        services.payout.service.current_account(owner_id),
        services.notify.service.messages_for_case(case_key),
    )


def failed_transfers(services: Services, district: str, limit: int) -> list[FailedTransferView]:
    return services.payout.service.failed_transfers(district, limit)


@dataclass(frozen=True, slots=True)
class Labels:
    """The payout and notify contexts' own words for their states, channels and reasons."""

    lang: str

    def payout(self, key: str, **params: Any) -> str:
        try:
            return payout.label(key, self.lang, **params)
        except KeyError:
            return key.rsplit(".", 1)[-1]

    def notify(self, key: str) -> str:
        try:
            return notify.label(key, self.lang)
        except KeyError:
            return key.rsplit(".", 1)[-1]
