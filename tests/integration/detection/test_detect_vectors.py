"""`cartax detect` finds exactly the worked cases' refunds when their facts arrive as feeds."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cartax.detection.run import detect_feeds
from cartax.registry.feed_files import FEED_COLUMNS
from cartax.rules import default_law

VECTORS = Path(__file__).parents[2] / "contract" / "vectors.jsonl"
COLUMNS = {
    name: ",".join(FEED_COLUMNS[name])
    for name in ("vehicles", "registrations", "owners", "payments", "arrears", "exemptions")
}


def _detectable(case: dict[str, Any]) -> bool:
    request = case["request"]
    decided = request.get("decision_on")
    return decided is not None and request.get("as_of") in (None, decided)


CASES = [
    json.loads(line)
    for line in VECTORS.read_text(encoding="utf-8").splitlines()
    if line.strip() and _detectable(json.loads(line))
]


def make_feeds(directory: Path, request: dict[str, Any]) -> None:
    """Write the facts of one calculation request as the six feeds."""
    vehicle, holding, district = request["vehicle"], request["holding"], request["district"]
    rows: dict[str, list[list[Any]]] = {name: [] for name in COLUMNS}
    rows["vehicles"].append(
        [
            "v",
            "12가3456",
            vehicle["category"],
            vehicle["use"],
            vehicle.get("displacement_cc"),
            vehicle.get("van_class"),
            vehicle.get("special_class"),
            vehicle.get("load_kg"),
            vehicle["first_registered_on"],
            vehicle.get("manufactured_year"),
        ]
    )
    for owner in ("before", "o", "after"):
        rows["owners"].append([owner, "person", "가상인", "", "", "", "", district, "", "", ""])
    start, end = holding["start"], holding["end"]
    registrations = rows["registrations"]
    if start["event"] == "transfer":
        registrations.append(
            ["e0", "v", "new_registration", vehicle["first_registered_on"], "before", "", ""]
        )
        registrations.append(["e1", "v", "transfer", start["date"], "o", "false", ""])
    else:
        first = start.get("date") or vehicle["first_registered_on"]
        registrations.append(["e1", "v", "new_registration", first, "o", "", ""])
    if end["event"] == "transfer":
        passed = "true" if end.get("prepayment_passed_on") else "false"
        registrations.append(["e2", "v", "transfer", end["date"], "after", passed, ""])
    elif end["event"] == "deregistration":
        registrations.append(["e2", "v", "deregistration", end["date"], "", "", "scrap"])
    for p in request["payments"]:
        rows["payments"].append(
            [
                p["id"],
                "v",
                "o",
                request["tax_year"],
                p["kind"],
                p["paid_on"],
                p["car_tax"],
                p["edu_tax"],
                district,
                "true" if p.get("via_grievance") else "false",
            ]
        )
    if request.get("arrears"):
        rows["arrears"].append(["o", district, request["arrears"]])
    for e in request["exemptions"]:
        rows["exemptions"].append(["o", "v", e["rate"], e["effective_from"], e["decided_on"]])
    for name, header in COLUMNS.items():
        with (directory / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header.split(","))
            writer.writerows([["" if cell is None else cell for cell in row] for row in rows[name]])


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_detection_reproduces_the_worked_case(case: dict[str, Any], tmp_path: Path) -> None:
    request, expected = case["request"], case["expected"]
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    make_feeds(feeds, request)
    out = tmp_path / "out" / "cases.jsonl"
    decided = date.fromisoformat(request["decision_on"])
    result = detect_feeds(feeds, request["tax_year"], decided, out, "jsonl", default_law())
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert result.summary.rejects == 0
    if not expected["refunds"]:
        assert records == []
        return
    (record,) = records
    assert (record["owner_id"], record["vehicle_id"], record["tax_year"]) == ("o", "v", request["tax_year"])
    assert record["district"] == request["district"]
    assert record["refunds"] == expected["refunds"]
    assert record["totals"] == expected["totals"]
    assert record["rules_version"] == default_law().version
