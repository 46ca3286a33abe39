"""Adapters of the payout context: tables, the SQL store, bank rails (open-banking HTTP, bank files)
and the fake banks with fault modes."""
