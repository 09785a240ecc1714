"""Small helpers the benchmark scripts share."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from core.settings import DatabaseSettings


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def rss_mb(pid: int) -> tuple[float, float]:
    """Resident and peak resident memory of a process, in MB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


@asynccontextmanager
async def private_postgres(server_url: str) -> AsyncIterator[str]:
    """The URL of a new, empty database on the PostgreSQL server of `server_url`, dropped
    afterwards, so a run never meets an earlier run's rows."""
    name = f"qtime_bench_{uuid.uuid4().hex[:8]}"
    admin = DatabaseSettings(url=server_url).url or ""

    async def run(sql: str) -> None:
        engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(sql))
        await engine.dispose()

    await run(f'CREATE DATABASE "{name}"')
    try:
        yield admin.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
