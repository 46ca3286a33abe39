"""Shared kernel: value objects and helpers every context may use (standard library only)."""

from cartax.core.dates import HalfYear, TaxYear, days_in_year, parse_date
from cartax.core.errors import CartaxError
from cartax.core.money import Won, floor10, format_won

__all__ = ["CartaxError", "HalfYear", "TaxYear", "Won", "days_in_year", "floor10", "format_won", "parse_date"]
