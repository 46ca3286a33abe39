"""Every worked case of the domain (vectors.jsonl) passes exactly: through the library and `cartax calc`."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cartax.rules import default_law, evaluate

HERE = Path(__file__).parent
VECTORS = HERE / "vectors.jsonl"
SHARED = HERE.parents[2] / "shared" / "domain" / "vectors.jsonl"
TODAY = date(2026, 11, 25)


def _cases() -> list[dict[str, Any]]:
    return [json.loads(line) for line in VECTORS.read_text(encoding="utf-8").splitlines() if line.strip()]


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_vector_passes_exactly(case: dict[str, Any]) -> None:
    response = evaluate(case["request"], default_law(), TODAY)
    assert "error" not in response, response.get("error")
    for key, expected in case["expected"].items():
        assert response[key] == expected, key
    assert response["rules_version"] == default_law().version
    assert response["trace"], "the trace is never empty"
    assert all(step["refs"] for step in response["trace"]), "every trace step names its articles"


def test_the_vectors_are_the_domains_own() -> None:
    if not SHARED.is_file():
        pytest.skip("the domain folder is not beside this checkout")
    assert SHARED.read_text(encoding="utf-8") == VECTORS.read_text(encoding="utf-8")


def test_cli_reproduces_every_vector(tmp_path: Path) -> None:
    requests = tmp_path / "requests.jsonl"
    requests.write_text("".join(json.dumps(case["request"]) + "\n" for case in CASES), encoding="utf-8")
    out = tmp_path / "responses.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "cartax", "calc", "--input", str(requests), "--output", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    responses = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(responses) == len(CASES)
    for case, response in zip(CASES, responses, strict=True):
        for key, expected in case["expected"].items():
            assert response[key] == expected, (case["name"], key)
