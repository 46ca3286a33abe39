"""Processing: the straight-through policy's versions, risk flags and officers' look-ups.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Filled by the context's first tables."""


def downgrade() -> None:
    """Filled by the context's first tables."""
