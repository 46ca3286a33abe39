"""``cartax synth``: the feeds it writes follow contracts.md §2 exactly, are realistic and reproducible."""

from __future__ import annotations

import csv
import doctest
import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import cartax.registry.synth.calendar as synth_calendar
import cartax.registry.synth.districts as synth_districts
from cartax.cli import app
from cartax.core.dates import parse_date
from cartax.registry.synth import SynthError, SynthOptions, load_districts, select_districts, synthesize
from cartax.registry.synth.districts import apportion
from cartax.rules import default_law, evaluate

YEAR = 2026
CONTRACT = {  # contracts.md §2, in order
    "vehicles": "vehicle_id, plate, category, use, displacement_cc, van_class, special_class, load_kg, "
    "first_registered_on, manufactured_year",
    "registrations": "event_id, vehicle_id, event, date, owner_id, prepayment_passed_on, reason",
    "owners": "owner_id, kind, name, rrn, phone, email, address, district, refund_bank, refund_account, "
    "refund_account_holder",
    "payments": "payment_id, vehicle_id, owner_id, tax_year, kind, paid_on, car_tax, edu_tax, district, "
    "via_grievance",
    "arrears": "owner_id, district, amount",
    "exemptions": "owner_id, vehicle_id, rate, effective_from, decided_on",
}
DATES = {"vehicles": ["first_registered_on"], "registrations": ["date"], "payments": ["paid_on"]}
DATES["exemptions"] = ["effective_from", "decided_on"]
INTEGERS = {"vehicles": ["displacement_cc", "load_kg", "manufactured_year"], "arrears": ["amount"]}
INTEGERS["payments"] = ["tax_year", "car_tax", "edu_tax"]
BOOLEANS = {"registrations": ["prepayment_passed_on"], "payments": ["via_grievance"]}


def _generate(
    out: Path, vehicles: int, codes: list[str], *, seed: int = 0, fmt: str = "parquet", workers: int = 1
) -> Path:
    chosen = select_districts(codes, nation_by_default=False)
    synthesize(SynthOptions(out, chosen, vehicles, YEAR, seed, fmt, workers))
    return out


def _read(directory: Path) -> dict[str, pl.DataFrame]:
    return {feed: pl.read_parquet(directory / f"{feed}.parquet") for feed in CONTRACT}


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    """About 20,000 vehicles in a large and a small district."""
    return _read(_generate(tmp_path_factory.mktemp("synth"), 20_000, ["11680", "47940"]))


@pytest.fixture(scope="module")
def csv_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _generate(tmp_path_factory.mktemp("synth_csv"), 3_000, ["26350", "50110"], fmt="csv")


def test_the_feeds_have_exactly_the_contract_columns(feeds: dict[str, pl.DataFrame], csv_dir: Path) -> None:
    for feed, columns in CONTRACT.items():
        assert feeds[feed].columns == columns.split(", ")
        with (csv_dir / f"{feed}.csv").open(encoding="utf-8") as handle:
            assert next(csv.reader(handle)) == columns.split(", ")
    assert not list(csv_dir.glob("*.partial"))


