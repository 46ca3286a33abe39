"""The crash drill, small (the full one is ``make test-crash``): worker processes killed, frozen past
their lease and dying at named crash points, PostgreSQL restarted in immediate mode; every refund paid
exactly once with its amount, the ledger balanced; and the negative control finds duplicates."""

from __future__ import annotations

import os
import random

import pytest

from cartax.infra import throwaway
from payout_drill import run_drill

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_every_refund_is_paid_once_through_kills_pauses_and_a_postgres_restart() -> None:
    if not throwaway.installed():
        if os.environ.get("CI") == "true":
            pytest.fail("the crash drill needs PostgreSQL's initdb", pytrace=False)
        pytest.skip("PostgreSQL's initdb is not installed")
    seed = int(os.environ.get("CARTAX_DRILL_SEED") or random.SystemRandom().randrange(1, 2**31))
    print(f"crash drill seed: {seed} (repeat with CARTAX_DRILL_SEED={seed})")
    drill = run_drill(100, 2, seed, restarts=1, lease=1.0, crash_probability=0.02, deadline=420)
    print("\n".join(drill.lines("drill")))
    assert drill.ok, drill.lines("drill")
    assert drill.restarts == 1
    assert drill.kills + drill.pauses + drill.crash_exits > 0

    control = run_drill(
        80, 2, seed, recovery=False, restarts=0, crash_probability=0.05, chaos_seconds=10, deadline=40
    )
    print("\n".join(control.lines("negative control")))
    assert control.duplicates > 0, "with recovery disabled the drill must find duplicates"
