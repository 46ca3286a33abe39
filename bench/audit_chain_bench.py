"""Audit chain: appends per second (one transaction each, as the platform writes them) and verification
throughput, on SQLite (a temporary file) and, when it answers, PostgreSQL (a throwaway database).

Run: ``.venv/bin/python bench/audit_chain_bench.py [--records N]``; writes bench/out/audit_chain_bench.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from cartax.audit import AccessAction, AccessEntry, ChainKeys, record_access, verify
from cartax.audit.adapters.sql import SqlAuditStore
from cartax.infra import make_engine, upgrade

KEYS = ChainKeys.from_secrets(b"benchmark-audit-chain-key-" + b"b" * 16)
T0 = datetime(2026, 8, 14, 9, tzinfo=UTC)
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def entry(n: int) -> AccessEntry:
    return AccessEntry(
        actor="off_bench",
        actor_role="reviewer",
        at=T0 + timedelta(seconds=n),
        source="10.0.0.1",
        action=AccessAction.READ_PERSONAL_DATA,
        subject=f"case:RC-2026-{n:06d}",
        person_ref=f"P11110-{n:07d}",
    )


def measure(url: str, records: int) -> dict[str, float]:
    upgrade(url)
    engine = make_engine(url)
    start = time.perf_counter()
    for n in range(records):
        with Session(engine) as session:
            record_access(SqlAuditStore(session), KEYS, entry(n))
            session.commit()
    appended = time.perf_counter() - start
    start = time.perf_counter()
    with Session(engine) as session:
        report = verify(SqlAuditStore(session), KEYS)
    verified = time.perf_counter() - start
    engine.dispose()
    assert report.intact
    assert report.checked == records
    return {"appends_per_s": records / appended, "verified_per_s": records / verified}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=5000)
    records = parser.parse_args().records
    summary: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, value in measure(f"sqlite:///{Path(folder) / 'bench.db'}", records).items():
            summary[f"sqlite_{name}"] = round(value)
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    database = f"cartax_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{database}"'))
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{database}"
        for name, value in measure(url, records).items():
            summary[f"postgresql_{name}"] = round(value)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()
    print(json.dumps({"records": records, **summary}, indent=2))
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    (out / "audit_chain_bench.json").write_text(
        json.dumps({"records": records, "summary": summary}, indent=2)
    )


if __name__ == "__main__":
    main()
