"""The precise readings of contracts.md §2 that detection itself is responsible for."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from cartax.detection import cases
from cartax.detection.cases import case_key, with_case_keys
from cartax.detection.run import detect_feeds
from cartax.registry.feed_files import FEED_COLUMNS
from cartax.rules import default_law

HEADERS = {
    name: ",".join(FEED_COLUMNS[name])
    for name in ("vehicles", "registrations", "owners", "payments", "arrears")
}
CAR = "passenger,private,1999,,,,2025-03-10,2025"  # 399,800 a year, bills 199,900 + 59,970


def write(directory: Path, **feeds: list[str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, header in HEADERS.items():
        lines = [header, *feeds.get(name, [])]
        (directory / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


def owners(*ids: str) -> list[str]:
    return [f"{owner},person,가상인,,,,,11110,,," for owner in ids]


def run(feeds: Path, out: Path) -> list[dict]:  # type: ignore[type-arg]
    detect_feeds(feeds, 2026, date(2026, 8, 14), out, "jsonl", default_law())
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_a_payer_who_held_no_day_gets_everything_back(tmp_path: Path) -> None:
    feeds = write(
        tmp_path / "feeds",
        vehicles=[f"v1,12가3456,{CAR}"],
        owners=owners("seller", "buyer"),
        registrations=[
            "e1,v1,new_registration,2025-03-10,seller,,",
            "e2,v1,transfer,2025-11-02,buyer,false,",
        ],
        payments=[
            "p1,v1,seller,2026,bill_h1,2026-06-20,199900,59970,11110,false",
            "p2,v1,seller,2026,bill_h1,2026-06-21,199900,59970,11110,false",
        ],
    )
    (record,) = run(feeds, tmp_path / "out" / "cases.jsonl")
    assert [(r["payment_id"], r["cause"]) for r in record["refunds"]] == [("p1", "R4"), ("p2", "R3")]
    assert record["totals"]["refund"] == 2 * 259870


def test_arrears_take_the_refund_that_arose_first_across_cases(tmp_path: Path) -> None:
    feeds = write(
        tmp_path / "feeds",
        vehicles=[f"v1,12가3456,{CAR}", f"v2,34나5678,{CAR}"],
        owners=owners("o", "b"),
        registrations=[
            "e1,v1,new_registration,2025-03-10,o,,",
            "e2,v2,new_registration,2025-03-10,o,,",
            "e3,v1,transfer,2026-07-01,b,false,",
        ],
        payments=[
            "p1,v1,o,2026,prepay_jan,2026-01-25,381510,114460,11110,false",
            "p2,v2,o,2026,bill_h1,2026-06-20,199900,59970,11110,false",
            "p3,v2,o,2026,bill_h1,2026-06-25,199900,59970,11110,false",
        ],
        arrears=["o,11110,200000", "o,11110,100000", "o,41110,999999"],
    )
    first, second = run(feeds, tmp_path / "out" / "cases.jsonl")
    assert (first["vehicle_id"], second["vehicle_id"]) == ("v1", "v2")
    # the duplicate of 25 June arose before the transfer of 1 July: it is offset first, in full
    assert second["totals"]["offset"] == second["totals"]["refund"] + second["totals"]["interest"]
    assert second["totals"]["payable"] == 0
    assert first["totals"]["offset"] == 300000 - second["totals"]["offset"]


def test_a_new_registration_without_deregistration_ends_the_holding_like_a_transfer(tmp_path: Path) -> None:
    feeds = write(
        tmp_path / "feeds",
        vehicles=[f"v1,12가3456,{CAR}"],
        owners=owners("o", "n"),
        registrations=["e1,v1,new_registration,2025-03-10,o,,", "e2,v1,new_registration,2026-07-01,n,,"],
        payments=["p1,v1,o,2026,prepay_jan,2026-01-25,381510,114460,11110,false"],
    )
    (record,) = run(feeds, tmp_path / "out" / "cases.jsonl")
    assert record["refunds"][0]["cause"] == "R1"
    assert record["totals"]["refund"] == 250040


def test_same_day_events_apply_in_file_order(tmp_path: Path) -> None:
    feeds = write(
        tmp_path / "feeds",
        vehicles=[f"v1,12가3456,{CAR}"],
        owners=owners("o", "a", "b"),
        registrations=[
            "e1,v1,new_registration,2025-03-10,o,,",
            "e2,v1,transfer,2026-07-01,a,false,",
            "e3,v1,transfer,2026-07-01,b,false,",
        ],
        payments=["p1,v1,a,2026,bill_h2,2026-12-10,199900,59970,11110,false"],
    )
    (record,) = run(feeds, tmp_path / "out" / "cases.jsonl")
    assert record["owner_id"] == "a"
    assert record["refunds"][0]["cause"] == "R4"  # a held the car on no day: b took it the same day


def test_prepayment_passed_on_leaves_nothing_to_the_seller(tmp_path: Path) -> None:
    feeds = write(
        tmp_path / "feeds",
        vehicles=[f"v1,12가3456,{CAR}"],
        owners=owners("o", "b"),
        registrations=["e1,v1,new_registration,2025-03-10,o,,", "e2,v1,transfer,2026-07-01,b,TRUE,"],
        payments=["p1,v1,o,2026,prepay_jan,2026-01-25,381510,114460,11110,false"],
    )
    assert run(feeds, tmp_path / "out" / "cases.jsonl") == []


def test_twice_on_the_same_data_gives_identical_output(tmp_path: Path) -> None:
    feeds = write(
        tmp_path / "feeds",
        vehicles=[f"v{i},12가{i:04},{CAR}" for i in range(20)],
        owners=owners(*(f"o{i}" for i in range(20)), "b"),
        registrations=[f"e{i},v{i},new_registration,2025-03-10,o{i},," for i in range(20)]
        + [f"t{i},v{i},transfer,2026-0{1 + i % 9}-1{i % 10},b,false," for i in range(0, 20, 2)],
        payments=[
            f"p{i},v{i},o{i},2026,prepay_jan,2026-01-2{i % 10},381510,114460,11110,false" for i in range(20)
        ],
    )
    once = (run(feeds, tmp_path / "a" / "cases.jsonl"), (tmp_path / "a" / "cases.jsonl").read_bytes())
    again = (run(feeds, tmp_path / "b" / "cases.jsonl"), (tmp_path / "b" / "cases.jsonl").read_bytes())
    assert once[1] == again[1]
    assert len(once[0]) == 10


def test_rejects_are_written_beside_the_output_and_the_rest_is_processed(tmp_path: Path) -> None:
    feeds = write(
        tmp_path / "feeds",
        vehicles=[f"v1,12가3456,{CAR}", "v2,x,bus,private,1000,,,,2020-01-01,2020"],
        owners=owners("o", "b"),
        registrations=["e1,v1,new_registration,2025-03-10,o,,", "e2,v1,transfer,2026-07-01,b,false,"],
        payments=[
            "p1,v1,o,2026,prepay_jan,2026-01-25,381510,114460,11110,false",
            "p2,v2,o,2026,bill_h1,2026-06-20,1000,0,11110,false",
            'p3,v1,o,2026,bill_h1,2026-06-20,"1,000",0,11110,false',
        ],
    )
    out = tmp_path / "out" / "cases.jsonl"
    records = run(feeds, out)
    assert len(records) == 1
    with (out.parent / "rejects.csv").open(encoding="utf-8") as handle:
        rejects = list(csv.DictReader(handle))
    assert {(r["feed"], r["row"]) for r in rejects} == {
        ("vehicles", "3"),
        ("payments", "3"),
        ("payments", "4"),
    }
    assert all(r["reason"] and r["reason_code"] for r in rejects)


def test_a_payment_for_a_year_before_the_first_registration_is_rejected(tmp_path: Path) -> None:
    feeds = write(
        tmp_path / "feeds",
        vehicles=[f"v1,12가3456,{CAR}", "v2,34나5678,passenger,private,1999,,,,2027-02-01,2027"],
        owners=owners("o", "b"),
        registrations=["e1,v1,new_registration,2025-03-10,o,,", "e2,v1,transfer,2026-07-01,b,false,"],
        payments=[
            "p1,v1,o,2026,prepay_jan,2026-01-25,381510,114460,11110,false",
            "p2,v2,o,2026,bill_h1,2026-06-20,1000,0,11110,false",
        ],
    )
    out = tmp_path / "out" / "cases.jsonl"
    assert len(run(feeds, out)) == 1
    with (out.parent / "rejects.csv").open(encoding="utf-8") as handle:
        (reject,) = list(csv.DictReader(handle))
    assert (reject["feed"], reject["row"], reject["reason_code"]) == ("payments", "3", "inconsistent")


def test_case_keys_computed_column_wise_equal_the_scalar_key() -> None:
    frame = pl.DataFrame({"owner_id": ["o1", "가상-7", ""], "vehicle_id": ["v1", "v2", "v3"]})
    keyed = with_case_keys(frame, 2026)
    assert keyed["case_key"].to_list() == [
        case_key(o, v, 2026) for o, v in zip(frame["owner_id"], frame["vehicle_id"], strict=True)
    ]


def test_an_owner_who_held_twice_in_the_year_is_judged_on_the_later_holding(tmp_path: Path) -> None:
    feeds = write(
        tmp_path / "feeds",
        vehicles=[f"v1,12가3456,{CAR}"],
        owners=owners("o", "a"),
        registrations=[
            "e1,v1,new_registration,2025-03-10,o,,",
            "e2,v1,transfer,2026-07-01,a,false,",
            "e3,v1,transfer,2026-07-01,o,false,",
        ],
        payments=["p1,v1,o,2026,bill_h2,2026-12-10,199900,59970,11110,false"],
    )
    # Judged on the first holding (ended by the transfer of 1 July) o would get the second half back.
    assert run(feeds, tmp_path / "out" / "cases.jsonl") == []


@pytest.mark.parametrize("longest", [16, 2])
def test_each_pair_keeps_its_last_holding_however_long_the_history(
    monkeypatch: pytest.MonkeyPatch, longest: int
) -> None:
    monkeypatch.setattr(cases, "LONGEST_HISTORY", longest)
    owners = ["a", "b", "a", "c", "a", "b"]  # v1 changes hands five times in the year, v2 never
    holdings = pl.DataFrame(
        {
            "vehicle_id": ["v1"] * len(owners) + ["v2"],
            "owner_id": [*owners, "a"],
            "start_date": [date(2026, 1 + i, 1) for i in range(len(owners))] + [None],
        }
    )
    kept = cases._last_of_pairs(holdings).sort("vehicle_id", "owner_id")
    assert kept.rows() == [
        ("v1", "a", date(2026, 5, 1)),
        ("v1", "b", date(2026, 6, 1)),
        ("v1", "c", date(2026, 4, 1)),
        ("v2", "a", None),
    ]
