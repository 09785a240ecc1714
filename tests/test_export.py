"""The export document on both databases: every row of the user, in batches, no one else's."""

from __future__ import annotations

import io
import json
from datetime import datetime

import pytest

from core.accounts.export import BATCH, write_document
from core.db.engine import SessionMaker, transaction
from core.errors import NotFound
from tests.analysis.test_loader import T0, add_session

EVENTS = 2 * BATCH + 17  # more than one batch, and a last one part full


async def user_with_history(sessionmaker: SessionMaker, telegram_id: int, host: str) -> int:
    events = [(host, n / 10, n / 10 + 0.05, None) for n in range(EVENTS)]
    async with transaction(sessionmaker) as db:
        session = await add_session(db, telegram_id, events, goal=f'write "{host}", then rest')
        return session.user_id


async def test_the_document_holds_every_row_of_the_user_and_nobody_elses(
    sessionmaker: SessionMaker,
) -> None:
    ann = await user_with_history(sessionmaker, 1, "ann.example.org")
    await user_with_history(sessionmaker, 2, "bob.example.org")
    target = io.BytesIO()
    async with sessionmaker() as db:
        await write_document(db, ann, target)

    document = json.loads(target.getvalue())
    events = document["events"]
    assert document["format"] == "qtime-export/1" and document["user"]["id"] == ann
    assert len(events) == EVENTS and {e["host"] for e in events} == {"ann.example.org"}
    assert [e["started_at"] for e in events] == sorted(e["started_at"] for e in events)
    assert datetime.fromisoformat(events[0]["started_at"]) == T0
    assert [s["goal"] for s in document["sessions"]] == ['write "ann.example.org", then rest']
    assert document["devices"] == [] and "pairings" not in document


async def test_a_forgotten_user_has_nothing_to_export(sessionmaker: SessionMaker) -> None:
    async with sessionmaker() as db:
        with pytest.raises(NotFound):
            await write_document(db, 404, io.BytesIO())
