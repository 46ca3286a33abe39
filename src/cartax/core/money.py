"""Money is integer 원 everywhere; no float ever touches it."""

from typing import NewType

Won = NewType("Won", int)
"""An amount in 원 (KRW). Always an ``int``."""


def floor10(numerator: int, denominator: int = 1) -> Won:
    """Drop the part below 10원 of ``numerator / denominator`` (a non-negative amount).

    Exact for any integer fraction, so proration never passes through a float.

    >>> floor10(199_999)
    199990
    >>> floor10(3_999_900, 20)   # 199,995 -> 199,990
    199990
    >>> floor10(9)
    0
    """
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    if numerator < 0:
        raise ValueError("floor10 is defined for non-negative amounts")
    return Won(numerator // (10 * denominator) * 10)


def format_won(amount: int) -> str:
    """Format an amount as shown to people: thousands separators and 원.

    >>> format_won(250040)
    '250,040원'
    >>> format_won(-5000)
    '-5,000원'
    """
    return f"{amount:,}원"
