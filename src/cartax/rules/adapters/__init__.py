"""Adapters of the rules context: where its parameters come from."""