def test_csv_values_have_the_contract_formats(csv_dir: Path) -> None:
    for feed in CONTRACT:
        with (csv_dir / f"{feed}.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert rows, feed
        for row in rows:
            for column in DATES.get(feed, []):
                assert parse_date(row[column]).year > 1900
            for column in INTEGERS.get(feed, []):
                assert row[column] == "" or re.fullmatch(r"[0-9]+", row[column]), (feed, column, row[column])
            for column in BOOLEANS.get(feed, []):
                assert row[column] in ("", "true", "false")
            assert "null" not in row.values()
            assert "None" not in row.values()
            if feed == "exemptions":
                assert row["rate"] in ("1.0", "0.5")


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_data(tmp_path: Path) -> None:
    for fmt in ("parquet", "csv"):
        first = _generate(tmp_path / f"a_{fmt}", 1_500, ["11680", "36110"], seed=7, fmt=fmt)
        second = _generate(tmp_path / f"b_{fmt}", 1_500, ["11680", "36110"], seed=7, fmt=fmt)
        other = _generate(tmp_path / f"c_{fmt}", 1_500, ["11680", "36110"], seed=8, fmt=fmt)
        for feed in CONTRACT:
            name = f"{feed}.{fmt}"
            assert (first / name).read_bytes() == (second / name).read_bytes(), name
        assert (first / f"payments.{fmt}").read_bytes() != (other / f"payments.{fmt}").read_bytes()


def test_every_reference_resolves_and_every_id_is_unique(feeds: dict[str, pl.DataFrame]) -> None:
    vehicles, owners = set(feeds["vehicles"]["vehicle_id"]), set(feeds["owners"]["owner_id"])
    for feed, key in (("vehicles", "vehicle_id"), ("owners", "owner_id"), ("payments", "payment_id")):
        assert feeds[feed][key].is_unique().all(), feed
    assert feeds["registrations"]["event_id"].is_unique().all()
    assert feeds["vehicles"]["plate"].is_unique().all()
    for feed in ("registrations", "payments", "exemptions"):
        assert set(feeds[feed]["vehicle_id"]) <= vehicles, feed
    for feed in ("payments", "exemptions", "arrears"):
        assert set(feeds[feed]["owner_id"]) <= owners, feed
    events = feeds["registrations"]
    assert set(events.filter(pl.col("event") != "deregistration")["owner_id"]) <= owners
    gone = events.filter(pl.col("event") == "deregistration")
    assert gone["owner_id"].null_count() == len(gone)
    assert gone["reason"].null_count() == 0
    first = events.group_by("vehicle_id", maintain_order=True).first()
    assert (first["event"] == "new_registration").all()
    assert len(first) == len(vehicles)


def test_every_vehicle_has_an_owner_at_the_start_of_the_year(feeds: dict[str, pl.DataFrame]) -> None:
    events = feeds["registrations"].join(feeds["vehicles"], on="vehicle_id")
    before = events.filter(pl.col("date") < date(YEAR, 1, 1))
    held = before.group_by("vehicle_id").agg(pl.col("event").last(), pl.col("owner_id").last())
    new_in_year = feeds["vehicles"].filter(pl.col("first_registered_on").dt.year() == YEAR)
    assert len(held) + len(new_in_year) == len(feeds["vehicles"])
    assert (held["event"] != "deregistration").all()
    assert held["owner_id"].null_count() == 0


def test_proportions_follow_the_national_register(feeds: dict[str, pl.DataFrame]) -> None:
    vehicles, events, payments = feeds["vehicles"], feeds["registrations"], feeds["payments"]
    n = len(vehicles)
    in_year = events.filter(pl.col("date").dt.year() == YEAR)
    assert in_year.filter(pl.col("event") == "transfer").height / n == pytest.approx(0.136, abs=0.012)
    assert in_year.filter(pl.col("event") == "deregistration").height / n == pytest.approx(0.038, abs=0.008)
    assert in_year.filter(pl.col("event") == "new_registration").height / n == pytest.approx(0.065, abs=0.01)
    assert events["prepayment_passed_on"].sum() > 0
    cars = vehicles.filter(
        (pl.col("category") == "passenger")
        & (pl.col("use") == "private")
        & (pl.col("first_registered_on").dt.year() < YEAR)
    )
    january = payments.filter(pl.col("kind") == "prepay_jan")["vehicle_id"].unique()
    share = cars["vehicle_id"].is_in(january.implode()).mean()
    assert share == pytest.approx(0.35, abs=0.03)
    counts = payments["kind"].value_counts().to_dict(as_series=False)
    kinds = dict(zip(counts["kind"], counts["count"], strict=True))
    assert kinds["prepay_jan"] > kinds["prepay_mar"] > kinds["prepay_sep"] > 0
    assert kinds["june_lump"] > 0
    assert kinds["bill_h1"] > 0
    assert kinds["bill_h2"] > 0
    assert feeds["exemptions"].height / len(cars) == pytest.approx(0.015, abs=0.004)
    assert feeds["arrears"]["owner_id"].n_unique() / feeds["owners"].height == pytest.approx(0.03, abs=0.008)


def test_personal_data_is_plainly_fake(feeds: dict[str, pl.DataFrame]) -> None:
    owners = feeds["owners"]
    persons, companies = owners.filter(pl.col("kind") == "person"), owners.filter(pl.col("kind") == "company")
    assert len(persons)
    assert len(companies)
    assert companies["rrn"].null_count() == len(companies)
    for rrn in persons["rrn"]:
        assert re.fullmatch(r"\d{6}-[09]\d{6}", rrn)  # 9 / 0: born in the 1800s
        digits = [int(c) for c in rrn.replace("-", "")]
        valid = (
            11 - sum(d * w for d, w in zip(digits, [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5], strict=False)) % 11
        ) % 10
        assert digits[12] != valid
    assert persons["phone"].str.contains(r"^010-0\d{3}-\d{4}$").all()
    assert companies["phone"].str.contains(r"^070-0\d{3}-\d{4}$").all()
    assert owners["email"].drop_nulls().str.contains(r"@example\.(com|net|org)$").all()
    assert owners["address"].str.contains("예시로").all()
    assert owners["refund_account"].drop_nulls().str.starts_with("000-").all()
    with_account = persons["refund_account"].is_not_null().mean()
    assert with_account == pytest.approx(0.6, abs=0.03)
    assert persons["name"].str.contains(r"^.[가나다라마바사아자차카타파하]{2}$").all()


def test_districts_are_the_real_ones_with_their_names(feeds: dict[str, pl.DataFrame]) -> None:
    table = load_districts()
    assert len(table) == len({d.code for d in table}) == 229
    assert all(re.fullmatch(r"\d{5}", d.code) for d in table)
    names = {d.code: d.full_name for d in table}
    assert names["11680"] == "서울특별시 강남구"
    assert names["36110"] == "세종특별자치시"
    assert sum(apportion(26_400_000, table)) == 26_400_000
    assert set(feeds["payments"]["district"]) == {"11680", "47940"}
    gangnam = feeds["owners"].filter(pl.col("district") == "11680")
    assert gangnam["address"].str.starts_with("서울특별시 강남구 ").all()
    assert feeds["vehicles"]["vehicle_id"].str.starts_with("V11680-").mean() > 0.9  # 울릉군 is small


def _request(vehicle: dict[str, object], payments: list[dict[str, object]]) -> dict[str, object]:
    fields = (
        "category",
        "use",
        "displacement_cc",
        "van_class",
        "special_class",
        "load_kg",
        "manufactured_year",
    )
    facts = {name: vehicle[name] for name in fields}
    facts["first_registered_on"] = str(vehicle["first_registered_on"])
    return {
        "id": vehicle["vehicle_id"],
        "tax_year": YEAR,
        "district": payments[0]["district"],
        "vehicle": facts,
        "holding": {"start": {"event": "held"}, "end": {"event": "held"}},
        "exemptions": [],
        "payments": [
            {
                "id": p["payment_id"],
                "kind": p["kind"],
                "paid_on": str(p["paid_on"]),
                "car_tax": p["car_tax"],
                "edu_tax": p["edu_tax"],
            }
            for p in payments
        ],
    }


def test_amounts_are_the_rules_engines(feeds: dict[str, pl.DataFrame]) -> None:
    """Whole-year holders without exemption pay exactly what the engine bills or offers."""
    events = feeds["registrations"].filter(pl.col("date") >= date(YEAR, 1, 1))["vehicle_id"]
    quiet = feeds["vehicles"].filter(~pl.col("vehicle_id").is_in(events.implode()))
    quiet = quiet.filter(~pl.col("vehicle_id").is_in(feeds["exemptions"]["vehicle_id"].implode()))
    payments = feeds["payments"].filter(pl.col("vehicle_id").is_in(quiet["vehicle_id"].implode()))
    law, checked = default_law(), 0
    for vehicle in quiet.head(600).iter_rows(named=True):
        paid = payments.filter(pl.col("vehicle_id") == vehicle["vehicle_id"])
        paid = paid.unique(subset=["kind"], keep="first", maintain_order=True)  # leave double payments aside
        if paid.is_empty():
            continue
        answer = evaluate(_request(vehicle, paid.to_dicts()), law, date(YEAR + 1, 2, 1))
        options = {o["window"]: (o["due_car_tax"], o["due_edu_tax"]) for o in answer["prepay_options"]}
        bills = [(h["car_tax"], h["edu_tax"]) for h in answer["half_years"]]
        expected = {"bill_h1": bills[0], "bill_h2": bills[1], "june_lump": options["jun"]}
        expected |= {f"prepay_{window}": amounts for window, amounts in options.items()}
        for payment in paid.iter_rows(named=True):
            amounts = (payment["car_tax"], payment["edu_tax"])
            over = amounts[0] > expected[payment["kind"]][0]  # the few deliberately over-assessed bills
            assert over or amounts == expected[payment["kind"]], payment
            checked += 1
    assert checked > 400


def test_the_command_writes_csv_and_refuses_bad_arguments(tmp_path: Path) -> None:
    runner = CliRunner()
    args = [
        "synth",
        "--out",
        str(tmp_path / "out"),
        "--vehicles",
        "400",
        "--district",
        "26350",
        "--format",
        "csv",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert pl.read_csv(tmp_path / "out" / "vehicles.csv").height == 400
    unknown = runner.invoke(app, ["synth", "--out", str(tmp_path / "x"), "--district", "99999"])
    assert unknown.exit_code == 2
    assert "99999" in unknown.output
    mixed = runner.invoke(
        app, ["synth", "--out", str(tmp_path / "out"), "--vehicles", "10", "--district", "26350"]
    )
    assert mixed.exit_code == 2
    assert "vehicles.csv" in mixed.output


def test_bad_options_are_refused_with_what_is_accepted(tmp_path: Path) -> None:
    chosen = select_districts(["11680"], nation_by_default=False)
    with pytest.raises(SynthError, match="from 20"):
        synthesize(SynthOptions(out=tmp_path, districts=chosen, tax_year=1999))
    with pytest.raises(SynthError, match="positive"):
        synthesize(SynthOptions(out=tmp_path, districts=chosen, vehicles=0))
    with pytest.raises(SynthError, match="twice"):
        select_districts(["11680", "11680"], nation_by_default=False)
    assert len(select_districts(["all"], nation_by_default=False)) == 229
    assert len(select_districts(None, nation_by_default=True)) == 229


def test_doctests() -> None:
    for module in (synth_calendar, synth_districts):
        assert doctest.testmod(module).failed == 0
