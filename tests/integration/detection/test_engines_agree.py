"""The vectorised engine finds exactly what the scalar engine finds, case by case, on synthetic districts."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from cartax.detection.run import detect
from cartax.detection.scalar import compute_scalar
from cartax.detection.vectorised import compute_vectorised
from cartax.registry.feeds import read_feeds
from cartax.registry.synth import SynthOptions, select_districts, synthesize
from cartax.rules import Law, Parameter, default_law


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


@pytest.mark.parametrize("partitions", [2, 5])
def test_a_run_in_vehicle_partitions_finds_what_one_pass_finds(tmp_path: Path, partitions: int) -> None:
    districts = select_districts(["11680", "26110", "26350"], nation_by_default=False)
    synthesize(SynthOptions(out=tmp_path, districts=districts, vehicles=6_000, seed=5))
    feeds = read_feeds(tmp_path, personal=False)
    whole = detect(feeds, 2026, date(2026, 11, 20), default_law(), partitions=1)
    split = detect(feeds, 2026, date(2026, 11, 20), default_law(), partitions=partitions)
    assert whole.summary.offset_total > 0, "some owners' arrears take part of their refunds"
    assert split.records.equals(whole.records)
    assert split.summary.cases_considered == whole.summary.cases_considered
    assert (split.summary.by_district, split.summary.by_cause) == (
        whole.summary.by_district,
        whole.summary.by_cause,
    )
    assert split.rejects == whole.rejects
    # The cases kept for the stored requests are the same cases, whatever their numbering.
    keys = ["case_key", "owner_id", "vehicle_id"]
    assert split.batch.cases.select(keys).sort(keys).equals(whole.batch.cases.select(keys).sort(keys))


def test_districts_under_different_laws_are_computed_each_under_its_own(tmp_path: Path) -> None:
    rules = default_law().rule_set
    parameters = dict(rules.parameters)
    old = parameters["local_rate_percent"]
    local = {"default": 100, "districts": {"26110": 50}}
    parameters["local_rate_percent"] = Parameter(
        old.name, old.description, old.unit, old.reference, ((date(2019, 1, 1), local),)
    )
    law = Law(replace(rules, parameters=parameters))
    districts = select_districts(["11680", "26110"], nation_by_default=False)
    synthesize(SynthOptions(out=tmp_path, districts=districts, vehicles=4_000, seed=7))
    feeds = read_feeds(tmp_path)
    scalar = detect(feeds, 2026, date(2026, 11, 20), law, compute_scalar)
    vectorised = detect(feeds, 2026, date(2026, 11, 20), law, compute_vectorised)
    shipped = detect(feeds, 2026, date(2026, 11, 20), default_law(), compute_vectorised)
    assert vectorised.refunds.equals(scalar.refunds)
    assert vectorised.records.equals(scalar.records)
    assert not vectorised.refunds.equals(shipped.refunds), "the half rate in 26110 changed its refunds"
