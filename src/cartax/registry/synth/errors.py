"""Errors of the synthetic data generator."""

from __future__ import annotations

from cartax.core.errors import CartaxError


class SynthError(CartaxError):
    """The generator was asked for something it cannot produce; the message says what is accepted."""
