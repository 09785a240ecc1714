"""A token of user B can neither read nor change anything of user A."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from core.db.base import utcnow
from core.db.engine import SessionMaker
from core.db.models import ActivityEvent, FocusSession, SessionStatus
from tests.api.conftest import Linked, add_session, exclude
from tests.api.test_ingest import event


async def test_tokens_are_scoped_to_their_user(
    client: httpx.AsyncClient, linker: Any, sessionmaker: SessionMaker
) -> None:
    ann: Linked = await linker(track_titles=True)
    bob: Linked = await linker()
    now = utcnow()
    ann_session = await add_session(
        sessionmaker, ann.user_id, started=now - timedelta(minutes=30), minutes=50
    )
    await exclude(sessionmaker, ann.user_id, "secret.example")
    ann_events = [
        event("a.test", now - timedelta(minutes=20), now - timedelta(minutes=10), title="Ann's")
    ]
    assert (await client.post("/v1/events", json={"events": ann_events}, headers=ann.auth)).json()[
        "accepted"
    ] == 1

    seen_by_bob = (await client.get("/v1/session", headers=bob.auth)).json()
    assert seen_by_bob["active"] is False and seen_by_bob["excluded_hosts"] == []
    assert seen_by_bob["track_titles"] is False
    assert (await client.post("/v1/session/end", headers=bob.auth)).status_code == 404

    # Bob replays Ann's event ids with his own content, inside Ann's session window.
    replay = [{**ann_events[0], "host": "bob.test", "title": "Bob's"}]
    answer = (await client.post("/v1/events", json={"events": replay}, headers=bob.auth)).json()
    assert answer["accepted"] == 0

    assert (await client.delete("/v1/devices/me", headers=bob.auth)).status_code == 204
    assert (await client.get("/v1/session", headers=ann.auth)).json()["id"] == ann_session

    async with sessionmaker() as db:
        rows = list((await db.execute(select(ActivityEvent))).scalars())
        session = await db.get(FocusSession, ann_session)
    assert [(r.user_id, r.host, r.title) for r in rows] == [(ann.user_id, "a.test", "Ann's")]
    assert session is not None and session.status == SessionStatus.active
