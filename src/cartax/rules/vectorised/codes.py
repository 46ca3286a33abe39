"""The integer codes of the vectorised path: each vocabulary of the contract as small integers.

A code is the position of the value in its tuple below; the tuples follow the enums of
:mod:`cartax.rules.model` (and, for the class vocabularies, contracts.md §1), so a column of codes
decodes without a look-up table of its own.
"""

from __future__ import annotations

from collections.abc import Sequence

from cartax.rules.model import Category, Cause, EndEvent, PaymentKind, StartEvent, Use

CATEGORIES: tuple[Category, ...] = tuple(Category)
USES: tuple[Use, ...] = tuple(Use)
VAN_CLASSES: tuple[str, ...] = ("express", "large_charter", "small_charter", "large", "small")
SPECIAL_CLASSES: tuple[str, ...] = ("large", "small")
NO_CLASS = 255
"""Class code of a vehicle whose category has no class (or whose class is missing)."""
START_EVENTS: tuple[StartEvent, ...] = tuple(StartEvent)
END_EVENTS: tuple[EndEvent, ...] = tuple(EndEvent)
PAYMENT_KINDS: tuple[PaymentKind, ...] = tuple(PaymentKind)
CAUSES: tuple[Cause | None, ...] = (None, *Cause)
"""Cause code 0 means "no refund"; 1–6 are R1–R6."""
PREPAY_WINDOWS: tuple[str, ...] = ("jan", "mar", "jun", "sep")

PASSENGER = CATEGORIES.index(Category.PASSENGER)
PASSENGER_OTHER = CATEGORIES.index(Category.PASSENGER_OTHER)
VAN = CATEGORIES.index(Category.VAN)
TRUCK = CATEGORIES.index(Category.TRUCK)
SPECIAL = CATEGORIES.index(Category.SPECIAL)
TRICYCLE = CATEGORIES.index(Category.TRICYCLE)
PRIVATE = USES.index(Use.PRIVATE)
BUSINESS = USES.index(Use.BUSINESS)
START_HELD = START_EVENTS.index(StartEvent.HELD)
START_TRANSFER = START_EVENTS.index(StartEvent.TRANSFER)
END_HELD = END_EVENTS.index(EndEvent.HELD)
END_TRANSFER = END_EVENTS.index(EndEvent.TRANSFER)
END_DEREGISTRATION = END_EVENTS.index(EndEvent.DEREGISTRATION)
CAUSE_DUPLICATE = CAUSES.index(Cause.DUPLICATE)


def code_of(vocabulary: Sequence[object], value: object) -> int:
    """The code of ``value`` in ``vocabulary``, or :data:`NO_CLASS` for ``None``.

    >>> code_of(VAN_CLASSES, "large"), code_of(VAN_CLASSES, None), code_of(CATEGORIES, "truck")
    (3, 255, 3)
    """
    if value is None:
        return NO_CLASS
    try:
        return list(vocabulary).index(value)
    except ValueError:
        accepted = ", ".join(str(item) for item in vocabulary)
        raise ValueError(f"{value!r} has no code; accepted: {accepted}") from None
