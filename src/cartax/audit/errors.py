"""The audit context's exception tree."""

from __future__ import annotations

from cartax.core.errors import CartaxError


class AuditError(CartaxError):
    """Base of every error of the audit context."""


class AccessEntryError(AuditError):
    """An access record would be incomplete or would carry personal data it must not hold."""


class UnknownChainKeyError(AuditError):
    """A record was sealed with a key this installation does not have (configure the retired keys)."""
