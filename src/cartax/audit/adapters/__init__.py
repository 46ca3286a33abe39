"""Adapters of the audit context: storage of the chain (memory, SQLAlchemy) and of anchors (file)."""
