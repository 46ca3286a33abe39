"""Audit: the tamper-evident record (접속기록) of every staff access to personal data, every decision and
every export.

Public surface: :class:`AccessEntry` and :class:`AccessAction` to describe an access,
:func:`record_access` to append it to the chain, :func:`verify_chain`/:func:`verify` to check the chain,
:func:`take_anchor` to pin its head outside the database, and :class:`ChainKeys` for the HMAC keys.
"""

from __future__ import annotations

from cartax.audit.chain import (
    ChainKeys,
    ChainProblem,
    ChainReport,
    canonical_form,
    key_id,
    seal,
    verify_chain,
)
from cartax.audit.errors import AccessEntryError, AuditError, UnknownChainKeyError
from cartax.audit.log import record_access, take_anchor, verify
from cartax.audit.model import (
    GENESIS,
    AccessAction,
    AccessEntry,
    AccessRecord,
    Anchor,
    holds_plaintext_number,
)
from cartax.audit.ports import AnchorStore, AuditStore

__all__ = [
    "GENESIS",
    "AccessAction",
    "AccessEntry",
    "AccessEntryError",
    "AccessRecord",
    "Anchor",
    "AnchorStore",
    "AuditError",
    "AuditStore",
    "ChainKeys",
    "ChainProblem",
    "ChainReport",
    "UnknownChainKeyError",
    "canonical_form",
    "holds_plaintext_number",
    "key_id",
    "record_access",
    "seal",
    "take_anchor",
    "verify",
    "verify_chain",
]
