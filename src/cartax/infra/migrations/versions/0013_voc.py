"""VOC: citizens' feedback at the end of each journey step, kept for the analyses that come later.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Filled by the context's first tables."""


def downgrade() -> None:
    """Filled by the context's first tables."""
