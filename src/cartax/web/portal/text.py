"""The portal's words: its own catalogue (``cartax/web/portal/messages``), Korean first, English second.

The law's terms (payment kinds, causes, vehicle categories, events) come from the rules context's
catalogue and the case states from the cases context's, so a term reads the same on every screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from cartax.core.i18n import Catalogue, load_catalogue
from cartax.rules.explain import catalogue as rules_catalogue

KST = timezone(timedelta(hours=9), "KST")


@lru_cache(maxsize=1)
def messages() -> Catalogue:
    return load_catalogue("cartax.web.portal")


@dataclass(frozen=True, slots=True)
class PortalText:
    """``t("key", **params)`` in the portal's templates; ``t.term`` for the law's terms.

    >>> t = PortalText("ko")
    >>> t.won(250040), t.date(date(2026, 7, 1)), t.term("cause.R1")
    ('250,040원', '2026년 7월 1일', '연납 후 이전·말소')
    >>> PortalText("en").won(250040)
    'KRW 250,040'
    """

    lang: str

    def __call__(self, key: str, **params: Any) -> str:
        return messages().render(key, self.lang, **params)

    def term(self, key: str, **params: Any) -> str:
        return rules_catalogue().render(key, self.lang, **params)

    def won(self, amount: int) -> str:
        return messages().render("format.won", self.lang, amount=amount)

    def date(self, day: date | datetime | None) -> str:
        if day is None:
            return "—"
        if isinstance(day, datetime):  # moments are shown as the Korean calendar day they fell on
            day = day.astimezone(KST).date()
        return messages().render("format.date", self.lang, day=day)

    def has(self, key: str) -> bool:
        return key in messages()

    @property
    def other(self) -> str:
        """The language a switch link offers."""
        return "en" if self.lang == "ko" else "ko"
