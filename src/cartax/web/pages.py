"""Server-rendered pages: the calculation page (no single-page app, no script needed); the portal's home
at ``/`` is :mod:`cartax.web.portal`'s."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_args

from fastapi import APIRouter, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from cartax.bootstrap import Platform
from cartax.rules import RequestError, calculate, parse_request, result_to_json
from cartax.rules.explain import explain
from cartax.web.calc_form import MAX_PAYMENT_ROWS, CalcForm, FieldProblem, problem_of, to_request
from cartax.web.i18n import LANG_COOKIE, Translator, choose_language, messages
from cartax.web.schemas import PaymentKind
from cartax.web.security import apply_security_headers

ONE_YEAR = 365 * 24 * 3600
MAX_FORM_FIELDS = 200
MORE_FIELDS = frozenset(
    {"arrears", "as_of", "exemption_rate", "exemption_effective_from", "exemption_decided_on"}
)


@dataclass(frozen=True, slots=True)
class ShownProblem:
    field: str | None
    message: str


class Pages:
    """Renders templates in the reader's language and remembers a language chosen with ``?lang=``."""

    def __init__(self, platform: Platform, templates: Jinja2Templates, krds: bool) -> None:
        self.platform = platform
        self.templates = templates
        self.krds = krds

    def language(self, request: Request, submitted: str | None = None) -> str:
        return choose_language(
            submitted or request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)
        )

    def render(self, request: Request, name: str, lang: str, status: int = 200, **context: Any) -> Response:
        context = {
            "t": Translator(lang),
            "lang": lang,
            "krds": self.krds,
            "problems": (),
            "csrf_token": getattr(request.state, "csrf_token", ""),
            **context,
        }
        context.setdefault("rules_version", self.platform.law.version)
        response = self.templates.TemplateResponse(request, name, context, status_code=status)
        if request.query_params.get("lang") == lang:
            response.set_cookie(
                LANG_COOKIE,
                lang,
                max_age=ONE_YEAR,
                httponly=True,
                samesite="lax",
                secure=True,  # a __Host- cookie must be Secure; browsers accept it on http://localhost too
            )
        apply_security_headers(response.headers, request.url.path)
        return response

    def error_page(self, request: Request, status: int) -> Response | None:
        """A page for a browser that asked for HTML outside the API; None lets the API answer instead."""
        path = request.url.path
        if path.startswith(("/api/", "/openapi")) or "text/html" not in request.headers.get("accept", ""):
            return None
        kind = str(status) if status in (404, 405, 500) else "other"
        return self.render(request, "error.html", self.language(request), status, kind=kind)


def pages_router(pages: Pages) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    law = pages.platform.law

    @router.get("/calc")
    def calc_page(request: Request) -> Response:
        year = min(max(pages.platform.today().year, law.rule_set.first_year), law.rule_set.last_year)
        example = request.query_params.get("example") == "1"
        form = CalcForm.example() if example else CalcForm.blank(year)
        return _calc(pages, request, pages.language(request), form)

    @router.post("/calc")
    async def calc_submit(request: Request) -> Response:
        submitted = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
        fields = {key: value for key, value in submitted.items() if isinstance(value, str)}
        lang = pages.language(request, fields.get("lang"))
        adding = fields.get("action") == "add_payment"
        form = CalcForm.read(fields, add_row=adding)
        if adding:
            return _calc(pages, request, lang, form)
        return compute(pages, request, lang, form)

    return router


def compute(pages: Pages, request: Request, lang: str, form: CalcForm) -> Response:
    """Validate and compute the form; re-render it with the result or with what to fix."""
    conversion = to_request(form)
    if conversion.request is None:
        return _calc(pages, request, lang, form, conversion.problems)
    law = pages.platform.law
    try:
        parsed = parse_request(conversion.request, law.rule_set.first_year, law.rule_set.last_year)
        result = calculate(parsed, law, pages.platform.today())
    except RequestError as error:
        return _calc(pages, request, lang, form, (problem_of(error, conversion.rows),))
    payments = {payment["id"]: payment for payment in conversion.request["payments"]}
    return _calc(
        pages,
        request,
        lang,
        form,
        result=result_to_json(result),
        explanation=explain(result, lang),
        payments=payments,
    )


def _calc(
    pages: Pages,
    request: Request,
    lang: str,
    form: CalcForm,
    problems: tuple[FieldProblem, ...] = (),
    **context: Any,
) -> Response:
    t = Translator(lang)
    shown = tuple(_shown(problem, t) for problem in problems)
    errors = {problem.field: problem.message for problem in shown if problem.field}
    rule_set = pages.platform.law.rule_set
    return pages.render(
        request,
        "calc.html",
        lang,
        422 if shown else 200,
        form=form,
        problems=shown,
        errors=errors,
        options=lambda name, values: [(value, t(f"option.{name}.{value}")) for value in values],
        year_options=[
            (str(year), t("option.year", year=year))
            for year in range(rule_set.last_year, rule_set.first_year - 1, -1)
        ],
        kind_options=[(kind, t.term(f"kind.{kind}")) for kind in get_args(PaymentKind)],
        max_rows=MAX_PAYMENT_ROWS,
        step_label=lambda step: t(f"step.{step}") if f"step.{step}" in messages() else step,
        open_more=any(form.get(name) or name in errors for name in MORE_FIELDS),
        **context,
    )


def _shown(problem: FieldProblem, t: Translator) -> ShownProblem:
    key = problem.key if problem.key in messages() else problem.key.rsplit(".", 1)[0]
    return ShownProblem(problem.field, t(key, label=label_of(problem.field, t), **problem.params))


def label_of(field: str | None, t: Translator) -> str:
    """The label a person sees for a form field, for messages that name it."""
    if field is None:
        return ""
    if field.startswith("payment-"):
        _, row, name = field.split("-", 2)
        return t(f"label.payment.{name}", n=int(row) + 1)
    key = f"label.{field}"
    return t(key) if key in messages() else field
