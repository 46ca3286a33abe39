"""The root of every context's exception tree."""


class CartaxError(Exception):
    """Base of all errors raised on purpose by cartax.

    Each context derives its own tree from this class; the web layer alone maps them to HTTP.
    A message says what was wrong, what is accepted and what to do.
    """
