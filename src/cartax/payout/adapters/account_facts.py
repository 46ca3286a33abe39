"""The refund account as the cases context's straight-through policy sees it
(:class:`cartax.cases.ports.AccountFactsSource`): verified or not, when it was registered, and how many
other people registered the same account (found by the accounts' keyed digests, nothing decrypted)."""

from __future__ import annotations

from dataclasses import dataclass

from cartax.cases.risk import AccountFacts
from cartax.payout.adapters.sql import SqlPayout


@dataclass
class PayoutAccountFacts:
    payout: SqlPayout

    def account_facts(self, owner_id: str) -> AccountFacts | None:
        view = self.payout.current_account(owner_id)
        if view is None:
            return None
        return AccountFacts(view.verified, view.registered_at, self.payout.others_sharing(owner_id))
