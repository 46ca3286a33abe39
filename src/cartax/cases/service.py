"""Running a command: one transaction, once per idempotency key, retried boundedly on conflicts.

The key is claimed inside the same transaction as the command's effect and completed with its result
before commit, so a repeat (or a concurrent duplicate, which waits on the key's UNIQUE index) finds
the original result and does nothing else. The key is scoped by actor: two people who happen to pick
the same key never see each other's results. A command that fails stores nothing under its key; a
repeat runs it again and, the state being unchanged, fails the same way.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from cartax.cases.commands import AcceptRefund, AutoConsent, Command
from cartax.cases.errors import CommandInFlightError, ConcurrentUpdateError, InvalidCaseCommandError
from cartax.cases.handlers import HANDLERS, CommandResult, HandlerContext
from cartax.cases.model import Actor
from cartax.cases.policy import StraightThroughPolicy
from cartax.cases.ports import CasesUnitOfWork
from cartax.cases.processing import Facts, Processing

KEY_LIMIT = 128
_KEY_PATTERN = re.compile(rf"[A-Za-z0-9._:-]{{1,{KEY_LIMIT}}}")


def check_key(key: str) -> None:
    """Refuse a malformed Idempotency-Key (it is stored and compared, so keep it plain).

    >>> check_key("3f1c-7a20:accept")
    >>> check_key("no spaces")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    cartax.cases.errors.InvalidCaseCommandError: An Idempotency-Key must be 1 to 128 characters ...
    """
    if not _KEY_PATTERN.fullmatch(key):
        raise InvalidCaseCommandError("invalid_key", limit=KEY_LIMIT)


def fingerprint(command: Command) -> str:
    """A hash of what the command asks, to tell a true repeat from a different request under one key."""
    body = {"command": type(command).__name__, "fields": asdict(command)}
    canonical = json.dumps(body, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class CaseService:
    """The entry point for every command of the cases context."""

    uow_factory: Callable[[], CasesUnitOfWork]
    clock: Callable[[], datetime]
    policy: StraightThroughPolicy = field(default_factory=StraightThroughPolicy)
    objection_window: timedelta = timedelta(days=14)
    max_attempts: int = 5
    backoff_seconds: float = 0.005
    sleep: Callable[[float], None] = time.sleep
    jitter: random.Random = field(default_factory=random.Random)
    processing: Processing | None = None
    """Policy versions per district and risk facts; without it the settings' policy decides, no flags."""

    def execute(self, command: Command, actor: Actor, idempotency_key: str | None = None) -> CommandResult:
        """Run ``command`` as ``actor``; with a key, at most once per (actor, key).

        Raises the context's errors; :class:`ConcurrentUpdateError` or :class:`CommandInFlightError`
        only after ``max_attempts`` tries, and both are safe to retry with the same key.
        """
        if idempotency_key is not None:
            check_key(idempotency_key)
        digest = fingerprint(command) if idempotency_key is not None else ""
        attempt = 1
        while True:
            try:
                return self._attempt(command, actor, idempotency_key, digest)
            except (ConcurrentUpdateError, CommandInFlightError):
                if attempt >= self.max_attempts:
                    raise
                # Exponential backoff with jitter, so colliding requests spread out.
                self.sleep(self.backoff_seconds * 2 ** (attempt - 1) * (0.5 + self.jitter.random()))
                attempt += 1

    def _facts(self, command: Command) -> Facts | None:
        """For a claim the policy decides on: its district's policy and the case's outside facts."""
        if self.processing is None or not isinstance(command, AcceptRefund | AutoConsent):
            return None
        with self.uow_factory() as uow:
            case = uow.cases.get(command.case_key)
        return self.processing.facts(case.identity) if case is not None else None

    def _attempt(self, command: Command, actor: Actor, key: str | None, digest: str) -> CommandResult:
        facts = self._facts(command)
        context = HandlerContext(
            self.clock(),
            self.policy,
            self.objection_window,
            facts.policy_of if facts else None,
            facts.risk if facts else None,
        )
        scope = str(actor)
        with self.uow_factory() as uow:
            if key is not None:
                stored = uow.idempotency.claim(scope, key, digest)
                if stored is not None:
                    return CommandResult.from_json(stored, replayed=True)
            result = HANDLERS[type(command)](command, actor, uow, context)
            if key is not None:
                uow.idempotency.complete(scope, key, result.to_json())
            uow.commit()
            return result
