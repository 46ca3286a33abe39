"""Building the payout context on a database, for the composition root, workers, tests and the drill."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine

from cartax.bus import Subscription, describe_error
from cartax.infra.crypto import PiiCipher
from cartax.payout.adapters import files
from cartax.payout.adapters.fake_bank import FakeBank, FakeRail
from cartax.payout.adapters.sql import SqlPayout
from cartax.payout.adapters.worker import CrashPoints, PaymentWorker
from cartax.payout.consumer import payout_events
from cartax.payout.model import kst_day
from cartax.payout.ports import ApiRail, CaseGateway, Directory, HolderCheckPort, NameBook, Person
from cartax.payout.settings import PayoutSettings

log = logging.getLogger("cartax.payout")


class OwnerRecordLike(Protocol):
    """What the registry's owner view answers (name and pre-registered refund account)."""

    @property
    def name(self) -> str | None: ...

    @property
    def refund_bank(self) -> str | None: ...

    @property
    def refund_account(self) -> str | None: ...


@dataclass
class RegistryDirectory:
    """The entitled person's name and pre-registered account, from the registry's owner records."""

    lookup: Callable[[str], OwnerRecordLike | None]
    lookup_names: Callable[[Sequence[str]], Mapping[str, str]] | None = None
    """Names of many owners in one query (without it, one owner at a time)."""

    def person(self, owner_id: str) -> Person | None:
        record = self.lookup(owner_id)
        if record is None or not record.name:
            return None
        return Person(owner_id, record.name, record.refund_bank, record.refund_account)

    def names(self, owner_ids: Sequence[str]) -> Mapping[str, str]:
        if self.lookup_names is not None:
            return self.lookup_names(owner_ids)
        found = {owner_id: self.person(owner_id) for owner_id in owner_ids}
        return {owner_id: person.name for owner_id, person in found.items() if person is not None}


@dataclass
class Payouts:
    """The payout context as the composition root hands it out."""

    service: SqlPayout
    worker: PaymentWorker
    subscription: Subscription | None
    """The bus consumer (None without the cases context: the crash drill gives decisions directly)."""
    bank: FakeBank | None
    """The fake bank behind the embedded mode (None with a real bank)."""
    settings: PayoutSettings
    holder_names: Callable[[Sequence[str]], Mapping[str, str]]
    """The entitled people's names by owner id, many at once (for bank files)."""
    threads: list[threading.Thread] = field(default_factory=list)

    @property
    def subscriptions(self) -> list[Subscription]:
        return [self.subscription] if self.subscription is not None else []

    def file_batch(
        self, out: Path, formats: tuple[str, ...] = ("csv", "pain001"), limit: int = 1_000_000
    ) -> list[Path]:
        """Claim the payable instructions into a batch (committed first), then write its files."""
        ref = files.file_batch(self.service.engine, self.settings.org_code, self.service.clock, limit)
        return self.render_batch(ref, out, formats) if ref else []

    def render_batch(
        self, batch_ref: str, out: Path, formats: tuple[str, ...] = ("csv", "pain001")
    ) -> list[Path]:
        """Write (again) the files of a committed batch: same transfers, same ids."""
        engine, s = self.service.engine, self.settings
        head = files.batch_head(engine, batch_ref)
        chunks = files.batch_transfers(engine, head, self.service.open_number, self.holder_names)
        debtor = files.Debtor(s.debtor_name, s.debtor_account, s.debtor_bank)
        return files.write_batch(head, chunks, out, formats, debtor)

    def read_result_file(self, path: Path) -> dict[str, int]:
        """Book the bank's result file (pain.002 or CSV) on the filed transfers."""
        frame, source = files.read_result_file(path)
        return files.apply_results(self.service.engine, frame, self.service.clock, source)

    def run(self, stop: threading.Event, idle_seconds: float = 0.5, rounds: int = 50) -> None:
        """The embedded mode's payout loop: settle due zero-click announcements, pay what is due, and
        reconcile the day's transfers with the bank's results as they come (so a paid case shows the money
        arrived once the bank has confirmed it)."""
        while not stop.is_set():
            try:
                self.service.settle_announcements()
                paid = 0
                for _ in range(rounds):
                    if stop.is_set() or not self.worker.run_once():
                        break
                    paid += 1
                if paid:
                    self.service.reconcile(kst_day(self.service.clock()))
            except Exception as error:  # the loop outlives a database hiccup or a failing bank
                log.warning("payout loop: %s; retrying", describe_error(error))
            stop.wait(idle_seconds)


def build_payout(
    engine: Engine,
    settings: PayoutSettings,
    cipher: PiiCipher,
    directory: Directory,
    clock: Callable[[], datetime],
    cases: CaseGateway | None,
    objection_window: timedelta,
    *,
    bank: FakeBank | None = None,
    rail: ApiRail | None = None,
    holder_check: HolderCheckPort | None = None,
    crash: CrashPoints | None = None,
    worker_id: str = "embedded",
    recovery: bool = True,
    production: bool = False,
) -> Payouts:
    """The context on ``engine`` (migrated to head). With ``settings.bank == "fake"`` and no rail
    given, a fake bank in open-world mode (any well-formed account exists) stands behind it."""
    if production and settings.bank == "fake" and rail is None:
        raise ValueError(
            "CARTAX_PAYOUT_BANK=fake is for development and the demo; set openbanking in production"
        )
    if rail is None or holder_check is None:
        if settings.bank == "openbanking":
            from cartax.payout.adapters.openbanking import OpenBankingClient

            client = OpenBankingClient.from_settings(settings)
            rail, holder_check = rail or client, holder_check or client
        else:
            bank = bank or FakeBank(open_world=True)
            rail, holder_check = rail or FakeRail(bank), holder_check or bank
    service = SqlPayout(
        engine, cipher, directory, holder_check, clock, settings.cooling_off, objection_window, cases
    )

    def holder_name(owner_id: str) -> str:
        person = directory.person(owner_id)
        return person.name if person is not None else ""

    worker = PaymentWorker(
        engine, rail, service.account_number, holder_name, clock, settings.org_code, worker_id,
        timedelta(seconds=settings.lease_seconds), timedelta(seconds=settings.retry_seconds),
        settings.batch_size, crash or CrashPoints(), recovery,
    )  # fmt: skip
    subscription = payout_events(service, cases) if cases is not None else None
    return Payouts(service, worker, subscription, bank, settings, _holder_names(directory, holder_name))


def _holder_names(
    directory: Directory, holder_name: Callable[[str], str]
) -> Callable[[Sequence[str]], Mapping[str, str]]:
    """The directory's own look-up of many names at once if it has one, else one person at a time."""
    if isinstance(directory, NameBook):
        return directory.names

    def one_by_one(owner_ids: Sequence[str]) -> Mapping[str, str]:
        return {owner_id: holder_name(owner_id) for owner_id in owner_ids}

    return one_by_one
