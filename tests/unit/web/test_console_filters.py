"""The console's list filters and files, without a database: what a query asks for, what is refused and
why, and what an exported file holds."""

from __future__ import annotations

import csv
import doctest
import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from cartax.cases import CaseState
from cartax.identity import OfficerPrincipal, Role
from cartax.web.console import deps
from cartax.web.console.deps import ConsoleText, chosen_district, masked_name
from cartax.web.console.exports import to_csv, to_xlsx
from cartax.web.console.filters import ListFilter, Queue, read_filter
from cartax.web.console.rows import Row

ROW = Row("RC-1", "12가3456", "홍*동", 2026, "accepted", datetime(2026, 7, 1, tzinfo=UTC), 250_040, 0)


def test_the_console_texts_doctests_pass() -> None:
    result = doctest.testmod(deps)
    assert result.attempted > 0
    assert result.failed == 0


def test_a_queue_and_amounts_become_a_work_filter() -> None:
    wanted, problems = read_filter(
        {"queue": "second_approval", "min": "1,000,000원", "max": "", "year": "2026"}
    )
    assert problems == []
    work = wanted.work_filter()
    assert work.states == frozenset({CaseState.ACCEPTED, CaseState.AUTO_CONSENTED})
    assert (work.signatures, work.min_payable, work.max_payable, work.tax_year) == (1, 1_000_000, None, 2026)
    assert wanted.query("11680") == "district=11680&queue=second_approval&min=1000000&year=2026"


@pytest.mark.parametrize(
    ("fields", "field", "key"),
    [
        ({"queue": "everything"}, "queue", "filter.problem.queue"),
        ({"min": "-5"}, "min", "filter.problem.amount"),
        ({"max": "lots"}, "max", "filter.problem.amount"),
        ({"min": "10", "max": "9"}, "max", "filter.problem.range"),
        ({"year": "26"}, "year", "filter.problem.year"),
    ],
)
def test_a_wrong_field_is_named_and_left_out(fields: dict[str, str], field: str, key: str) -> None:
    wanted, problems = read_filter(fields)
    assert [(problem.field, problem.key) for problem in problems] == [(field, key)]
    assert wanted.max_payable is None or field != "max"
    assert ConsoleText("ko")(key) != key  # every problem has words in the catalogue


def test_the_default_queue_is_what_needs_review() -> None:
    assert read_filter({}) == (ListFilter(Queue.NEEDS_REVIEW), [])


def test_an_officer_sees_their_own_district_and_no_other() -> None:
    officer = OfficerPrincipal("off_1", frozenset({("11680", Role.REVIEWER), ("11110", Role.VIEWER)}))
    assert chosen_district(officer, None) == "11110"
    assert chosen_district(officer, "11680") == "11680"
    assert chosen_district(officer, "26110") is None
    assert chosen_district(OfficerPrincipal("off_2"), None) is None


def test_names_are_masked_and_a_missing_one_is_a_dash() -> None:
    assert (masked_name("홍길동"), masked_name("김철"), masked_name(None), masked_name("")) == (
        "홍*동",
        "김*",
        "—",
        "—",
    )


def test_a_csv_export_holds_the_lists_columns_with_a_bom_and_no_formula() -> None:
    risky = Row("=cmd|' /C calc'!A0", "—", "김*", 2026, "objected", ROW.since, 1, 0, date(2026, 12, 31))
    data = to_csv([ROW, risky], ConsoleText("ko"))
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["환급 건 번호", "차량번호", "소유자(가림)"]
    assert rows[1] == [
        "RC-1",
        "12가3456",
        "홍*동",
        "2026",
        "환급 신청됨",
        "250040",
        "2026-07-01",
        "0",
        "",
        "",
    ]
    assert rows[2][0].startswith("'=")
    assert rows[2][-2] == "2026-12-31"


def test_an_excel_export_holds_the_same_lines_in_english_too() -> None:
    sheet = load_workbook(io.BytesIO(to_xlsx([ROW], ConsoleText("en")))).active
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0][0] == "Case number"
    assert lines[1][:6] == ("RC-1", "12가3456", "홍*동", 2026, "accepted", 250040)
