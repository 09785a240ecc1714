"""The `qtime` command as a user runs it: doctor, migrate and clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from tests.conftest import REDIS_URL
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram


def qtime(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("QTIME_")}
    return subprocess.run(
        [sys.executable, "-m", "qtime", *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_doctor_reports_every_check_and_passes_when_all_answer(
    tmp_path: Path, database_url: str, fake_telegram: FakeTelegram
) -> None:
    result = await _in_thread(
        "doctor",
        cwd=tmp_path,
        QTIME_DATABASE__URL=database_url.replace("+aiosqlite", "").replace("+asyncpg", ""),
        QTIME_REDIS__URL=REDIS_URL,
        QTIME_TELEGRAM__TOKEN=DEFAULT_TOKEN,
        QTIME_TELEGRAM__API_URL=fake_telegram.url,
    )
    lines = result.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["ok", "database"],
        ["ok", "redis"],
        ["ok", "telegram"],
        ["ok", "ai"],
    ], result.stdout + result.stderr
    assert "@qtime_test_bot" in result.stdout
    assert result.returncode == 0


async def test_doctor_names_what_is_down_and_fails(tmp_path: Path) -> None:
    result = await _in_thread(
        "doctor",
        cwd=tmp_path,
        QTIME_DATABASE__URL="postgresql://nobody@127.0.0.1:1/none",
        QTIME_REDIS__URL="redis://127.0.0.1:1/0",
        QTIME_TELEGRAM__TOKEN=DEFAULT_TOKEN,
        QTIME_TELEGRAM__API_URL="http://127.0.0.1:1",
    )
    lines = {line.split()[1]: line for line in result.stdout.splitlines()}
    assert lines["database"].startswith("FAIL")
    assert lines["redis"].startswith("FAIL")
    assert lines["telegram"].startswith("FAIL")
    assert lines["ai"].startswith("ok")
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr


async def test_migrate_then_doctor_on_a_fresh_sqlite(tmp_path: Path) -> None:
    before = await _in_thread("doctor", cwd=tmp_path)
    assert "run `qtime migrate`" in before.stdout
    redis = next(line for line in before.stdout.splitlines() if line.split()[1] == "redis")
    assert redis.startswith("ok    redis     embedded Redis "), before.stdout
    assert "`qtime up`" in redis, "says what starts it"
    migrated = await _in_thread("migrate", cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    after = await _in_thread("doctor", cwd=tmp_path)
    assert after.stdout.startswith("ok    database  SQLite, schema at")


async def test_a_malformed_value_gets_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("QTIME_API__PORT=eighty\n")
    result = await _in_thread("migrate", cwd=tmp_path)
    assert result.returncode == 2
    assert "QTIME_API__PORT" in result.stderr
    assert "Traceback" not in result.stderr


async def test_a_data_dir_that_cannot_be_made_is_explained(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = await _in_thread("migrate", cwd=tmp_path, QTIME_DATA_DIR=str(blocker / "data"))
    assert result.returncode == 2
    assert "data dir" in result.stderr and "QTIME_DATA_DIR" in result.stderr
    assert "Traceback" not in result.stderr


async def test_text_logs_end_with_the_fields_of_each_line(tmp_path: Path) -> None:
    result = await _in_thread("migrate", cwd=tmp_path)
    database = tmp_path / "data" / "qtime.db"
    assert result.returncode == 0, result.stderr
    where = next(line for line in result.stderr.splitlines() if "where the data lives" in line)
    assert where.endswith(
        f"qtime: where the data lives data_dir={tmp_path / 'data'} database={database} "
        f"redis={tmp_path / 'data' / 'redis' / 'redis.sock'}"
    )
    assert "alembic" not in result.stderr, "migrating says nothing of alembic's set-up"


async def test_json_logs_are_one_object_a_line_with_the_fields(tmp_path: Path) -> None:
    result = await _in_thread("migrate", cwd=tmp_path, QTIME_LOG_FORMAT="json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert [line["message"] for line in lines] == [
        "where the data lives",
        "database schema is up to date",
    ]
    where = lines[0]
    assert where["database"] == str(tmp_path / "data" / "qtime.db")
    assert where["level"] == "INFO" and where["logger"] == "qtime"
    assert datetime.fromisoformat(where["time"]).tzinfo is not None


async def test_debug_logs_show_alembic_too(tmp_path: Path) -> None:
    result = await _in_thread("migrate", cwd=tmp_path, QTIME_LOG_LEVEL="DEBUG")
    assert result.returncode == 0, result.stderr
    assert "alembic.runtime.migration" in result.stderr
    assert "Running upgrade" in result.stderr


async def test_an_unknown_log_format_is_named(tmp_path: Path) -> None:
    result = await _in_thread("migrate", cwd=tmp_path, QTIME_LOG_FORMAT="xml")
    assert result.returncode == 2
    assert "QTIME_LOG_FORMAT" in result.stderr
    assert "Traceback" not in result.stderr


async def _in_thread(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI without blocking the loop that serves the fake Bot API."""
    import asyncio

    return await asyncio.to_thread(qtime, *args, cwd=cwd, **env)
