"""The embedded demo: one generated district, detected and stored, ready before the platform serves.

Run once per data directory by ``cartax serve --demo`` (and so by ``make run``): it generates the demo
district's feeds, migrates the database, loads the registry, finds every refund and keeps the cases with
their events, and creates the demo district's two officers. A second start finds the work done and only
serves. Never used when the environment is production.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from cartax.bootstrap import Platform, pii_cipher
from cartax.demo.officers import add_demo_officers
from cartax.demo.policy import publish_demo_policy
from cartax.detection import count_runs, detect_feeds, store_run
from cartax.infra import SqlUnitOfWork, make_engine, session_factory, upgrade
from cartax.registry.adapters.uow import RegistryUnitOfWork
from cartax.registry.feeds import read_feeds
from cartax.registry.ingest import ingest_feeds
from cartax.registry.synth import SynthOptions, select_districts, synthesize
from cartax.settings import Environment

DEMO_DISTRICT = "11680"  # 서울특별시 강남구
DEMO_VEHICLES = 50_000
DEMO_SEED = 2026
DEMO_SECOND_OFFICER_ABOVE = 600_000
"""원: above this the demo's approvals need a second officer (its largest refunds are about 1,200,000원)."""


@dataclass(frozen=True)
class DemoState:
    feeds: Path
    tax_year: int
    decision_on: date
    prepared_now: bool


def prepare_demo(platform: Platform, say: Callable[[str], object] = print) -> DemoState:
    """Make sure the demo district is generated, detected and stored; idempotent."""
    settings = platform.settings
    if settings.environment is Environment.PRODUCTION:
        raise RuntimeError("the demo data set is never prepared in production")
    today = platform.today()
    folder = settings.data_dir / "demo"
    feeds = folder / "feeds"
    url = settings.effective_database_url
    upgrade(url)
    engine = make_engine(url)
    try:
        add_demo_officers(platform, engine, DEMO_DISTRICT, say)
        publish_demo_policy(platform, engine, DEMO_DISTRICT, say)
        if count_runs(engine):
            return DemoState(feeds, today.year, today, prepared_now=False)
        if not (feeds / "vehicles.parquet").is_file():
            say(f"시연 데이터 생성 중: 강남구 차량 {DEMO_VEHICLES:,}대 (generating the demo district)")
            districts = select_districts([DEMO_DISTRICT], nation_by_default=False)
            options = SynthOptions(
                out=feeds, districts=districts, vehicles=DEMO_VEHICLES, tax_year=today.year, seed=DEMO_SEED
            )
            synthesize(options, platform.law)
        say("등록원부·납부 자료 적재 중 (loading the registry into the database)")
        _ingest(platform, engine, feeds)
        say("환급 대상 탐지 중 (finding every refund)")
        result = detect_feeds(
            feeds, today.year, today, folder / "detected" / "cases.jsonl", "jsonl", platform.law
        )
        uow = SqlUnitOfWork(session_factory(engine), platform.clock)
        stored = store_run(uow, result, platform.law, today, platform.clock())
        say(f"환급 대상 {stored.new:,}건을 찾았습니다 (found {stored.new:,} refund cases)")
    finally:
        engine.dispose()
    return DemoState(feeds, today.year, today, prepared_now=True)


def _ingest(platform: Platform, engine: Engine, feeds: Path) -> None:
    """Load the demo feeds into the registry, personal data encrypted, as ``cartax ingest`` does."""
    cipher = pii_cipher(platform.settings)
    ingest_feeds(read_feeds(feeds), RegistryUnitOfWork(session_factory(engine), platform.clock), cipher)
