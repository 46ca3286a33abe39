"""The calculation page: works without JavaScript, shows and explains the figures, says what to fix."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cartax.web.calc_form import EXAMPLE

FIELDS_NEEDING_LABELS = ("input", "select", "textarea")


class Page(HTMLParser):
    """The parts of a page the tests look at."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.texts: dict[str, str] = {}
        self._open: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))
        self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            self._open.remove(tag)

    def handle_data(self, data: str) -> None:
        for tag in self._open:
            self.texts[tag] = self.texts.get(tag, "") + data

    def all(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    @property
    def title(self) -> str:
        return self.texts.get("title", "").strip()

    def ids(self) -> set[str]:
        return {a["id"] for _, a in self.tags if "id" in a}


def _submit(client: TestClient, **fields: str) -> Any:
    return client.post("/calc", data={"payment_rows": "3", "action": "calculate", **fields})


def test_the_form_renders_accessibly(client: TestClient) -> None:
    response = client.get("/calc")
    assert response.status_code == 200
    page = Page(response.text)
    assert page.all("html")[0]["lang"] == "ko"
    assert len(page.all("h1")) == 1
    assert page.title.startswith("자동차세·환급금 계산")
    assert page.all("a", href="#main"), "a skip link to the main content"
    assert page.all("main", id="main")
    labelled = {label["for"] for label in page.all("label")}
    for tag in FIELDS_NEEDING_LABELS:
        for field in page.all(tag):
            if field.get("type") not in ("hidden", "submit"):
                assert field["id"] in labelled, f"{tag} {field['id']} has no label"
    assert page.all("form", method="post", action="/calc")
    assert page.all("button", type="submit", value="calculate")
    assert not any(tag == "script" and not attrs.get("src") for tag, attrs in page.tags), (
        "no inline script (CSP)"
    )


def test_the_landing_page_links_to_the_calculation(client: TestClient) -> None:
    page = Page(client.get("/").text)
    assert page.all("a", href="/calc")
    assert len(page.all("h1")) == 1


def test_a_submitted_form_shows_the_figures_and_the_explanation(client: TestClient) -> None:
    response = _submit(client, **EXAMPLE)
    assert response.status_code == 200
    text = response.text
    assert "250,970원" in text  # payable
    assert "250,040원" in text  # refund
    assert "930원" in text  # interest
    assert "399,800원" in text  # annual base
    assert "2026년 7월 1일" in text  # the day the refund arose
    assert "연납 후 이전·말소" in text  # the cause, in words
    assert "지방세기본법 제62조" in text  # an article behind the interest
    page = Page(text)
    assert not page.title.startswith("오류:")
    assert len(page.all("h1")) == 1
    assert page.all("ol", **{"class": "explanation"})
    assert 'value="381510"' in text, "the form keeps what was entered"


def test_the_example_link_fills_the_form(client: TestClient) -> None:
    text = client.get("/calc?example=1").text
    assert 'value="381510"' in text
    assert 'value="2026-07-01"' in text


def test_a_bad_form_shows_the_error_summary(client: TestClient) -> None:
    response = _submit(client, **{**EXAMPLE, "displacement_cc": "이천", "payment-1-car_tax": "5000"})
    assert response.status_code == 422
    page = Page(response.text)
    assert page.title.startswith("오류:")
    summary = page.all("div", id="error-summary")
    assert summary
    assert summary[0]["role"] == "alert"
    links = {a["href"] for a in page.all("a") if a["href"].startswith("#") and a["href"] != "#main"}
    assert links == {"#displacement_cc", "#payment-1-kind"}
    assert {link[1:] for link in links} <= page.ids(), "every error links to its field"
    field = page.all("input", id="displacement_cc")[0]
    assert field["aria-invalid"] == "true"
    assert "displacement_cc-error" in field["aria-describedby"]
    assert "배기량 (cc): 숫자만 입력해 주세요" in response.text
    assert "250,970원" not in response.text, "nothing is computed from a form with errors"


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"end_date": "2025-12-31"}, "end_date", "소유가 끝난 날은 과세연도 안"),
        ({"end_event": "held"}, "end_date", "12월 31일까지 가지고 있다면"),
        ({"first_registered_on": "2026-02-01"}, "start_event", "신규등록이나 이전등록을 고르고"),
        ({"district": "종로구"}, "district", "시군구 코드는 숫자 다섯 자리"),
        ({"displacement_cc": ""}, "displacement_cc", "배기량을 입력해 주세요"),
        ({"payment-0-paid_on": ""}, "payment-0-paid_on", "납부 1의 납부일: 입력해 주세요"),
    ],
    ids=["end-outside-year", "date-with-held", "held-but-new", "district", "no-cc", "no-paid-on"],
)
def test_the_engines_errors_point_at_the_field_in_plain_korean(
    client: TestClient, fields: dict[str, str], field: str, words: str
) -> None:
    response = _submit(client, **{**EXAMPLE, **fields})
    assert response.status_code == 422
    page = Page(response.text)
    assert page.title.startswith("오류:")
    assert page.all("a", href=f"#{field}")
    assert field in page.ids()
    assert words in response.text


def test_dates_and_amounts_are_read_as_people_write_them(client: TestClient) -> None:
    fields = {
        **EXAMPLE,
        "end_date": "2026. 7. 1.",
        "payment-0-paid_on": "2026년 1월 25일",
        "payment-0-car_tax": "381,510원",
        "payment-0-edu_tax": "114 460",
    }
    response = _submit(client, **fields)
    assert response.status_code == 200
    assert "250,970원" in response.text


def test_another_payment_row_can_be_added_without_javascript(client: TestClient) -> None:
    response = client.post("/calc", data={**EXAMPLE, "payment_rows": "3", "action": "add_payment"})
    assert response.status_code == 200
    page = Page(response.text)
    assert page.all("select", id="payment-3-kind")
    assert not page.all("div", id="error-summary")
    assert 'value="381510"' in response.text


def test_the_page_in_english(client: TestClient) -> None:
    response = client.get("/calc?lang=en")
    page = Page(response.text)
    assert page.all("html")[0]["lang"] == "en"
    assert page.title.startswith("Car tax and refund calculator")
    assert "__Host-cartax-lang=en" in response.headers["set-cookie"]
    assert "secure" in response.headers["set-cookie"].lower()
    assert "httponly" in response.headers["set-cookie"].lower()
    computed = _submit(client, **EXAMPLE, lang="en")
    assert "KRW 250,970" in computed.text
    assert "1 July 2026" in computed.text
    errors = _submit(client, **{**EXAMPLE, "district": "x"}, lang="en")
    assert Page(errors.text).title.startswith("Error:")


def test_a_browser_gets_a_page_for_an_unknown_address(client: TestClient) -> None:
    response = client.get("/no-such-page", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "페이지를 찾을 수 없습니다" in response.text


def test_the_design_system_is_served_from_the_installed_package(client: TestClient) -> None:
    page = Page(client.get("/calc").text)
    stylesheets = [link["href"] for link in page.all("link", rel="stylesheet")]
    assert "/static/krds/css/component/output.css" in stylesheets
    for href in [*stylesheets, "/static/krds/fonts/PretendardGOV-Regular.subset.woff2"]:
        assert client.get(href).status_code == 200, href
