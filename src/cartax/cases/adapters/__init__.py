"""Adapters of the cases context: in-memory fakes (``fake``) and SQLAlchemy (``sql``)."""
