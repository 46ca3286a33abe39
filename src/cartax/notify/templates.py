"""Versioned message templates, plain Korean first (English second), and the content guard.

The wording lives in ``messages/{ko,en}.json`` under ``tpl.<topic>.v<version>``; a change of wording is a
new version (the old key stays, so every message ever sent can be shown as the person read it), and the
version is recorded on each message. Every rendered message passes :func:`check_safe`: no resident
registration number, no account number, and no request for either, ever.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from cartax.notify.errors import InvalidNotifyRequestError, UnsafeContentError, catalogue
from cartax.notify.model import Channel, Topic


@dataclass(frozen=True, slots=True)
class Template:
    topic: Topic
    version: int
    params: frozenset[str]
    alimtalk_code: str
    """The template code registered with Kakao through the 알림톡 provider (at most 20 characters)."""

    @property
    def id(self) -> str:
        return f"{self.topic}/v{self.version}"

    def key(self, part: str) -> str:
        return f"tpl.{self.topic}.v{self.version}.{part}"


def _t(topic: Topic, version: int, code: str, *params: str) -> Template:
    return Template(topic, version, frozenset(params), code)


CURRENT: Mapping[Topic, Template] = {
    Topic.CASE_OPENED: _t(Topic.CASE_OPENED, 1, "CTX_OPENED_V1", "amount", "tax_year"),
    Topic.ZERO_CLICK_ANNOUNCED: _t(
        Topic.ZERO_CLICK_ANNOUNCED, 1, "CTX_ZEROCLICK_V1", "amount", "pay_on", "object_by"
    ),
    Topic.ACCEPTED: _t(Topic.ACCEPTED, 1, "CTX_ACCEPTED_V1", "amount"),
    Topic.APPROVED: _t(Topic.APPROVED, 1, "CTX_APPROVED_V1", "amount"),
    Topic.PAID: _t(Topic.PAID, 1, "CTX_PAID_V1", "amount", "paid_on"),
    Topic.TRANSFER_FAILED: _t(Topic.TRANSFER_FAILED, 1, "CTX_XFERFAIL_V1", "amount"),
    Topic.OFFSET: _t(Topic.OFFSET, 1, "CTX_OFFSET_V1", "amount"),
    Topic.LAPSE_APPROACHING: _t(Topic.LAPSE_APPROACHING, 1, "CTX_LAPSE_V1", "amount", "lapse_on"),
    Topic.REMINDER: _t(Topic.REMINDER, 1, "CTX_REMINDER_V1", "amount"),
    Topic.ACCOUNT_CHANGED: _t(Topic.ACCOUNT_CHANGED, 1, "CTX_ACCOUNT_V1", "last4"),
}
"""The version of each topic's template used for new messages."""


@dataclass(frozen=True, slots=True)
class Rendered:
    template: str
    subject: str
    body: str


SHORT = frozenset({Channel.ALIMTALK, Channel.SMS})


def render(
    template: Template, lang: str, params: Mapping[str, Any], *, link: str, code: str, verify_url: str
) -> Rendered:
    """The subject and body of one message; :class:`UnsafeContentError` if it fails the guard."""
    compiled = compile_template(template, lang, verify_url)
    subject, middle = compiled.texts(params)
    return Rendered(template.id, subject, compiled.body(subject, middle, link, code))


LINK_MARK = "\x00link\x00"
CODE_MARK = "\x00code\x00"


@dataclass(frozen=True, slots=True)
class Compiled:
    """One template in one language, parsed once with the frame of every message (header, link line,
    footer): what renders each message of a campaign. Made by :func:`compile_template`."""

    template: Template
    template_id: str
    subject: Callable[[Mapping[str, Any]], str]
    middle: Callable[[Mapping[str, Any]], str]
    header: str
    before_link: str
    after_link: str
    before_code: str
    after_code: str

    def texts(self, params: Mapping[str, Any], *, guard: bool = True) -> tuple[str, str]:
        """The subject and the middle of the body (the parts made of ``params``), checked by the guard
        (``guard=False`` only for values already checked: the texts are the same each time)."""
        template = self.template
        if not params.keys() >= template.params:
            missing = ", ".join(sorted(template.params - set(params)))
            raise InvalidNotifyRequestError("missing_params", template=self.template_id, missing=missing)
        values = {name: _value(name, params[name]) for name in template.params}
        subject, middle = self.subject(values), self.middle(values)
        if guard:
            check_safe(f"{subject}\n{middle}", self.template_id)
        return subject, middle

    def body(self, subject: str, middle: str, link: str, code: str) -> str:
        return (
            f"{self.header} {subject}\n{middle}\n{self.before_link}{link}{self.after_link}\n"
            f"{self.before_code}{code}{self.after_code}"
        )


