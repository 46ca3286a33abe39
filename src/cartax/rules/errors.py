"""The rules context's exception tree."""

from __future__ import annotations

from cartax.core.errors import CartaxError


class RulesError(CartaxError):
    """Base of every error of the rules engine."""


class ParameterError(RulesError):
    """A parameter file is malformed or has no value in force on the day asked for."""


class RequestError(RulesError):
    """A calculation request breaks the contract (contracts.md §1 "Validation").

    ``code`` is one of the contract's error codes and ``field`` the dotted path of the field at fault
    (``None`` when the whole line is at fault).
    """

    CODES = frozenset(
        {"invalid_json", "invalid_type", "invalid_value", "missing_field", "unknown_field", "inconsistent"}
    )

    def __init__(self, code: str, field: str | None, message: str) -> None:
        if code not in self.CODES:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(message)
        self.code = code
        self.field = field
        self.message = message

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "field": self.field}
