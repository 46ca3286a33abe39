"""The calculation request detection kept with a case, for the screens that explain the case's figures.

The request holds ids, dates and amounts only (see :mod:`cartax.detection.requests`); recomputing it
gives the very figures, trace and explanation detection found.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, select

from cartax.detection.adapters.tables import detected_cases


def case_request(engine: Engine, case_key: str) -> dict[str, Any] | None:
    """The stored calculation request of ``case_key``, or None when detection kept none for it."""
    query = select(detected_cases.c.request).where(detected_cases.c.case_key == case_key)
    with engine.connect() as connection:
        text = connection.execute(query).scalar_one_or_none()
    if text is None:
        return None
    request = json.loads(text)
    return request if isinstance(request, dict) else None
