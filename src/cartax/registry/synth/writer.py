"""Streaming the feeds to disk district by district: Parquet (one row group per district) or CSV.

Each feed is written under a temporary name and renamed when the run completes, so an interrupted run
never leaves a feed that looks whole. Memory stays bounded by the largest district.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from cartax.registry.synth.errors import SynthError
from cartax.registry.synth.schema import FEEDS, empty

FORMATS = ("parquet", "csv")
PARTIAL = ".partial"


def _arrow_schema(feed: str) -> pa.Schema:
    table = empty(feed).to_arrow()
    return pa.schema(
        [
            pa.field(
                f.name,
                pa.string()
                if pa.types.is_large_string(f.type) or pa.types.is_string_view(f.type)
                else f.type,
            )
            for f in table.schema
        ]
    )


class FeedWriter:
    """Appends district frames to the six feed files of ``out`` in ``fmt``."""

    def __init__(self, out: Path, fmt: str) -> None:
        if fmt not in FORMATS:
            raise SynthError(f"format {fmt!r} is not supported; choose parquet or csv")
        other = FORMATS[1 - FORMATS.index(fmt)]
        clash = [feed for feed in FEEDS if (out / f"{feed}.{other}").exists()]
        if clash:
            raise SynthError(
                f"{out} already holds {clash[0]}.{other}; a feed directory must hold one format. "
                f"Choose an empty directory or remove the .{other} feeds first"
            )
        out.mkdir(parents=True, exist_ok=True)
        self.out, self.fmt = out, fmt
        self._parquet: dict[str, pq.ParquetWriter] = {}
        self._csv: dict[str, IO[bytes]] = {}
        self._schemas = {feed: _arrow_schema(feed) for feed in FEEDS}
        self.rows = dict.fromkeys(FEEDS, 0)

    def _partial(self, feed: str) -> Path:
        return self.out / f"{feed}.{self.fmt}{PARTIAL}"

    def write(self, frames: dict[str, pl.DataFrame]) -> None:
        for feed, frame in frames.items():
            self.rows[feed] += len(frame)
            if self.fmt == "parquet":
                self._write_parquet(feed, frame)
            else:
                self._write_csv(feed, frame)

    def _write_parquet(self, feed: str, frame: pl.DataFrame) -> None:
        writer = self._parquet.get(feed)
        if writer is None:
            writer = self._parquet[feed] = pq.ParquetWriter(
                self._partial(feed), self._schemas[feed], compression="zstd"
            )
        if len(frame):
            writer.write_table(frame.to_arrow().cast(self._schemas[feed]))

    def _write_csv(self, feed: str, frame: pl.DataFrame) -> None:
        sink = self._csv.get(feed)
        first = sink is None
        if sink is None:
            sink = self._csv[feed] = self._partial(feed).open("wb")
        if first or len(frame):
            frame.write_csv(sink, include_header=first, date_format="%Y-%m-%d")

    def close(self) -> dict[str, Path]:
        """Finish every feed (also those no district wrote a row to) and give them their final names."""
        empty_frames = {feed: empty(feed) for feed in FEEDS}
        for feed in FEEDS:
            if feed not in self._parquet and feed not in self._csv:
                self.write({feed: empty_frames[feed]})
        for writer in self._parquet.values():
            writer.close()
        for sink in self._csv.values():
            sink.close()
        paths = {}
        for feed in FEEDS:
            final = self.out / f"{feed}.{self.fmt}"
            self._partial(feed).replace(final)
            paths[feed] = final
        return paths

    def abort(self) -> None:
        for writer in self._parquet.values():
            writer.close()
        for sink in self._csv.values():
            sink.close()
        for feed in FEEDS:
            self._partial(feed).unlink(missing_ok=True)
