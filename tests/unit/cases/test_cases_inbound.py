"""Reading detection's events: what is accepted, and what is refused with the field named."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from cases_factories import make_line, make_payload

from cartax.cases import InvalidEventError, parse_refund_detected, parse_refund_recomputed


def test_the_worked_case_is_read_exactly() -> None:
    detected = parse_refund_detected(make_payload(extra_field="ignored"))
    assert detected.identity.case_key == "c0ffee00c0ffee00c0ff"
    assert (detected.totals.refund, detected.totals.interest, detected.totals.payable) == (
        250_040,
        930,
        250_970,
    )
    assert detected.refunds[0].arose_on == date(2026, 7, 1)


def broken(path: str, value: Any) -> dict[str, Any]:
    payload = make_payload()
    target: Any = payload
    *parents, last = path.split(".")
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return payload


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("case_key", KeyError, "case_key"),
        ("owner_id", "", "owner_id"),
        ("district", "1111", "district"),
        ("tax_year", "2026", "tax_year"),
        ("refunds", {}, "refunds"),
        ("refunds.0.interest", -1, "refunds[0].interest"),
        ("refunds.0.refund_car_tax", 1.5, "refunds[0].refund_car_tax"),
        ("refunds.0.refund_car_tax", True, "refunds[0].refund_car_tax"),
        ("refunds.0.arose_on", "2026/07/01", "refunds[0].arose_on"),
        ("refunds.0.lapsed", "false", "refunds[0].lapsed"),
        ("refunds.0.cause", "R9", "totals"),
        ("totals.payable", 1, "totals"),
        ("totals.refund", 0, "totals"),
        ("totals", KeyError, "totals"),
    ],
)
def test_malformed_payload_is_refused_naming_the_field(path: str, value: Any, field: str) -> None:
    with pytest.raises(InvalidEventError) as caught:
        parse_refund_detected(broken(path, value))
    assert caught.value.params["field"] == field
    assert caught.value.code == "invalid_event"


def test_lapsed_lines_do_not_count_in_totals() -> None:
    payload = make_payload(lines=[make_line(), make_line(payment_id="p0", lapsed=True)])
    assert parse_refund_detected(payload).totals.refund == 250_040


def test_recomputed_needs_previous_totals() -> None:
    with pytest.raises(InvalidEventError, match="previous_totals"):
        parse_refund_recomputed(make_payload())
    payload = make_payload(previous_totals=make_payload()["totals"], run_id=7)
    assert parse_refund_recomputed(payload).previous_totals.payable == 250_970


def test_a_vanished_case_is_an_empty_record_with_zero_totals() -> None:
    zero = {"refund": 0, "interest": 0, "offset": 0, "payable": 0}
    payload = make_payload(lines=[]) | {"totals": zero, "previous_totals": make_payload()["totals"]}
    recomputed = parse_refund_recomputed(payload)
    assert recomputed.detected.refunds == ()
    assert recomputed.detected.totals.payable == 0
