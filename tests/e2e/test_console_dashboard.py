"""The processing dashboard and the straight-through policy pages over HTTP, on SQLite and PostgreSQL:
figures from the summaries, a province summed over the officer's own districts only, another
district's officer gets 404; an administrator publishes a version (audited), others may only read,
and a bad version is refused saying what is accepted."""

from __future__ import annotations

import re

import pytest

from cartax.identity import Role
from processing_factories import DISTRICT, ELSEWHERE, NEIGHBOUR, seed_dashboard, staged_case
from web_factories import World, audit_rows


@pytest.fixture
def seeded(world: World) -> World:
    return seed_dashboard(world)


def policy_form(**changes: object) -> dict[str, object]:
    """A complete policy form of the district, edited from version 0, with ``changes``."""
    form: dict[str, object] = {
        "district": DISTRICT, "based_on": "0", "max_amount": "100000", "account_unchanged_days": "30",
        "shared_account_limit": "3", "amount_factor_pct": "150", "enabled": "on", "block_on_risk": "on",
        "reason": "정당한 변경 사유",
    }  # fmt: skip
    form.update(changes)
    return form


def cell(page: str, table: str, row_label: str) -> str:
    """The cases figure of a row of one of the page's tables."""
    section = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    found = re.search(rf"<th scope=\"row\">{re.escape(row_label)}</th><td data-value=\"(\d+)\"", section)
    assert found, f"{row_label} in {table}"
    return found.group(1)


def test_nobody_signed_in_is_sent_to_sign_in(world: World) -> None:
    for path in ("/console/dashboard", "/console/policy"):
        answer = world.client().get(path, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/console/login")


def test_a_district_dashboard_counts_its_own_cases_by_stage(seeded: World) -> None:
    client = seeded.officer((DISTRICT, Role.VIEWER))
    page = client.get(f"/console/dashboard?district={DISTRICT}")
    assert page.status_code == 200
    text = page.text
    assert "처리 현황: 서울특별시 강남구 (11680)" in text
    assert cell(text, "stages-table", "환급 대상 발견") == "5"
    assert cell(text, "stages-table", "안내") == "4"
    assert cell(text, "stages-table", "신청") == "3"
    assert cell(text, "stages-table", "지급 결정") == "2"
    assert cell(text, "stages-table", "지급 결정 중 자동 처리") == "2"
    assert cell(text, "stages-table", "지급") == "1"
    assert '<dd id="straight-share">100.0%' in text  # both approvals were made by the policy
    assert "75.0%" in text  # claim rate: 3 claimed of 4 notified
    assert "1,420,000원" in text  # detected amount: 100,000 + 120,000 + 200,000 + 300,000 + 700,000
    assert '<script src="/static/chartjs/chart.umd.min.js" defer></script>' in text
    assert cell(text, "ageing-table", "48개월 이상") == "2"  # detected and notified, lapsing in 2031


def test_a_province_sums_only_the_districts_the_officer_holds(seeded: World) -> None:
    both = seeded.officer((DISTRICT, Role.VIEWER), (NEIGHBOUR, Role.VIEWER))
    page = both.get("/console/dashboard?province=11").text
    assert "서울특별시 (11) 가운데 권한이 있는 구·군(2곳)" in page
    assert cell(page, "stages-table", "환급 대상 발견") == "6"
    assert cell(page, "stages-table", "지급") == "2"
    one = seeded.officer((DISTRICT, Role.VIEWER))
    assert cell(one.get("/console/dashboard?province=11").text, "stages-table", "지급") == "1"


@pytest.mark.parametrize(
    "query", [f"district={ELSEWHERE}", "district=99999", "province=26", "province=1", "province=xx"]
)
def test_another_office_or_a_malformed_scope_is_not_found(seeded: World, query: str) -> None:
    client = seeded.officer((DISTRICT, Role.APPROVER))
    assert client.get(f"/console/dashboard?{query}").status_code == 404


def test_every_officer_reads_the_policy_but_only_an_administrator_publishes(seeded: World) -> None:
    reader = seeded.officer((DISTRICT, Role.APPROVER))
    page = reader.get(f"/console/policy?district={DISTRICT}")
    assert page.status_code == 200
    assert "기본값(제0판, 서버 설정)" in page.text
    assert "새 판으로 저장" not in page.text
    form = policy_form(reason="검토 강화 지시")
    refused = reader.post("/console/policy", data=form)
    assert refused.status_code == 403
    assert seeded.services.cases.processing.policy_of(DISTRICT).version == 0


def test_an_administrator_publishes_a_version_that_decides_the_next_claims(seeded: World) -> None:
    admin = seeded.officer((DISTRICT, Role.ADMIN))
    page = admin.get(f"/console/policy?district={DISTRICT}")
    assert "새 판으로 저장" in page.text
    form = policy_form(max_amount="150,000", review_causes=["R5"], reason="연말 집중 처리 기간 한도 조정")
    saved = admin.post("/console/policy", data=form, follow_redirects=False)
    assert (saved.status_code, saved.headers["location"]) == (
        303,
        f"/console/policy?district={DISTRICT}&saved=1",
    )
    shown = admin.get(saved.headers["location"]).text
    assert "제1판을 저장했습니다" in shown
    assert "연말 집중 처리 기간 한도 조정" in shown
    assert ("decision", f"policy:{DISTRICT}:v1") in [(row[0], row[2]) for row in audit_rows(seeded)]
    staged_case(seeded, "late", district=DISTRICT, payable=200_000, stage="claimed")
    [decision] = seeded.services.cases.decisions("late")
    assert (decision.policy_version, decision.route, decision.reasons) == (
        1, "one_officer", ("above_straight_through_limit",),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"max_amount": "3000000"}, "2인 승인 기준 2,000,000원보다 큽니다"),
        ({"max_amount": "50만"}, "숫자만 입력해 주세요"),
        ({"account_unchanged_days": "400"}, "0부터 365까지"),
        ({"reason": "짧음"}, "5자 이상 500자 이하"),
    ],
)
def test_a_bad_version_is_refused_saying_what_is_accepted(
    seeded: World, changes: dict[str, str], message: str
) -> None:
    admin = seeded.officer((DISTRICT, Role.ADMIN))
    form = policy_form(**changes)
    answer = admin.post("/console/policy", data=form)
    assert answer.status_code == 422
    assert "<title>오류:" in answer.text
    assert message in answer.text
    assert seeded.services.cases.processing.policy_of(DISTRICT).version == 0


def test_an_edit_of_an_outdated_version_is_refused(seeded: World) -> None:
    admin = seeded.officer((DISTRICT, Role.ADMIN))
    form = policy_form(reason="첫 번째 관리자의 변경")
    assert admin.post("/console/policy", data=form, follow_redirects=False).status_code == 303
    again = admin.post("/console/policy", data={**form, "reason": "두 번째 관리자의 변경"})
    assert again.status_code == 409
    assert "제1판으로 바꾸었습니다" in again.text
