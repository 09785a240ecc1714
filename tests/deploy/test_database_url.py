"""The database URL that `fly postgres attach` sets works as it is."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.db.engine import create_engine
from core.settings import load_settings
from tests.conftest import POSTGRES_URL, SKIP_POSTGRES


@pytest.mark.skipif(SKIP_POSTGRES, reason="QTIME_TEST_SKIP_POSTGRES=1")
async def test_a_fly_style_postgres_url_with_sslmode_connects() -> None:
    fly_url = POSTGRES_URL.replace("postgresql://", "postgres://", 1) + "?sslmode=disable"
    settings = load_settings(_env_file=None, database={"url": fly_url})
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()


def test_other_query_options_and_escaped_passwords_survive() -> None:
    url = "postgresql://qtime:p%40ss@db.internal:5432/qtime?sslmode=require&application_name=qtime"
    settings = load_settings(_env_file=None, database={"url": url})
    assert settings.database_url == (
        "postgresql+asyncpg://qtime:p%40ss@db.internal:5432/qtime?application_name=qtime&ssl=require"
    )
