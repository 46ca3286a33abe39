"""Notify: messages, their deliveries and receipts, preferences and opt-outs, verification codes.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Filled by the context's first tables."""


def downgrade() -> None:
    """Filled by the context's first tables."""
