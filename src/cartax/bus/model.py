"""What a consumer receives and how it subscribes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

ERROR_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Delivery:
    """One delivery of one event to one consumer; ``attempt`` counts from 1."""

    event_id: str
    type: str
    payload: dict[str, Any]
    occurred_at: datetime
    attempt: int


Handler = Callable[[Delivery], None]


@dataclass(frozen=True, slots=True)
class Subscription:
    """``consumer`` (a stable name: it keys the durable consumer and the parked rows) handles ``types``."""

    consumer: str
    types: frozenset[str]
    handler: Handler

    def wants(self, event_type: str) -> bool:
        return event_type in self.types


def describe_error(error: BaseException) -> str:
    """A failure as an operator reads it: the class, the stable code if any, the first line of the message.

    Only the first line: database errors append the statement and its parameters on the next lines.

    >>> describe_error(ValueError("bad amount\\n[SQL: INSERT ...]"))
    'ValueError: bad amount'
    """
    code = getattr(error, "code", None)
    first_line = (str(error).splitlines() or [""])[0]
    text = f"{type(error).__name__}{f' [{code}]' if isinstance(code, str) else ''}: {first_line}"
    return text[:ERROR_LIMIT]
