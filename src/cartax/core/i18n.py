"""One message catalogue mechanism for everything people read: Korean first, English second.

Catalogues are JSON files ``messages/<lang>.json`` inside a package, mapping a key to a template in
``str.format`` syntax with two extra format specs: ``{amount:won}`` and ``{day:date}``, written the way
each language writes them (``250,040원`` / ``KRW 250,040``; ``2026년 7월 1일`` / ``1 July 2026``).
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable, Mapping
from datetime import date
from importlib import resources
from typing import Any

from cartax.core.dates import korean_date

LANGUAGES = ("ko", "en")
DEFAULT_LANGUAGE = "ko"
# Korean particles that change with the last syllable: written in templates as {noun:을}, {noun:이} ...
PARTICLES = {
    "을": ("을", "를"),
    "를": ("을", "를"),
    "이": ("이", "가"),
    "가": ("이", "가"),
    "은": ("은", "는"),
    "는": ("은", "는"),
    "과": ("과", "와"),
    "와": ("과", "와"),
    "으로": ("으로", "로"),
    "로": ("으로", "로"),
}
_DIGIT_CODA = {"0": 21, "1": 8, "2": 0, "3": 16, "4": 0, "5": 0, "6": 1, "7": 8, "8": 8, "9": 0}


def particle(word: str, which: str) -> str:
    """The form of a particle that fits after ``word`` (받침 or not; ㄹ takes 로).

    >>> particle("이전등록", "으로"), particle("말소", "으로"), particle("6월분 자동차세", "을")
    ('으로', '로', '를')
    >>> particle("연납", "이"), particle("12", "은")
    ('이', '는')
    """
    with_coda, without = PARTICLES[which]
    last = word.rstrip()[-1:] or " "
    coda = (ord(last) - 0xAC00) % 28 if "가" <= last <= "힣" else _DIGIT_CODA.get(last, 0)
    if with_coda == "으로":
        return "으로" if coda not in (0, 8) else "로"
    return with_coda if coda else without


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class _Formatter(string.Formatter):
    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "won":
            return f"{value:,}원" if self.lang == "ko" else f"KRW {value:,}"
        if format_spec == "date" and isinstance(value, date):
            return (
                korean_date(value)
                if self.lang == "ko"
                else f"{value.day} {_MONTHS[value.month - 1]} {value.year}"
            )
        if format_spec == "n":
            return f"{value:,}"
        if format_spec in PARTICLES:
            text = str(value)
            return text + particle(text, format_spec) if self.lang == "ko" else text
        return str(super().format_field(value, format_spec))


class Catalogue:
    """Templates by language and key.

    >>> ko, en = {"paid": "{day:date}에 {amount:won}"}, {"paid": "{amount:won} on {day:date}"}
    >>> c = Catalogue({"ko": ko, "en": en})
    >>> c.render("paid", "ko", amount=250040, day=date(2026, 7, 1))
    '2026년 7월 1일에 250,040원'
    >>> c.render("paid", "en", amount=250040, day=date(2026, 7, 1))
    'KRW 250,040 on 1 July 2026'
    """

    def __init__(self, messages: Mapping[str, Mapping[str, str]]) -> None:
        missing = {key for lang in messages for key in messages[DEFAULT_LANGUAGE]} - set(
            messages.get("en", {})
        )
        if missing and "en" in messages:
            raise ValueError(f"English catalogue lacks: {', '.join(sorted(missing))}")
        self.messages = messages
        self._formatters = {lang: _Formatter(lang) for lang in messages}

    def render(self, key: str, lang: str = DEFAULT_LANGUAGE, **params: Any) -> str:
        lang = lang if lang in self.messages else DEFAULT_LANGUAGE
        template = self.messages[lang].get(key) or self.messages[DEFAULT_LANGUAGE][key]
        return self._formatters[lang].format(template, **params)

    def compile(self, key: str, lang: str = DEFAULT_LANGUAGE) -> Callable[[Mapping[str, Any]], str]:
        """:meth:`render` of one key in one language with the template parsed once: the function returned
        formats a mapping of values exactly as ``render`` does, for texts made by the hundred thousand.

        >>> c = Catalogue({"ko": {"paid": "{{{day:date}}}에 {amount:won}"}})
        >>> c.compile("paid", "ko")({"amount": 250040, "day": date(2026, 7, 1)})
        '{2026년 7월 1일}에 250,040원'
        """
        lang = lang if lang in self.messages else DEFAULT_LANGUAGE
        template = self.messages[lang].get(key) or self.messages[DEFAULT_LANGUAGE][key]
        formatter = self._formatters[lang]
        parts: list[tuple[str, str | None, str, str | None]] = []
        for literal, name, spec, conversion in formatter.parse(template):
            if name is not None and (not name.isidentifier() or "{" in (spec or "")):
                # Positional, attribute or nested fields: no template of ours has them; render as usual.
                return lambda values: formatter.vformat(template, (), values)
            parts.append((literal, name, spec or "", conversion))
        if all(name is None for _, name, _, _ in parts):
            fixed = "".join(literal for literal, _, _, _ in parts)
            return lambda _values: fixed

        def format_values(values: Mapping[str, Any]) -> str:
            out: list[str] = []
            for literal, name, spec, conversion in parts:
                out.append(literal)
                if name is not None:
                    value = values[name]
                    if conversion:
                        value = formatter.convert_field(value, conversion)
                    out.append(formatter.format_field(value, spec))
            return "".join(out)

        return format_values

    def __contains__(self, key: str) -> bool:
        return key in self.messages[DEFAULT_LANGUAGE]


def load_catalogue(package: str) -> Catalogue:
    """Read ``messages/ko.json`` and ``messages/en.json`` shipped inside ``package``."""
    folder = resources.files(package) / "messages"
    messages = {}
    for lang in LANGUAGES:
        entry = folder / f"{lang}.json"
        if entry.is_file():
            messages[lang] = json.loads(entry.read_text(encoding="utf-8"))
    return Catalogue(messages)
