"""The detection context's exception tree."""

from __future__ import annotations

from cartax.core.errors import CartaxError


class DetectionError(CartaxError):
    """Base of every error of the detection context."""


class WorkerLostError(DetectionError):
    """A process computing partitions of a run ended without handing back its answer (killed, out of
    memory, crashed). The run is abandoned as a whole: no case file is written from the partitions
    that did finish."""
