"""The plain-language explanation is generated from the trace, in Korean and in English."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from cartax.core.money import format_won
from cartax.rules import calculate, default_law, parse_request
from cartax.rules.explain import catalogue, explain

VECTORS = Path(__file__).parents[2] / "contract" / "vectors.jsonl"
CASES = [json.loads(line) for line in VECTORS.read_text(encoding="utf-8").splitlines() if line.strip()]


def _result(name: str):  # type: ignore[no-untyped-def]
    case = next(c for c in CASES if c["name"] == name)
    law = default_law()
    return calculate(parse_request(case["request"], 2020, 2027), law, date(2026, 11, 25))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_every_case_is_explained_with_its_articles(case: dict) -> None:  # type: ignore[type-arg]
    result = _result(case["name"])
    for lang in ("ko", "en"):
        lines = explain(result, lang)
        assert lines
        assert all(line.refs for line in lines)
        assert all("{" not in line.text for line in lines)
    korean = " ".join(line.text for line in explain(result))
    if result.totals.payable:
        assert format_won(result.totals.payable) in korean
    for refund in result.refunds:
        assert format_won(refund.refund) in korean


def test_the_contract_example_reads_as_promised() -> None:
    text = [line.text for line in explain(_result("tv12_january_prepay_then_transfer"))]
    assert (
        "2026년 7월 1일 이전등록으로 미리 낸 1월 연납 가운데 차를 갖지 않은 184일분 250,040원을 돌려받습니다."
        in text
    )
    assert "모두 250,970원을 돌려받습니다." in text


def test_offset_and_lapse_are_told() -> None:
    offset = " ".join(line.text for line in explain(_result("tv12_offset_against_arrears")))
    assert "체납액) 100,000원에 먼저 충당" in offset
    lapsed = " ".join(line.text for line in explain(_result("tv20_prescription_lapsed")))
    assert "소멸시효" in lapsed
    assert "돌려받을 세금이 없습니다" in lapsed


def test_the_minimum_tax_rule_is_told_only_where_it_applied() -> None:
    applied = " ".join(line.text for line in explain(_result("tv14_two_thousand_rule")))
    assert "2,000원 미만" in applied
    held_no_day = " ".join(line.text for line in explain(_result("held_no_day_mistaken_payment_grievance")))
    assert "2,000원 미만" not in held_no_day
    assert "고충민원" in held_no_day


def test_english_catalogue_has_every_korean_key() -> None:
    messages = catalogue().messages
    assert set(messages["ko"]) == set(messages["en"])
