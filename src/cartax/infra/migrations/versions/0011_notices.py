"""Notices: issued documents (refund notice, payment decision, offset notice) with their template versions.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Filled by the context's first tables."""


def downgrade() -> None:
    """Filled by the context's first tables."""
