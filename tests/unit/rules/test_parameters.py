"""The law is data: every ⚙ reading of rules.md is switched in the parameter files, never in code."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from cartax.rules import Law, ParameterError, default_law, evaluate, load_rule_set
from cartax.rules.adapters.yaml_source import DEFAULT_DIRECTORY
from rules_factories import make_request

TODAY = date(2026, 11, 25)


def law_with(tmp_path: Path, file: str, name: str, values: dict[Any, Any]) -> Law:
    """The shipped rule set with one parameter's values replaced, loaded from a copy."""
    directory = tmp_path / "parameters"
    shutil.copytree(DEFAULT_DIRECTORY, directory)
    path = directory / file
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    content[name]["values"] = values
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    return Law(load_rule_set(directory))


def test_the_shipped_rule_set_is_versioned_and_fingerprinted() -> None:
    rule_set = default_law().rule_set
    assert rule_set.version == "2026.1"
    assert (rule_set.first_year, rule_set.last_year) == (2020, 2027)
    assert len(rule_set.digest) == 16
    for parameter in rule_set.parameters.values():
        assert parameter.description
        assert parameter.unit
        assert parameter.reference


def test_transfer_day_owner_seller_gives_the_seller_one_more_day(tmp_path: Path) -> None:
    law = law_with(tmp_path, "choices.yaml", "transfer_day_owner", {date(2020, 1, 1): "seller"})
    buyer = evaluate(make_request(), default_law(), TODAY)["refunds"][0]
    seller = evaluate(make_request(), law, TODAY)["refunds"][0]
    assert seller["liability_car_tax"] > buyer["liability_car_tax"]
    assert seller["refund_car_tax"] == 191280  # 381,510 × 183/365 kept: one day fewer to refund


def test_gross_basis_computes_the_prepayment_liability_before_the_deduction(tmp_path: Path) -> None:
    law = law_with(tmp_path, "choices.yaml", "prepaid_refund_basis", {date(2020, 1, 1): "gross"})
    line = evaluate(make_request(), law, TODAY)["refunds"][0]
    assert line["liability_car_tax"] == 198250  # floor10(399,800 × 181/365 = 198,256.9)
    assert line["liability_edu_tax"] == 59470


def test_truck_block_rounding_floor(tmp_path: Path) -> None:
    law = law_with(tmp_path, "choices.yaml", "truck_block_rounding", {date(2020, 1, 1): "floor"})
    truck = {"category": "truck", "use": "private", "load_kg": 15000, "first_registered_on": "2020-01-01"}
    holding = {"start": {"event": "held"}, "end": {"event": "held"}}
    assert (
        evaluate(make_request(vehicle=truck, holding=holding, payments=[]), law, TODAY)["annual"]["base"]
        == 157500
    )


def test_deregistration_day_not_taxed(tmp_path: Path) -> None:
    law = law_with(tmp_path, "choices.yaml", "deregistration_day_taxed", {date(2020, 1, 1): False})
    holding = {"start": {"event": "held"}, "end": {"event": "deregistration", "date": "2026-07-01"}}
    taxed = evaluate(make_request(holding=holding), default_law(), TODAY)["refunds"][0]
    untaxed = evaluate(make_request(holding=holding), law, TODAY)["refunds"][0]
    assert untaxed["refund_car_tax"] > taxed["refund_car_tax"]


def test_exemption_from_the_application_date(tmp_path: Path) -> None:
    law = law_with(tmp_path, "choices.yaml", "exemption_retroactive", {date(2020, 1, 1): False})
    exemption = {
        "rate": 1.0,
        "effective_from": "2026-03-02",
        "decided_on": "2026-09-20",
        "applied_on": "2026-09-10",
    }
    holding = {"start": {"event": "held"}, "end": {"event": "held"}}
    payments = [{"id": "h1", "kind": "bill_h1", "paid_on": "2026-06-25", "car_tax": 199900, "edu_tax": 59970}]
    retro = evaluate(
        make_request(holding=holding, payments=payments, exemptions=[exemption]), default_law(), TODAY
    )
    later = evaluate(make_request(holding=holding, payments=payments, exemptions=[exemption]), law, TODAY)
    assert retro["refunds"]
    assert not later["refunds"]


def test_a_new_deduction_rate_takes_effect_by_date_without_code(tmp_path: Path) -> None:
    values = {date(2020, 1, 1): 10, date(2023, 1, 1): 7, date(2024, 1, 1): 5, date(2027, 1, 1): 3}
    law = law_with(tmp_path, "prepayment.yaml", "prepay_deduction_rate", values)
    holding = {"start": {"event": "held"}, "end": {"event": "held"}}
    jan_2027 = evaluate(make_request(tax_year=2027, holding=holding, payments=[]), law, TODAY)[
        "prepay_options"
    ][0]
    assert jan_2027["deduction_car_tax"] == 10420  # age 3 in 2027: 379,800 × 334/365 × 3% = 10,426.3


def test_local_rate_percent_per_district(tmp_path: Path) -> None:
    law = law_with(
        tmp_path,
        "annual_base.yaml",
        "local_rate_percent",
        {date(2020, 1, 1): {"default": 100, "districts": {"11110": 110}}},
    )
    holding = {"start": {"event": "held"}, "end": {"event": "held"}}
    assert evaluate(make_request(holding=holding, payments=[]), law, TODAY)["annual"]["base"] == 439780
    assert (
        evaluate(make_request(holding=holding, payments=[], district="26110"), law, TODAY)["annual"]["base"]
        == 399800
    )


def test_a_local_rate_outside_the_legal_range_is_refused(tmp_path: Path) -> None:
    law = law_with(
        tmp_path,
        "annual_base.yaml",
        "local_rate_percent",
        {date(2020, 1, 1): {"default": 100, "districts": {"11110": 151}}},
    )
    with pytest.raises(ParameterError, match="50 to 150"):
        law.year(2026, "11110")


def test_a_parameter_without_a_value_in_force_is_refused(tmp_path: Path) -> None:
    law = law_with(tmp_path, "bills.yaml", "minimum_tax", {date(2026, 6, 1): 2000})
    with pytest.raises(ParameterError, match="no value in force on 2026-01-01"):
        law.year(2026, "11110")


def test_a_malformed_parameter_file_is_refused_with_its_name(tmp_path: Path) -> None:
    directory = tmp_path / "parameters"
    shutil.copytree(DEFAULT_DIRECTORY, directory)
    (directory / "bills.yaml").write_text("minimum_tax:\n  values: {2020-01-01: 2000}\n", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"bills\.yaml: parameter 'minimum_tax' needs the keys"):
        load_rule_set(directory)
