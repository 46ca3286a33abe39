"""Streaming the feeds to disk district by district: Parquet (one row group per district) or CSV.

A district's frames are first *encoded* (``encode``: Arrow tables of the feed schema, or CSV bytes),
which the generating process does, so that the one process writing the files only appends. Each feed
is written under a temporary name and renamed when the run completes, so an interrupted run never
leaves a feed that looks whole. Memory stays bounded by the largest district.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO, Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from cartax.registry.synth.errors import SynthError
from cartax.registry.synth.schema import FEEDS, empty

FORMATS = ("parquet", "csv")
PARTIAL = ".partial"


@dataclass(frozen=True, slots=True)
class Encoded:
    """One district's feeds, ready to append: Arrow tables (Parquet) or CSV bytes without header."""

    rows: dict[str, int]
    parts: dict[str, Any]  # pa.Table or bytes, by feed


@cache
def arrow_schema(feed: str) -> pa.Schema:
    """The feed's Arrow schema, with plain ``string`` for text so every reader understands it."""
    fields = []
    for item in empty(feed).to_arrow().schema:
        text = pa.types.is_large_string(item.type) or pa.types.is_string_view(item.type)
        fields.append(pa.field(item.name, pa.string() if text else item.type))
    return pa.schema(fields)


def encode(frames: dict[str, pl.DataFrame], fmt: str) -> Encoded:
    rows = {feed: len(frame) for feed, frame in frames.items()}
    if fmt == "parquet":
        return Encoded(
            rows, {feed: frame.to_arrow().cast(arrow_schema(feed)) for feed, frame in frames.items()}
        )
    return Encoded(rows, {feed: _csv_bytes(frame, header=False) for feed, frame in frames.items()})


def _csv_bytes(frame: pl.DataFrame, *, header: bool) -> bytes:
    sink = io.BytesIO()
    frame.write_csv(sink, include_header=header, date_format="%Y-%m-%d")
    return sink.getvalue()


class FeedWriter:
    """Appends encoded districts to the six feed files of ``out`` in ``fmt``."""

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
        self.rows = dict.fromkeys(FEEDS, 0)
        for feed in FEEDS:
            self._open(feed)

    def _partial(self, feed: str) -> Path:
        return self.out / f"{feed}.{self.fmt}{PARTIAL}"

    def _open(self, feed: str) -> None:
        if self.fmt == "parquet":
            self._parquet[feed] = pq.ParquetWriter(
                self._partial(feed), arrow_schema(feed), compression="zstd"
            )
        else:
            sink = self._csv[feed] = self._partial(feed).open("wb")
            sink.write(_csv_bytes(empty(feed), header=True))

    def write(self, encoded: Encoded) -> None:
        for feed, part in encoded.parts.items():
            self.rows[feed] += encoded.rows[feed]
            if not encoded.rows[feed]:
                continue
            if self.fmt == "parquet":
                self._parquet[feed].write_table(part)
            else:
                self._csv[feed].write(part)

    def close(self) -> dict[str, Path]:
        """Finish every feed and give it its final name."""
        self._close_files()
        paths = {}
        for feed in FEEDS:
            final = self.out / f"{feed}.{self.fmt}"
            self._partial(feed).replace(final)
            paths[feed] = final
        return paths

    def abort(self) -> None:
        self._close_files()
        for feed in FEEDS:
            self._partial(feed).unlink(missing_ok=True)

    def _close_files(self) -> None:
        for writer in self._parquet.values():
            writer.close()
        for sink in self._csv.values():
            sink.close()
