"""Adapters of event delivery: the parked-events table and its queries."""
