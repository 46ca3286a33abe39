"""What a document says: which case calls for which document, the articles cited, the facts sealed."""

from __future__ import annotations

from datetime import date

import pytest

from cartax.notices import DocumentKind, DocumentNotApplicableError, RefundedPayment
from cartax.notices.content import check_applicable, legal_basis, mask_plate, sealed_facts
from notices_factories import make_facts


@pytest.mark.parametrize(
    ("kind", "overrides", "reason"),
    [
        (DocumentKind.REFUND_NOTICE, {"state": "approved", "decided_on": date(2026, 11, 20)}, "state"),
        (DocumentKind.REFUND_NOTICE, {"refund": 0, "interest": 0, "payable": 0}, "nothing_to_refund"),
        (DocumentKind.PAYMENT_DECISION, {}, "state"),
        (DocumentKind.PAYMENT_DECISION, {"state": "approved"}, "not_decided"),
        (DocumentKind.OFFSET_NOTICE, {}, "no_offset"),
        (DocumentKind.OFFSET_NOTICE, {"state": "rejected", "offset": 10}, "state"),
    ],
)
def test_a_document_the_case_does_not_call_for_is_refused_with_the_reason(
    kind: DocumentKind, overrides: dict[str, object], reason: str
) -> None:
    with pytest.raises(DocumentNotApplicableError) as refused:
        check_applicable(kind, make_facts(**overrides))
    assert refused.value.code == f"not_applicable.{reason}"
    assert "C-2026-0001" in refused.value.render("ko")
    assert "C-2026-0001" in str(refused.value)


@pytest.mark.parametrize(
    ("kind", "overrides"),
    [
        (DocumentKind.REFUND_NOTICE, {}),
        (DocumentKind.PAYMENT_DECISION, {"state": "paid", "decided_on": date(2026, 11, 20)}),
        (DocumentKind.OFFSET_NOTICE, {"state": "offset", "offset": 241_230, "payable": 0}),
    ],
)
def test_a_case_calls_for_its_documents(kind: DocumentKind, overrides: dict[str, object]) -> None:
    check_applicable(kind, make_facts(**overrides))


def test_the_articles_follow_the_causes_interest_and_offset() -> None:
    facts = make_facts()
    basis = legal_basis(DocumentKind.REFUND_NOTICE, facts)
    assert basis[:2] == ("지방세기본법 제60조제1항", "지방세기본법 시행령 제37조")
    assert "지방세법 제130조" in basis  # R1: a prepayment refunded after the car was sold
    assert "지방세기본법 제62조" in basis  # interest
    assert "지방세기본법 제60조제2항" not in basis  # no offset
    assert basis[-1] == "지방세기본법 제90조"  # the right of appeal, last
    assert len(basis) == len(set(basis))
    exempt = make_facts(
        payments=(RefundedPayment("P-9", "R6", 10_000, 3_000, 0, date(2026, 3, 1), None, False),),
        interest=0,
        offset=5_000,
    )
    exempt_basis = legal_basis(DocumentKind.PAYMENT_DECISION, exempt)
    assert "지방세특례제한법 제17조" in exempt_basis
    assert "지방세기본법 제60조제2항" in exempt_basis
    assert "지방세기본법 제62조" not in exempt_basis
    offset_basis = legal_basis(DocumentKind.OFFSET_NOTICE, make_facts(offset=1))
    assert offset_basis == ("지방세기본법 제60조제2항", "지방세기본법 시행령 제37조", "지방세기본법 제90조")


def test_the_sealed_facts_mask_the_plate_and_carry_no_full_name() -> None:
    facts = sealed_facts(DocumentKind.REFUND_NOTICE, make_facts(), date(2026, 11, 25))
    assert facts["plate"] == "12가**56"
    assert facts["recipient"] == "홍*동"
    assert facts["issued_on"] == "2026-11-25"
    assert facts["payments"][0] == {
        "payment_id": "P-1", "cause": "R1", "refund_car_tax": 120_000, "refund_edu_tax": 36_000,
        "interest": 1_230, "arose_on": "2026-07-01", "interest_from": "2026-07-02", "lapsed": False,
    }  # fmt: skip
    assert mask_plate("서울12가3456") == "서울12가**56"
