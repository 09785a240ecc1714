"""Batch ingest: what lands in the database, what is dropped, what is refused and how."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from core.db.base import utcnow
from core.db.engine import SessionMaker
from core.db.models import ActivityEvent, SessionStatus
from core.ingest.batch import MAX_EVENTS, STORED_TITLE_CHARS
from core.settings import Settings
from tests.api.conftest import METRICS_AUTH, Linked, add_session, client_for, exclude, running


def event(host: str, start: datetime, end: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "host": host,
        "title": None,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "audible": False,
        "idle": False,
        **fields,
    }


async def stored(sessionmaker: SessionMaker) -> dict[str, ActivityEvent]:
    async with sessionmaker() as db:
        rows = (await db.execute(select(ActivityEvent))).scalars()
        return {str(row.id): row for row in rows}


async def send(client: httpx.AsyncClient, who: Linked, events: list[dict[str, Any]]) -> Any:
    answer = await client.post("/v1/events", json={"events": events}, headers=who.auth)
    assert answer.status_code == 202, answer.text
    return answer.json()


@pytest.fixture
def now() -> datetime:
    return utcnow()


@pytest.fixture
async def ann(linker: Any) -> Linked:
    linked: Linked = await linker()
    return linked


async def test_events_in_a_session_are_stored(
    now: datetime, client: httpx.AsyncClient, ann: Linked, sessionmaker: SessionMaker
) -> None:
    session_id = await add_session(
        sessionmaker, ann.user_id, started=now - timedelta(minutes=30), minutes=50
    )
    batch = [
        event("GitHub.com", now - timedelta(minutes=20), now - timedelta(minutes=10), audible=True),
        event("localhost:8080", now - timedelta(minutes=10), now - timedelta(minutes=5), idle=True),
        event("[::1]:3000", now - timedelta(minutes=5), now - timedelta(minutes=4)),
    ]
    assert await send(client, ann, batch) == {
        "accepted": 3,
        "duplicates": 0,
        "dropped": 0,
        "rejected": [],
    }
    rows = await stored(sessionmaker)
    first = rows[batch[0]["id"]]
    assert (first.host, first.session_id, first.device_id) == (
        "github.com",
        session_id,
        ann.device_id,
    )
    assert first.ended_at - first.started_at == timedelta(minutes=10)
    assert first.audible and not first.idle
    assert rows[batch[1]["id"]].host == "localhost" and rows[batch[1]["id"]].idle
    assert rows[batch[2]["id"]].host == "[::1]"


async def test_stored_times_compare_like_any_other_row(
    client: httpx.AsyncClient, ann: Linked, sessionmaker: SessionMaker
) -> None:
    """Whole-second times too: SQLite compares the stored text, so its format must not vary."""
    start = utcnow().replace(microsecond=0) - timedelta(minutes=30)
    await add_session(sessionmaker, ann.user_id, started=start, minutes=50)
    sent = event("a.test", start, start + timedelta(minutes=1))
    assert (await send(client, ann, [sent]))["accepted"] == 1
    async with sessionmaker() as db:
        found = await db.execute(
            select(ActivityEvent.id).where(
                ActivityEvent.started_at == start,
                ActivityEvent.ended_at > start + timedelta(seconds=59, microseconds=999_999),
            )
        )
    assert [str(i) for i in found.scalars()] == [sent["id"]]


async def test_resending_stores_nothing_twice(
    now: datetime, client: httpx.AsyncClient, ann: Linked, sessionmaker: SessionMaker
) -> None:
    await add_session(sessionmaker, ann.user_id, started=now - timedelta(minutes=30), minutes=50)
    batch = [
        event("a.test", now - timedelta(minutes=20 - i), now - timedelta(minutes=19 - i))
        for i in range(5)
    ]
    assert (await send(client, ann, batch))["accepted"] == 5
    again = await send(client, ann, [*batch, batch[0]])
    assert (again["accepted"], again["duplicates"]) == (0, 6)
    mixed = await send(
        client,
        ann,
        [batch[1], event("b.test", now - timedelta(minutes=3), now - timedelta(minutes=2))],
    )
    assert (mixed["accepted"], mixed["duplicates"]) == (1, 1)
    assert len(await stored(sessionmaker)) == 6


async def test_events_are_clipped_to_the_session(
    now: datetime, client: httpx.AsyncClient, ann: Linked, sessionmaker: SessionMaker
) -> None:
    start = now - timedelta(minutes=60)
    await add_session(
        sessionmaker,
        ann.user_id,
        started=start,
        minutes=50,
        ended=start + timedelta(minutes=30),
        status=SessionStatus.ended,
    )
    before = event("a.test", start - timedelta(minutes=5), start + timedelta(minutes=5))
    after = event("b.test", start + timedelta(minutes=25), start + timedelta(minutes=40))
    assert (await send(client, ann, [before, after]))["accepted"] == 2
    rows = await stored(sessionmaker)
    assert (rows[before["id"]].started_at, rows[before["id"]].ended_at) == (
        start,
        start + timedelta(minutes=5),
    )
    assert rows[after["id"]].ended_at == start + timedelta(minutes=30)


async def test_a_late_batch_still_lands(
    now: datetime, client: httpx.AsyncClient, ann: Linked, sessionmaker: SessionMaker
) -> None:
    """The browser was offline: the session is over, even reviewed, when its events arrive."""
    start = now - timedelta(hours=3)
    reviewed = await add_session(
        sessionmaker, ann.user_id, started=start, minutes=25, status=SessionStatus.reviewed
    )
    late = event("a.test", start + timedelta(minutes=1), start + timedelta(minutes=9))
    assert (await send(client, ann, [late]))["accepted"] == 1
    assert (await stored(sessionmaker))[late["id"]].session_id == reviewed


async def test_events_outside_sessions_are_dropped(
    now: datetime, client: httpx.AsyncClient, ann: Linked, sessionmaker: SessionMaker
) -> None:
    start = now - timedelta(hours=2)
    await add_session(
        sessionmaker,
        ann.user_id,
        started=start,
        minutes=30,
        ended=start + timedelta(minutes=10),
        status=SessionStatus.cancelled,
    )
    batch = [
        event("a.test", start + timedelta(minutes=1), start + timedelta(minutes=2)),
        event("b.test", now - timedelta(minutes=5), now - timedelta(minutes=4)),
    ]
    assert await send(client, ann, batch) == {
        "accepted": 0,
        "duplicates": 0,
        "dropped": 2,
        "rejected": [],
    }
    assert await stored(sessionmaker) == {}


async def test_excluded_hosts_are_never_stored(
    now: datetime, client: httpx.AsyncClient, ann: Linked, sessionmaker: SessionMaker
) -> None:
    await add_session(sessionmaker, ann.user_id, started=now - timedelta(minutes=30), minutes=50)
    await exclude(sessionmaker, ann.user_id, "bank.example")
    batch = [
        event(host, now - timedelta(minutes=20), now - timedelta(minutes=19))
        for host in ("bank.example", "online.BANK.example", "notbank.example")
    ]
    answer = await send(client, ann, batch)
    assert (answer["accepted"], answer["dropped"]) == (1, 2)
    assert [row.host for row in (await stored(sessionmaker)).values()] == ["notbank.example"]


@pytest.mark.parametrize("track_titles", [False, True])
async def test_titles_only_when_the_user_opted_in(
    now: datetime,
    client: httpx.AsyncClient,
    linker: Any,
    sessionmaker: SessionMaker,
    track_titles: bool,
) -> None:
    who: Linked = await linker(track_titles=track_titles)
    await add_session(sessionmaker, who.user_id, started=now - timedelta(minutes=30), minutes=50)
    title = "Chapter\x00 2\tdraft " + "x" * 1000
    sent = event("docs.test", now - timedelta(minutes=20), now - timedelta(minutes=19), title=title)
    await send(client, who, [sent])
    kept = (await stored(sessionmaker))[sent["id"]].title
    clean = "Chapter 2 draft " + "x" * 1000
    assert kept == (clean[:STORED_TITLE_CHARS] if track_titles else None)


async def test_bad_events_are_refused_one_by_one(
    now: datetime, client: httpx.AsyncClient, ann: Linked, sessionmaker: SessionMaker
) -> None:
    await add_session(sessionmaker, ann.user_id, started=now - timedelta(minutes=30), minutes=50)
    good = event("a.test", now - timedelta(minutes=20), now - timedelta(minutes=19))
    bad = [
        event("a.test", now - timedelta(minutes=5), now - timedelta(minutes=6)),
        event("a.test", now - timedelta(hours=20), now - timedelta(hours=1)),
        event("a.test", now - timedelta(minutes=-30), now - timedelta(minutes=-31)),
        event("https://a.test", now - timedelta(minutes=3), now - timedelta(minutes=2)),
        event("a.test/path", now - timedelta(minutes=3), now - timedelta(minutes=2)),
        event("a test", now - timedelta(minutes=3), now - timedelta(minutes=2)),
        event("", now - timedelta(minutes=3), now - timedelta(minutes=2)),
        {**good, "id": str(uuid.uuid4()), "start": "0001-01-01T00:00:00+01:00"},
    ]
    answer = await send(client, ann, [good, *bad])
    assert answer["accepted"] == 1
    assert [(r["index"], r["id"]) for r in answer["rejected"]] == [
        (i + 1, e["id"]) for i, e in enumerate(bad)
    ]
    reasons = [r["reason"] for r in answer["rejected"]]
    assert reasons[:3] == ["end is not after start", "longer than 12 hours", "in the future"]
    assert set(reasons[3:-1]) == {"not a bare hostname"}
    assert reasons[-1] == "time out of range"
    assert list(await stored(sessionmaker)) == [good["id"]]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"events": "no"}',
        b'{"events": [{"id": "1", "host": "a.test"}]}',
        b'{"events": [{"id": "5f0c7a3e-3b9e-4a53-9a54-8c3d2f6b1e20", "host": "a.test",'
        b' "start": "2026-01-01T10:00:00", "end": "2026-01-01T10:01:00"}]}',
        b'{"events": [{"id": "5f0c7a3e-3b9e-4a53-9a54-8c3d2f6b1e20", "host": "a.test",'
        b' "title": "' + b"x" * 3000 + b'", "start": "2026-01-01T10:00:00Z",'
        b' "end": "2026-01-01T10:01:00Z"}]}',
    ],
    ids=["not-json", "not-a-list", "missing-fields", "naive-time", "title-too-long"],
)
async def test_malformed_batches_are_422(
    client: httpx.AsyncClient, ann: Linked, body: bytes
) -> None:
    answer = await client.post(
        "/v1/events", content=body, headers={**ann.auth, "Content-Type": "application/json"}
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][0] == "body"


async def test_batch_size_is_capped(now: datetime, client: httpx.AsyncClient, ann: Linked) -> None:
    batch = [
        event("a.test", now - timedelta(minutes=2), now - timedelta(minutes=1))
        for _ in range(MAX_EVENTS + 1)
    ]
    answer = await client.post("/v1/events", json={"events": batch}, headers=ann.auth)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["type"] == "too_long"


async def test_body_size_is_capped(client: httpx.AsyncClient, ann: Linked) -> None:
    body = json.dumps({"events": [], "padding": "x" * (1024 * 1024)}).encode()
    answer = await client.post(
        "/v1/events", content=body, headers={**ann.auth, "Content-Type": "application/json"}
    )
    assert answer.status_code == 413
    assert "1 MiB" in answer.json()["detail"]

    async def chunks() -> Any:  # no Content-Length: the limit holds while reading
        for _ in range(20):
            yield b" " * 65536

    streamed = await client.post("/v1/events", content=chunks(), headers=ann.auth)
    assert streamed.status_code == 413


async def test_an_event_overlapping_two_sessions_goes_to_the_larger_overlap(
    now: datetime, client: httpx.AsyncClient, ann: Linked, sessionmaker: SessionMaker
) -> None:
    start = now - timedelta(minutes=60)
    await add_session(
        sessionmaker, ann.user_id, started=start, minutes=20, status=SessionStatus.ended
    )
    second = await add_session(
        sessionmaker, ann.user_id, started=start + timedelta(minutes=20), minutes=30
    )
    both = event("a.test", start + timedelta(minutes=18), start + timedelta(minutes=25))
    await send(client, ann, [both])
    row = (await stored(sessionmaker))[both["id"]]
    assert row.session_id == second and row.started_at == start + timedelta(minutes=20)


async def test_ingest_works_with_redis_down(
    now: datetime,
    no_redis_settings: Settings,
    ann: Linked,
    sessionmaker: SessionMaker,
) -> None:
    await add_session(sessionmaker, ann.user_id, started=now - timedelta(minutes=30), minutes=50)
    batch = [event("a.test", now - timedelta(minutes=20), now - timedelta(minutes=19))]
    async for app in running(no_redis_settings):
        async with client_for(app) as client:
            assert (await send(client, ann, batch))["accepted"] == 1
    assert list(await stored(sessionmaker)) == [batch[0]["id"]]


async def test_metrics_count_events_and_requests(
    now: datetime, client: httpx.AsyncClient, ann: Linked, sessionmaker: SessionMaker
) -> None:
    await add_session(sessionmaker, ann.user_id, started=now - timedelta(minutes=30), minutes=50)
    before = (await client.get("/metrics", headers=METRICS_AUTH)).text
    batch = [
        event("a.test", now - timedelta(minutes=20), now - timedelta(minutes=19)),
        event("a b", now - timedelta(minutes=3), now - timedelta(minutes=2)),
    ]
    await send(client, ann, batch)
    after = (await client.get("/metrics", headers=METRICS_AUTH)).text

    def value(text: str, name: str) -> float:
        lines = [line for line in text.splitlines() if line.startswith(name + " ")]
        return float(lines[0].split()[1]) if lines else 0.0

    assert (
        value(after, "qtime_events_accepted_total") - value(before, "qtime_events_accepted_total")
        == 1
    )
    assert (
        value(after, "qtime_events_rejected_total") - value(before, "qtime_events_rejected_total")
        == 1
    )
    assert 'route="/v1/events",status="202"' in after
