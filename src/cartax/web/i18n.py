"""Language choice and the translator the pages use: Korean first, English second, one catalogue.

UI wording lives in ``cartax/web/messages/{ko,en}.json``; the law's own terms (payment kinds, refund
causes, vehicle categories) come from the rules context's catalogue so a term reads the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from cartax.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, Catalogue, load_catalogue
from cartax.rules.explain import catalogue as rules_catalogue

LANG_COOKIE = "__Host-cartax-lang"


@lru_cache(maxsize=1)
def messages() -> Catalogue:
    return load_catalogue("cartax.web")


def choose_language(asked: str | None, remembered: str | None) -> str:
    """``?lang=`` wins, then the remembered choice, then Korean.

    >>> choose_language("en", "ko"), choose_language(None, "en"), choose_language("fr", None)
    ('en', 'en', 'ko')
    """
    for candidate in (asked, remembered):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT_LANGUAGE


@dataclass(frozen=True, slots=True)
class Translator:
    """``t("key", **params)`` in templates; ``t.term`` for the law's terms, ``t.won``/``t.date`` for figures.

    >>> t = Translator("ko")
    >>> t.won(250040), t.date("2026-07-01"), t.term("cause.R1"), t.other
    ('250,040원', '2026년 7월 1일', '연납 후 이전·말소', 'en')
    """

    lang: str

    def __call__(self, key: str, **params: Any) -> str:
        return messages().render(key, self.lang, **params)

    def term(self, key: str, **params: Any) -> str:
        return rules_catalogue().render(key, self.lang, **params)

    def won(self, amount: int) -> str:
        return messages().render("format.won", self.lang, amount=amount)

    def date(self, day: str | date | None) -> str:
        if day is None or day == "":
            return "—"
        value = day if isinstance(day, date) else date.fromisoformat(day)
        return messages().render("format.date", self.lang, day=value)

    @property
    def other(self) -> str:
        """The language a switch link offers."""
        return "en" if self.lang == "ko" else "ko"
