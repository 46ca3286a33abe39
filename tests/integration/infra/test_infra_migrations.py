"""Migrations: one numbered line with a single head; upgrade, downgrade and upgrade again on both databases;
the migrated schema is exactly the tables the code describes."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import ForeignKeyConstraint, MetaData, inspect

from cartax.infra import current_revision, downgrade, head_revision, make_engine, migrate, upgrade
from cartax.infra.migrate import MIGRATIONS, alembic_config, heads
from cartax.infra.schema import all_metadata, combined_metadata


def revisions_in_order() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def test_one_head_and_a_numbered_line() -> None:
    assert len(heads()) == 1
    numbers = revisions_in_order()
    assert numbers == [f"{n:04d}" for n in range(1, len(numbers) + 1)]
    assert head_revision() == numbers[-1]
    for path in (MIGRATIONS / "versions").glob("*.py"):
        assert re.fullmatch(r"\d{4}_[a-z0-9_]+\.py", path.name), path.name


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(db_url: str) -> None:
    assert current_revision(db_url) is None
    upgrade(db_url)
    assert current_revision(db_url) == head_revision()
    migrated = tables(db_url)
    assert "outbox" in migrated
    downgrade(db_url, "base")
    assert current_revision(db_url) is None
    assert tables(db_url) == set()
    upgrade(db_url)
    assert tables(db_url) == migrated


def test_a_database_at_the_head_is_only_looked_at(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    upgrade(db_url)
    calls: list[str] = []
    monkeypatch.setattr(migrate.command, "upgrade", lambda _config, revision: calls.append(revision))
    upgrade(db_url)
    assert calls == []
    downgrade(db_url, "-1")
    upgrade(db_url)
    assert calls == ["head"], "a database behind the head is migrated"


def test_every_migration_steps_up_and_down(db_url: str) -> None:
    seen: list[set[str]] = [set()]
    for revision in revisions_in_order():
        upgrade(db_url, revision)
        seen.append(tables(db_url))
    for expected in reversed(seen[:-1]):
        downgrade(db_url, "-1")
        assert tables(db_url) == expected


def test_migrated_schema_matches_the_tables_in_code(migrated_db_url: str) -> None:
    """The migrations create exactly the tables described in code, column for column, index for index."""
    engine = make_engine(migrated_db_url)
    try:
        with engine.connect() as connection:
            migrated = set(inspect(connection).get_table_names()) - {"alembic_version"}
            described = set(combined_metadata().tables)
            assert migrated - described == set(), (
                "tables created by a migration but described nowhere: add the module describing them "
                "to cartax.infra.schema.TABLE_MODULES"
            )
            assert described - migrated == set(), "tables described in code but created by no migration"
            options = {"compare_type": True, "include_object": _compared(connection.dialect.name)}
            context = MigrationContext.configure(connection, opts=options)
            assert compare_metadata(context, combined_metadata()) == []
    finally:
        engine.dispose()


def _compared(dialect: str) -> Callable[..., bool]:
    """Compare every object but the foreign keys that ``dialect`` holds by triggers instead (marked in
    their ``info`` with the dialect's name, e.g. the detected cases' runs on PostgreSQL)."""

    def include(item: object, _name: str | None, kind: str, reflected: bool, _compare_to: object) -> bool:
        if kind != "foreign_key_constraint" or reflected or not isinstance(item, ForeignKeyConstraint):
            return True
        return not any(dialect in element.info for element in item.elements)

    return include


def test_all_metadata_lists_the_outbox() -> None:
    names = {name for metadata in all_metadata() for name in metadata.tables}
    assert "outbox" in names
    assert all(isinstance(metadata, MetaData) for metadata in all_metadata())
