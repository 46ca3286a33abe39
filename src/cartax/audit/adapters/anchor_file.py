"""Anchors as an append-only JSON Lines file, meant to live where database administrators cannot write
(another host, a WORM bucket mounted as a directory, or printed into the monthly review)."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from cartax.audit.errors import AuditError
from cartax.audit.model import Anchor


class FileAnchors:
    def __init__(self, path: Path) -> None:
        self.path = path

    def add(self, anchor: Anchor) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"seq": anchor.seq, "hash": anchor.hash, "at": anchor.at.isoformat()})
        with self.path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")
            out.flush()
            os.fsync(out.fileno())

    def all(self) -> list[Anchor]:
        if not self.path.exists():
            return []
        anchors = []
        for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                anchors.append(Anchor(int(row["seq"]), str(row["hash"]), datetime.fromisoformat(row["at"])))
            except (ValueError, KeyError, TypeError) as error:
                raise AuditError(
                    f"line {number} of the anchor file {self.path.name} is not an anchor ({error}); "
                    "restore the file from its copy"
                ) from None
        return anchors
