"""``/console/policy``: a district's straight-through policy, its versions, and (administrators only)
publishing a new version.

Every officer of the district sees the policy in force and its history; only an officer holding the
``admin`` role in the district may publish a version. The form says, field by field, what is accepted;
a published version is recorded in the audit chain before the page answers (docs/processing.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from cartax.audit import AccessAction
from cartax.cases import CasesError
from cartax.cases.computation import CAUSES
from cartax.cases.policy import InvalidPolicyError, PolicyProblem, PolicyVersion
from cartax.identity import OfficerPrincipal, Role
from cartax.web.console.deps import ConsoleDeps, chosen_district, sign_in_redirect
from cartax.web.console.processing import ProcessingText
from cartax.web.pages import ShownProblem

PATH = "/console/policy"
NUMBERS = ("max_amount", "account_unchanged_days", "shared_account_limit", "amount_factor_pct")
SWITCHES = ("enabled", "require_verified_account", "block_on_risk")
MAX_FORM_FIELDS = 30


def is_admin(officer: OfficerPrincipal, district: str) -> bool:
    return (district, Role.ADMIN) in officer.roles


@dataclass(frozen=True, slots=True)
class PolicyForm:
    """What the administrator submitted, as typed (re-shown on errors)."""

    values: dict[str, str]
    causes: frozenset[str]
    switches: frozenset[str]
    reason: str
    based_on: str

    @classmethod
    def of(cls, version: PolicyVersion) -> PolicyForm:
        policy = version.policy
        return cls(
            {name: str(getattr(policy, name)) for name in NUMBERS},
            frozenset(policy.review_causes),
            frozenset(name for name in SWITCHES if getattr(policy, name)),
            "",
            str(version.version),
        )

    @classmethod
    def read(cls, fields: dict[str, list[str]]) -> PolicyForm:
        def one(name: str) -> str:
            return (fields.get(name) or [""])[0]

        return cls(
            {name: one(name).strip().replace(",", "") for name in NUMBERS},
            frozenset(value for value in fields.get("review_causes", []) if value in CAUSES),
            frozenset(name for name in SWITCHES if one(name) == "on"),
            one("reason"),
            one("based_on"),
        )

    def changes(self) -> tuple[dict[str, Any], list[PolicyProblem]]:
        changes: dict[str, Any] = {name: name in self.switches for name in SWITCHES}
        changes["review_causes"] = self.causes
        problems = []
        for name in NUMBERS:
            text = self.values[name]
            if not text.isdecimal() or not text.isascii():
                problems.append(PolicyProblem(name, "not_a_number"))
            else:
                changes[name] = int(text)
        return changes, problems


def policy_routes(router: APIRouter, deps: ConsoleDeps) -> None:
    @router.get(PATH)
    def policy_page(request: Request, district: str | None = None, saved: int | None = None) -> Response:
        officer = deps.officer(request)
        if officer is None:
            return sign_in_redirect()
        chosen = chosen_district(officer, district)
        if chosen is None:
            return deps.not_found(request)
        current = deps.services.cases.processing.policy_of(chosen)
        return _page(deps, request, officer, chosen, PolicyForm.of(current), saved=saved)

    @router.post(PATH)
    async def publish_policy(request: Request) -> Response:
        officer = deps.officer(request)
        if officer is None:
            return sign_in_redirect()
        submitted = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
        fields: dict[str, list[str]] = {}
        for key, value in submitted.multi_items():
            if isinstance(value, str):
                fields.setdefault(key, []).append(value)
        chosen = chosen_district(officer, (fields.get("district") or [""])[0] or None)
        if chosen is None:
            return deps.not_found(request)
        form = PolicyForm.read(fields)
        t = ProcessingText(deps.language(request))
        if not is_admin(officer, chosen):
            problem = ShownProblem(None, t("policy.edit.admin_only"))
            return _page(deps, request, officer, chosen, form, 403, (problem,))
        changes, problems = form.changes()
        if problems:
            shown = tuple(ShownProblem(p.field, p.render(t.lang)) for p in problems)
            return _page(deps, request, officer, chosen, form, 422, shown)
        processing = deps.services.cases.processing
        based_on = int(form.based_on) if form.based_on.isdecimal() else -1  # -1: refused as outdated
        try:
            version = processing.publish(
                chosen, changes, officer.officer_id, form.reason, based_on, deps.clock()
            )
        except InvalidPolicyError as error:
            shown = tuple(ShownProblem(p.field, p.render(t.lang)) for p in error.problems)
            return _page(deps, request, officer, chosen, form, 422, shown)
        except CasesError as error:
            return _page(
                deps, request, officer, chosen, form, 409, (ShownProblem(None, error.render(t.lang)),)
            )
        deps.record(
            request, officer, chosen, AccessAction.DECISION, f"policy:{chosen}:v{version.version}", "*",
            version.reason,
        )  # fmt: skip
        return RedirectResponse(f"{PATH}?district={chosen}&saved={version.version}", status_code=303)


def _page(
    deps: ConsoleDeps,
    request: Request,
    officer: OfficerPrincipal,
    district: str,
    form: PolicyForm,
    status: int = 200,
    problems: tuple[ShownProblem, ...] = (),
    saved: int | None = None,
) -> Response:
    processing = deps.services.cases.processing
    lang = deps.language(request)
    errors = {problem.field: problem.message for problem in problems if problem.field}
    return deps.pages.render(
        request,
        "console/policy.html",
        lang,
        status,
        t=ProcessingText(lang),
        officer=officer,
        session=getattr(request.state, "session", None),
        district=district,
        current=processing.policy_of(district),
        history=processing.history(district),
        threshold=processing.base.second_officer_above,
        causes=sorted(CAUSES),
        form=form,
        admin=is_admin(officer, district),
        problems=problems,
        errors=errors,
        saved=saved,
        numbers=NUMBERS,
        switches=SWITCHES,
    )
