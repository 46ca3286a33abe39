"""The registry context: vehicles, owners (personal data encrypted), registration events, payments,
arrears and exemptions, read from the feeds of contracts.md §2 and kept in the platform's database.

Public modules: :mod:`cartax.registry.feeds` (read and validate the feeds, vectorised) and
:mod:`cartax.registry.ingest` (load them into the database idempotently).
"""
