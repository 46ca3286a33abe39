"""The audit chain's keys and anchor file from the typed settings."""

from __future__ import annotations

from cartax.audit.adapters.anchor_file import FileAnchors
from cartax.audit.chain import ChainKeys
from cartax.settings import Settings

ANCHOR_FILE = "audit-anchors.jsonl"


def chain_keys(settings: Settings) -> ChainKeys:
    """The current key and the retired ones (comma-separated in ``CARTAX_AUDIT_CHAIN_OLD_KEYS``)."""
    retired = [
        part.strip() for part in settings.audit_chain_old_keys.get_secret_value().split(",") if part.strip()
    ]
    current = settings.audit_chain_key.get_secret_value()
    return ChainKeys.from_secrets(current.encode(), [key.encode() for key in retired])


def anchor_store(settings: Settings) -> FileAnchors:
    return FileAnchors(settings.audit_anchor_file or settings.data_dir / ANCHOR_FILE)
