"""The embedded demo's refund accounts: a share of the district's people with cases take their
pre-registered refund account (환급계좌 사전등록, from the registry) with the standing consent to
zero-click payment, checked with the fake bank that stands behind the embedded mode.

Run by ``cartax serve --demo`` once the cases are open; idempotent (the same account again changes
nothing). The others keep theirs for when a payment is decided (payout takes a pre-registered account
over then, without the zero-click consent) or register one on the portal.
"""

from __future__ import annotations

from collections.abc import Callable

from cartax.bootstrap import DEMO_IDENTITIES, Platform, connect

CONSENTING_SHARE = 2
"""Every second person with a case and a pre-registered account consents to zero-click payment."""
LIMIT = 1_500
"""At most this many people (the demo district has about 2,700 cases)."""


def add_zero_click_consents(platform: Platform, say: Callable[[str], object] = print) -> int:
    """Take over pre-registered accounts with consent for a share of the people with cases."""
    services = connect(platform)
    try:
        owners = services.case_lists.owners(LIMIT * CONSENTING_SHARE)
        chosen = owners[:DEMO_IDENTITIES] + owners[DEMO_IDENTITIES::CONSENTING_SHARE]
        taken = 0
        for owner in chosen[:LIMIT]:
            current = services.payout.service.current_account(owner)
            if current is not None and current.zero_click_consent:
                continue
            if services.payout.service.import_preregistered(owner, zero_click=True) is not None:
                taken += 1
    finally:
        services.close()
    if taken:
        say(f"사전등록 환급계좌 {taken:,}건에 자동 지급 동의 (zero-click consent on pre-registered accounts)")
    return taken
