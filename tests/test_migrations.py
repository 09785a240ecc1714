"""Every migration goes up, down and up again, on SQLite and PostgreSQL (the stairway test)."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from core.db.base import Base
from core.db.engine import create_engine
from core.db.migrate import alembic_config, downgrade, upgrade

REVISIONS = [
    r.revision
    for r in reversed(list(ScriptDirectory.from_config(alembic_config("")).walk_revisions()))
]


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


async def _drop_everything(url: str) -> None:
    await downgrade(url, "base")
    assert await _tables(url) == set()


@pytest.mark.parametrize("revision", REVISIONS)
async def test_stairway(database_url: str, revision: str) -> None:
    await _drop_everything(database_url)
    index = REVISIONS.index(revision)
    previous = REVISIONS[index - 1] if index else "base"
    await upgrade(database_url, revision)
    await downgrade(database_url, previous)
    await upgrade(database_url, revision)
    await upgrade(database_url, "head")


async def test_head_matches_the_models(database_url: str) -> None:
    assert await _tables(database_url) == set(Base.metadata.tables)


async def test_default_host_rules_are_seeded(database_url: str) -> None:
    engine = create_engine(database_url)
    async with engine.connect() as conn:
        defaults = text("SELECT pattern, category FROM host_rules WHERE user_id IS NULL")
        rows = dict((await conn.execute(defaults)).all())
    await engine.dispose()
    assert rows["youtube.com"] == "distracting"
    assert rows["github.com"] == "on_task"
