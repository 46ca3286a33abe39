"""Partitions detected in worker processes: the same files as in one process, errors surfaced, never half an
answer."""

from __future__ import annotations

import json
import os
import signal
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from test_feed_parts import damaged_feeds

from cartax.detection.cases import CaseBatch
from cartax.detection.errors import WorkerLostError
from cartax.detection.parallel import PartJob, run_parts, worker_pool
from cartax.detection.run import detect_feeds
from cartax.detection.vectorised import compute_vectorised
from cartax.registry.errors import FeedError
from cartax.registry.feeds import FeedParts
from cartax.rules import Law, default_law

DECIDED = date(2026, 11, 20)


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return damaged_feeds(tmp_path_factory.mktemp("parallel") / "feeds", "parquet")


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_two_workers_write_what_one_process_writes(tmp_path: Path, feeds: Path, fmt: str) -> None:
    law = default_law()
    runs = {}
    for workers in (1, 2):
        out = tmp_path / str(workers) / f"cases.{fmt}"
        runs[workers] = detect_feeds(feeds, 2026, DECIDED, out, fmt, law, partitions=4, workers=workers)
    one, two = runs[1], runs[2]
    assert one.records.height > 0
    assert {reject.reason_code for reject in one.rejects} >= {"duplicate_id", "unknown_owner"}
    assert one.summary.offset_total > 0
    assert "partitions_wall" in two.summary.seconds, "the second run used worker processes"
    assert "partitions_wall" not in one.summary.seconds
    for name in (f"cases.{fmt}", "rejects.csv"):
        assert (tmp_path / "2" / name).read_bytes() == (tmp_path / "1" / name).read_bytes(), name
    summaries = [json.loads((tmp_path / str(w) / f"cases.{fmt}.summary.json").read_text()) for w in (1, 2)]
    for summary in summaries:
        summary.pop("seconds")
    assert summaries[0] == summaries[1]
    assert two.rejects == one.rejects
    assert two.batch.cases.equals(one.batch.cases)
    assert two.refunds.equals(one.refunds)


def test_a_feed_refused_in_a_worker_is_the_same_feed_error(tmp_path: Path, feeds: Path) -> None:
    broken = tmp_path / "feeds"
    broken.mkdir()
    for path in feeds.iterdir():
        frame = pl.read_parquet(path)
        if path.stem == "owners":
            frame = frame.drop("kind")  # owners are accepted in the workers
        frame.write_parquet(broken / path.name)
    errors = []
    for workers in (1, 2):
        with pytest.raises(FeedError) as raised:
            detect_feeds(broken, 2026, DECIDED, tmp_path / "out" / "cases.jsonl", "jsonl", default_law(),
                         partitions=3, workers=workers)  # fmt: skip
        errors.append((raised.value.feed, raised.value.message))
    assert errors[0] == errors[1]
    assert errors[1][0] == "owners"
    assert "missing the column kind" in errors[1][1]
    assert not (tmp_path / "out" / "cases.jsonl").exists()


def test_a_partition_refused_in_a_worker_raises_its_feed_error(tmp_path: Path, feeds: Path) -> None:
    copy = tmp_path / "feeds"
    copy.mkdir()
    for path in feeds.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    parts = FeedParts(copy, 3)
    # The file changes after the whole-file checks: only the partitions' workers read it again.
    (copy / "exemptions.parquet").write_bytes(b"not parquet at all")
    jobs = [
        PartJob(plan, 2026, DECIDED, default_law(), compute_vectorised, tmp_path) for plan in parts.plans()
    ]
    received: list[int] = []
    with pytest.raises(FeedError) as raised, worker_pool(2) as pool:
        run_parts(pool, jobs, lambda done: received.append(done.index))
    assert raised.value.feed == "exemptions"
    assert "not a readable Parquet file" in raised.value.message
    assert received == []


def dies(batch: CaseBatch, law: Law, decision_on: date) -> pl.DataFrame:
    """An engine whose process is killed while it computes (as the kernel does when memory runs out)."""
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")


def test_a_worker_that_dies_is_an_error_not_a_partial_answer(tmp_path: Path, feeds: Path) -> None:
    out = tmp_path / "out" / "cases.jsonl"
    with pytest.raises(WorkerLostError, match="no case file was written"):
        detect_feeds(feeds, 2026, DECIDED, out, "jsonl", default_law(), dies, partitions=3, workers=2)
    assert not out.exists()
    assert not (out.parent / "rejects.csv").exists()
