"""The vectorised engine finds exactly what the scalar engine finds, case by case, on synthetic districts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cartax.detection.run import detect
from cartax.detection.scalar import compute_scalar
from cartax.detection.vectorised import compute_vectorised
from cartax.registry.feeds import read_feeds
from cartax.registry.synth import SynthOptions, select_districts, synthesize
from cartax.rules import default_law


@pytest.mark.parametrize(("seed", "decision_on"), [(7, date(2026, 11, 20)), (11, date(2027, 3, 2))])
def test_vectorised_equals_scalar(tmp_path: Path, seed: int, decision_on: date) -> None:
    districts = select_districts(["11680", "26110"], nation_by_default=False)
    synthesize(SynthOptions(out=tmp_path, districts=districts, vehicles=4_000, seed=seed))
    feeds = read_feeds(tmp_path)
    scalar = detect(feeds, 2026, decision_on, default_law(), compute_scalar)
    vectorised = detect(feeds, 2026, decision_on, default_law(), compute_vectorised)
    assert scalar.refunds.height > 50, "the synthetic districts hold refunds of every kind"
    assert set(scalar.refunds["cause"].unique()) >= {"R1", "R2", "R3"}
    assert vectorised.refunds.equals(scalar.refunds)
    assert vectorised.records.equals(scalar.records)
