"""Adapters of the detection context: its tables and the store of runs and detected cases."""
