from __future__ import annotations

from datetime import timedelta

import pytest

from cartax.identity import (
    AccountError,
    InvalidTokenError,
    Role,
    authenticate_token,
    issue_token,
    revoke_token,
)
from cartax.identity.adapters.memory import MemoryTokens
from identity_factories import T0


def issue(store: MemoryTokens, role: Role = Role.VIEWER, days: int = 30) -> str:
    text, _ = issue_token(
        store,
        name="배치 서버",
        district="11110",
        role=role,
        created_by="off_a",
        lifetime=timedelta(days=days),
        now=T0,
    )
    return text


def test_a_token_acts_with_its_one_role_in_its_one_district() -> None:
    store = MemoryTokens()
    text = issue(store, Role.REVIEWER)
    principal = authenticate_token(store, text, T0 + timedelta(days=1))
    assert principal.machine
    assert principal.roles == {("11110", Role.REVIEWER)}
    (token,) = store.rows.values()
    assert text.split("_")[2] not in token.secret_hash


@pytest.mark.parametrize(
    "mangle", [lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), lambda t: "abc_" + t, str.upper]
)
def test_a_wrong_token_is_refused(mangle: object) -> None:
    store = MemoryTokens()
    text = issue(store)
    with pytest.raises(InvalidTokenError):
        authenticate_token(store, mangle(text), T0)  # type: ignore[operator]


def test_revoked_and_expired_tokens_are_refused() -> None:
    store = MemoryTokens()
    text = issue(store, days=1)
    with pytest.raises(InvalidTokenError):
        authenticate_token(store, text, T0 + timedelta(days=1))
    other = issue(store)
    revoke_token(store, other.split("_")[1], T0)
    with pytest.raises(InvalidTokenError):
        authenticate_token(store, other, T0)


def test_machines_cannot_administer_or_live_forever() -> None:
    with pytest.raises(AccountError, match="administration"):
        issue(MemoryTokens(), Role.ADMIN)
    with pytest.raises(AccountError, match="366 days"):
        issue(MemoryTokens(), days=400)
