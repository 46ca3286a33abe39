"""``/console/login``: the officers' sign-in page, password and a one-time code together.

The identity context checks both factors, logs the attempt and locks the account after repeated
failures; this page only asks and answers. A failure re-renders the form with one message that does not
say which factor was wrong (so the form cannot tell who has an account), the title starting "오류:".
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from cartax.identity import AccountLockedError, Credentials, IdentityError
from cartax.web.console.deps import HOME_PATH, ConsoleDeps
from cartax.web.pages import ShownProblem

MAX_FIELD = {"username": 64, "password": 256, "code": 16}


def sign_in_routes(router: APIRouter, deps: ConsoleDeps) -> None:
    @router.get("/console/login")
    def sign_in_page(request: Request) -> Response:
        if deps.officer(request) is not None:
            return RedirectResponse(HOME_PATH, status_code=303)
        return deps.render(request, "login.html", username="")

    @router.post("/console/login")
    async def sign_in(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=10)
        fields = {name: str(form.get(name, ""))[:limit] for name, limit in MAX_FIELD.items()}
        t = deps.text(request)
        missing = [
            ShownProblem(name, t(f"login.problem.{name}")) for name in MAX_FIELD if not fields[name].strip()
        ]
        if missing:
            return deps.render(request, "login.html", 422, problems=missing, username=fields["username"])
        source = request.client.host if request.client else "unknown"
        credentials = Credentials(
            fields["username"].strip(), fields["password"], fields["code"].strip(), source
        )
        try:
            officer = deps.services.identity.sign_in_officer(credentials)
        except IdentityError as error:
            key = "login.problem.locked" if isinstance(error, AccountLockedError) else "login.problem.wrong"
            shown = [ShownProblem("username", t(key))]
            return deps.render(request, "login.html", 401, problems=shown, username=fields["username"])
        response = RedirectResponse(HOME_PATH, status_code=303)
        deps.services.identity.open_officer_session(response, officer.officer_id)
        return response
