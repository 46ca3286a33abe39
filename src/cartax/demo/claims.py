"""The embedded demo's citizens claim some of their refunds, so the officers' console has work.

Started by ``cartax serve --demo`` beside the server: as the notify worker tells the district's people of
their refunds (the fake providers fill the demo inbox), some of them claim, as they would on the portal.
The ordinary claims are approved straight through; the larger ones wait in 강남구's "needs review" queue
(and any above the maker-checker threshold for two officers). Each claim carries an idempotency key, and
the claims stop at their quotas, so later starts add nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from cartax.bootstrap import Platform, Services, connect
from cartax.cases import AcceptRefund, Actor, CasesError, CaseState
from cartax.cases.worklists import WorkFilter, WorkLine

log = logging.getLogger(__name__)
REVIEW_CLAIMS = 40
"""Claims above the straight-through limit: the officers' queue."""
ORDINARY_CLAIMS = 60
"""Claims the straight-through policy approves without an officer."""
SCAN_LIMIT = 100_000
PAUSE_SECONDS = 5.0
PATIENCE_ROUNDS = 240
"""How many pauses the claims wait for people to be told (20 minutes) before giving up."""


@dataclass
class Quotas:
    review: int = REVIEW_CLAIMS
    ordinary: int = ORDINARY_CLAIMS
    claimed: set[str] = field(default_factory=set)

    @property
    def met(self) -> bool:
        return self.review <= 0 and self.ordinary <= 0

    def take(self, line: WorkLine, straight_max: int) -> bool:
        """Whether to claim this case now (and count it)."""
        if line.case_key in self.claimed:
            return False
        if line.payable > straight_max and self.review > 0:
            self.review -= 1
        elif line.payable <= straight_max and self.ordinary > 0:
            self.ordinary -= 1
        else:
            return False
        self.claimed.add(line.case_key)
        return True


def claim_round(services: Services, district: str, quotas: Quotas) -> int:
    """Claim, among the district's people told of their refund so far, those the quotas still allow."""
    lists = services.case_lists
    claimed = lists.worklist(
        district, WorkFilter(states=frozenset({CaseState.ACCEPTED, CaseState.APPROVED})), None, SCAN_LIMIT
    )
    straight_max = services.cases.service.policy.max_amount
    if not quotas.claimed:  # a later start: earlier claims count against the quotas
        for line in claimed:
            quotas.take(line, straight_max)
    notified = lists.worklist(district, WorkFilter(states=frozenset({CaseState.NOTIFIED})), None, SCAN_LIMIT)
    made = 0
    for line in sorted(notified, key=lambda item: (-item.payable, item.case_key)):
        if quotas.met:
            break
        if not quotas.take(line, straight_max):
            continue
        try:
            command = AcceptRefund(line.case_key)
            result = services.cases.service.execute(
                command, Actor.citizen(line.owner_id), f"demo-claim:{line.case_key}"
            )
        except CasesError:
            continue  # someone acted on the case first (an officer, the citizen on the portal)
        made += 0 if result.replayed else 1
    return made


def start_claims(
    platform: Platform, district: str, say: Callable[[str], object], stop: threading.Event | None = None
) -> threading.Thread:
    """Claim in the background, a round every few seconds, until the quotas are met.

    The platform is connected here, before the thread starts: connecting migrates the database, which must
    not run beside the server's own connection.
    """
    stop = stop or threading.Event()
    services = connect(platform)

    def run() -> None:
        quotas, total = Quotas(), 0
        try:
            for _ in range(PATIENCE_ROUNDS):
                total += claim_round(services, district, quotas)
                if quotas.met or stop.wait(PAUSE_SECONDS):
                    break
        except Exception as error:  # a demo helper must never take the server down with it
            log.error("demo claims stopped: %s", type(error).__name__)
        finally:
            services.close()
        if total:
            say(f"시연 시민 {total:,}명이 환급을 신청했습니다 (demo citizens claimed {total:,} refunds)")

    thread = threading.Thread(target=run, name="demo-claims", daemon=True)
    thread.start()
    return thread
