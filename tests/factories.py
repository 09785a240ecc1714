"""Rows the tests build directly in the database."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from core.db.models import ActivityEvent

# host, start and end in minutes after the session's start, and any other columns
Span = tuple[str, float, float] | tuple[str, float, float, dict[str, Any]]


def events(
    user_id: int, session_id: int, start: datetime, spans: Iterable[Span]
) -> list[ActivityEvent]:
    """Browser activity of a session: one event per span, placed in minutes from `start`."""
    rows = []
    for host, begin, end, *extra in spans:
        options: dict[str, Any] = extra[0] if extra else {}
        rows.append(ActivityEvent(
            id=uuid.uuid4(), user_id=user_id, session_id=session_id, host=host,
            started_at=start + timedelta(minutes=begin), ended_at=start + timedelta(minutes=end),
            **options,
        ))  # fmt: skip
    return rows


def back_to_back(pieces: Sequence[tuple[str, float, dict[str, Any]]]) -> list[Span]:
    """Spans that follow each other from minute 0: (host, minutes, other columns) each."""
    spans: list[Span] = []
    moment = 0.0
    for host, minutes, options in pieces:
        spans.append((host, moment, moment + minutes, options))
        moment += minutes
    return spans
