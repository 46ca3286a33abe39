"""`cartax detect` on the command line: what it writes, and how it refuses bad arguments."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cartax.cli import build
from cartax.registry.feed_files import FEED_COLUMNS

ROWS = {
    "vehicles": ["v1,12가3456,passenger,private,1999,,,,2025-03-10,2025"],
    "registrations": ["e1,v1,new_registration,2025-03-10,o,,", "e2,v1,transfer,2026-07-01,b,false,"],
    "owners": ["o,person,가상인,,,,,11110,,,", "b,person,가상인,,,,,11110,,,"],
    "payments": ["p1,v1,o,2026,prepay_jan,2026-01-25,381510,114460,11110,false"],
}


def detect(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build(["detect"]), ["detect", *args])
    return result.exit_code, result.output


def feeds(tmp_path: Path) -> Path:
    folder = tmp_path / "feeds"
    folder.mkdir()
    for name, lines in ROWS.items():
        (folder / f"{name}.csv").write_text(
            "\n".join([",".join(FEED_COLUMNS[name]), *lines]) + "\n", encoding="utf-8"
        )
    return folder


def test_a_run_writes_the_case_file_the_rejects_and_the_summary(tmp_path: Path) -> None:
    out = tmp_path / "out" / "cases.jsonl"
    code, _ = detect(
        "--feeds", str(feeds(tmp_path)), "--year", "2026", "--decision-date", "2026-08-14", "--out", str(out)
    )
    assert code == 0
    (record,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert record["totals"] == {"refund": 250040, "interest": 930, "offset": 0, "payable": 250970}
    assert (out.parent / "rejects.csv").read_text(encoding="utf-8") == "feed,row,reason_code,reason\n"
    assert (
        json.loads((out.parent / "cases.jsonl.summary.json").read_text(encoding="utf-8"))[
            "cases_with_refunds"
        ]
        == 1
    )


def test_bad_arguments_are_refused_with_what_is_accepted(tmp_path: Path) -> None:
    folder, out = str(feeds(tmp_path)), str(tmp_path / "cases.jsonl")
    common = ["--decision-date", "2026-08-14"]
    assert detect("--feeds", str(tmp_path / "none"), "--year", "2026", *common, "--out", out)[0] == 2
    code, text = detect("--feeds", folder, "--year", "2019", *common, "--out", out)
    assert code == 2
    assert "2020" in text
    assert "2027" in text
    assert detect("--feeds", folder, "--year", "2026", "--decision-date", "2026-13-01", "--out", out)[0] == 2
    assert detect("--feeds", folder, "--from-db", "--year", "2026", *common)[0] == 2
    code, text = detect("--from-db", "--workers", "2", "--year", "2026", *common)
    assert code == 2
    assert "applies to a --feeds run only" in " ".join(text.replace("│", " ").split())  # however wrapped
    assert detect("--feeds", folder, "--year", "2026", *common, "--out", out, "--workers", "0")[0] == 2
    assert detect("--feeds", folder, "--year", "2026", *common)[0] == 2  # no --out
    assert detect("--feeds", folder, "--year", "2026", *common, "--out", out, "--format", "xml")[0] == 2
