"""What a document says: its facts (sealed by the digest and recorded) and the data its template reads.

Pure: standard library and ``cartax.core`` only. Every sentence comes from the message catalogue and
every figure from the case's computation, so a document never says anything the computation does not.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from cartax.core.i18n import Catalogue
from cartax.notices.errors import DocumentNotApplicableError
from cartax.notices.model import ELIGIBLE_STATES, DocumentKind, NoticeFacts, RefundedPayment

REFUND_BASIS = ("지방세기본법 제60조제1항", "지방세기본법 시행령 제37조")
CAUSE_BASIS = {
    "R1": ("지방세법 제130조", "지방세법 시행령 제126조"),
    "R2": ("지방세법 제129조", "지방세법 제130조", "지방세법 시행령 제126조"),
    "R3": ("지방세기본법 제60조제1항",),
    "R4": ("지방세법 제129조", "지방세법 제130조"),
    "R5": ("지방세기본법 제60조제1항",),
    "R6": ("지방세특례제한법 제17조", "지방세특례제한법 제29조제4항"),
}
INTEREST_BASIS = ("지방세기본법 제62조", "지방세기본법 시행령 제43조")
OFFSET_BASIS = ("지방세기본법 제60조제2항", "지방세기본법 시행령 제37조")
PRESCRIPTION_BASIS = ("지방세기본법 제64조",)
APPEAL_BASIS = ("지방세기본법 제90조",)
_PLATE_TAIL = re.compile(r"(\d{2})(\d{2})$")


def mask_plate(plate: str) -> str:
    """A plate with two of its last four digits hidden, for the public verification page.

    >>> mask_plate("12가3456"), mask_plate("서울12가3456"), mask_plate("없음")
    ('12가**56', '서울12가**56', '없음')
    """
    return _PLATE_TAIL.sub(lambda m: "**" + m.group(2), plate)


def check_applicable(kind: DocumentKind, facts: NoticeFacts) -> None:
    """Refuse a document the case does not call for (the reason is the error's code)."""
    if facts.state not in ELIGIBLE_STATES[kind]:
        raise DocumentNotApplicableError(kind, facts.case_key, "state")
    if kind is DocumentKind.OFFSET_NOTICE and facts.offset == 0:
        raise DocumentNotApplicableError(kind, facts.case_key, "no_offset")
    if kind is DocumentKind.REFUND_NOTICE and facts.refund == 0 and facts.interest == 0:
        raise DocumentNotApplicableError(kind, facts.case_key, "nothing_to_refund")
    if kind is DocumentKind.PAYMENT_DECISION and facts.decided_on is None:
        raise DocumentNotApplicableError(kind, facts.case_key, "not_decided")


def sealed_facts(kind: DocumentKind, facts: NoticeFacts, issued_on: date) -> dict[str, Any]:
    """The facts a document states, masked: digested, recorded, and shown on the verification page."""
    return {
        "kind": str(kind),
        "case_key": facts.case_key,
        "district": facts.district,
        "district_name": facts.district_name,
        "tax_year": facts.tax_year,
        "plate": mask_plate(facts.plate),
        "recipient": facts.recipient,
        "rules_version": facts.rules_version,
        "computation": facts.computation,
        "refund": facts.refund,
        "interest": facts.interest,
        "offset": facts.offset,
        "payable": facts.payable,
        "decided_on": _iso(facts.decided_on),
        "lapses_after": _iso(facts.lapses_after),
        "issued_on": issued_on.isoformat(),
        "payments": [_payment(line) for line in facts.payments],
    }


def template_data(
    kind: DocumentKind, facts: NoticeFacts, issued_on: date, messages: Catalogue
) -> dict[str, Any]:
    """The fields the document's template prints (figures formatted, sentences written, articles cited)."""

    def say(key: str, **params: Any) -> str:
        return messages.render(key, "ko", **params)

    return {
        "title": say(f"title.{kind}"),
        "office": say("office", district=facts.district_name),
        "recipient": facts.recipient,
        "plate": facts.plate,
        "case_key": facts.case_key,
        "tax_year": say("tax_year", year=facts.tax_year),
        "issued_on": say("day", day=issued_on),
        "decided_on": say("day", day=facts.decided_on) if facts.decided_on else "",
        "lapses_after": say("day", day=facts.lapses_after) if facts.lapses_after else "",
        "amounts": {
            name: say("won", amount=getattr(facts, name))
            for name in ("refund", "interest", "offset", "payable")
        },
        "payments": [_payment_row(line, say) for line in facts.payments],
        "lines": _sentences(kind, facts, say),
        "basis": list(legal_basis(kind, facts)),
        "rules_version": facts.rules_version,
    }


def legal_basis(kind: DocumentKind, facts: NoticeFacts) -> tuple[str, ...]:
    """The articles a document cites, in order, without repeats."""
    articles: list[str] = []
    live = [line for line in facts.payments if not line.lapsed]
    if kind is DocumentKind.OFFSET_NOTICE:
        articles += OFFSET_BASIS
    else:
        articles += REFUND_BASIS
        for line in live:
            articles += CAUSE_BASIS.get(line.cause, ())
        if facts.interest:
            articles += INTEREST_BASIS
        if facts.offset:
            articles += OFFSET_BASIS
        if any(line.lapsed for line in facts.payments) or kind is DocumentKind.REFUND_NOTICE:
            articles += PRESCRIPTION_BASIS
    articles += APPEAL_BASIS
    return tuple(dict.fromkeys(articles))


def _sentences(kind: DocumentKind, facts: NoticeFacts, say: Any) -> list[str]:
    lines = []
    for line in facts.payments:
        cause = say(f"cause.{line.cause}")
        if line.lapsed:
            lines.append(say("line.lapsed", payment=line.payment_id, cause=cause, refund=line.refund))
            continue
        amounts = {"payment": line.payment_id, "cause": cause, "car": line.refund_car_tax}
        amounts["edu"] = line.refund_edu_tax
        if line.interest and line.interest_from:
            lines.append(
                say("line.refund_interest", **amounts, interest=line.interest, start=line.interest_from)
            )
        else:
            lines.append(say("line.refund", **amounts))
    if facts.offset:
        lines.append(say("line.offset", offset=facts.offset))
    lines.append(say(f"line.payable.{kind}", payable=facts.payable, day=facts.decided_on))
    if kind is DocumentKind.REFUND_NOTICE and facts.lapses_after:
        lines.append(say("line.claim_by", day=facts.lapses_after))
    return lines


def _payment(line: RefundedPayment) -> dict[str, Any]:
    return {
        "payment_id": line.payment_id,
        "cause": line.cause,
        "refund_car_tax": line.refund_car_tax,
        "refund_edu_tax": line.refund_edu_tax,
        "interest": line.interest,
        "arose_on": line.arose_on.isoformat(),
        "interest_from": _iso(line.interest_from),
        "lapsed": line.lapsed,
    }


def _payment_row(line: RefundedPayment, say: Any) -> dict[str, str]:
    return {
        "payment_id": line.payment_id,
        "cause": say(f"cause.{line.cause}"),
        "car": say("won", amount=line.refund_car_tax),
        "edu": say("won", amount=line.refund_edu_tax),
        "interest": say("won", amount=line.interest),
        "arose_on": say("day", day=line.arose_on),
        "note": say("lapsed") if line.lapsed else "",
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