@lru_cache(maxsize=64)
def compile_template(template: Template, lang: str, verify_url: str) -> Compiled:
    """``template`` in ``lang`` ready to render many messages (see :class:`Compiled`); the frame passes
    the guard here, once."""
    texts = catalogue()
    header, link_line, footer = _frame(lang, verify_url)
    before_link, after_link = _around(link_line, LINK_MARK)
    before_code, after_code = _around(footer, CODE_MARK)
    subject, middle = texts.compile(template.key("subject"), lang), texts.compile(template.key("body"), lang)
    return Compiled(
        template, template.id, subject, middle, header, before_link, after_link, before_code, after_code
    )


def _around(text: str, mark: str) -> tuple[str, str]:
    if text.count(mark) != 1:
        raise ValueError(f"a message frame must hold its {mark.strip(chr(0))} once")
    before, after = text.split(mark)
    return before, after


@lru_cache(maxsize=16)
def _frame(lang: str, verify_url: str) -> tuple[str, str, str]:
    """The header, link line and footer of every message in ``lang``, with marks where the link and the
    code go (checked once here: the frame itself must pass the guard)."""
    texts = catalogue()
    frame = (
        texts.render("tpl.header", lang),
        texts.render("tpl.link", lang, link=LINK_MARK),
        texts.render("tpl.footer", lang, code=CODE_MARK, verify_url=verify_url),
    )
    check_safe("\n".join(frame), "frame")
    return frame


def _value(name: str, value: Any) -> Any:
    if name in ("pay_on", "object_by", "paid_on", "lapse_on") and isinstance(value, str):
        return date.fromisoformat(value[:10])
    if name == "amount":
        return int(value)
    return value


# A resident registration number: 6 digits of birth date, optional hyphen, 7 digits starting 1–8.
_RRN = re.compile(r"\d{6}\s*-?\s*[1-8]\d{6}")
# An account number: ten or more digits, possibly split by hyphens or spaces (amounts use commas).
_ACCOUNT = re.compile(r"\d(?:[\s-]?\d){9,}")
# Words naming the secrets: a line may mention them only to say we never ask for them.
_SECRET_WORDS = re.compile(
    r"계좌\s*번호|주민\s*등록\s*번호|비밀\s*번호|account number|resident registration|password", re.I
)
_NEVER_ASK = re.compile(r"묻지 않습니다|never ask", re.I)


# Quick tests that clear nearly every message before the three above: both numbers need ten digits or
# more; a word naming a secret begins with 계좌, 주민 or 비밀 (Korean has no case) or is one of the English
# words, which begin with a, r or p (no other letter matches these when case is ignored).
_DIGIT = re.compile(r"\d")
_ENGLISH_WORDS = re.compile(r"account number|resident registration|password", re.I)


def check_safe(text: str, template_id: str) -> None:
    """Refuse a message that contains or asks for an account or resident number.

    >>> check_safe("환급금 250,040원 (2026년 7월 1일)", "t/v1")
    >>> check_safe("계좌번호를 알려 주세요", "t/v1")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cartax.notify.errors.UnsafeContentError: Template t/v1 would contain what must never be sent (a ...
    """
    english = "a" in text or "A" in text or "r" in text or "R" in text or "p" in text or "P" in text
    if (
        len(_DIGIT.findall(text)) < 10
        and not ("계좌" in text or "주민" in text or "비밀" in text)
        and not (english and _ENGLISH_WORDS.search(text))
    ):
        return
    if _RRN.search(text):
        raise UnsafeContentError("unsafe_content", template=template_id, what="resident number")
    if _ACCOUNT.search(text):
        raise UnsafeContentError("unsafe_content", template=template_id, what="account number")
    for line in text.splitlines():
        if _SECRET_WORDS.search(line) and not _NEVER_ASK.search(line):
            raise UnsafeContentError("unsafe_content", template=template_id, what="a request for a secret")


def parse_topic(value: str) -> Topic:
    try:
        return Topic(value)
    except ValueError:
        raise InvalidNotifyRequestError(
            "unknown_topic", value=value[:40], accepted=", ".join(Topic)
        ) from None


def parse_channel(value: str) -> Channel:
    try:
        return Channel(value)
    except ValueError:
        raise InvalidNotifyRequestError(
            "unknown_channel", value=value[:40], accepted=", ".join(Channel)
        ) from None
