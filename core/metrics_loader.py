"""Metrics for many sessions at once: three queries per batch of sessions, whatever the count.

The weekly report measures every session of a week, so nothing here is per-session I/O.
Only the host rules that can match a host seen are read, not the whole table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.intent import classifier
from core.metrics import SessionMetrics, Span, compute_metrics
from core.models import ActivityEvent, Category, FocusSession, HostRule, User

BATCH = 500  # sessions per round of queries, well under every driver's parameter limit
MAX_PATTERNS = 2000  # beyond this many candidate patterns, read all the rules instead


async def load_metrics(db: AsyncSession, session_ids: Iterable[int]) -> dict[int, SessionMetrics]:
    """Metrics per session id; ids that do not exist are left out."""
    ids = sorted(set(session_ids))
    measured: dict[int, SessionMetrics] = {}
    for first in range(0, len(ids), BATCH):
        rows = await db.execute(
            select(FocusSession, User.track_titles)
            .join(User, User.id == FocusSession.user_id)
            .where(FocusSession.id.in_(ids[first : first + BATCH]))
        )
        measured.update(await measure_sessions(db, [(s, bool(on)) for s, on in rows]))
    return measured


async def measure_sessions(
    db: AsyncSession, sessions: Sequence[tuple[FocusSession, bool]]
) -> dict[int, SessionMetrics]:
    """Metrics of sessions already at hand, each with its owner's title setting."""
    titles_on = {session.id: on for session, on in sessions}
    spans: dict[int, list[Span]] = defaultdict(list)
    events = await db.execute(
        select(
            ActivityEvent.session_id,
            ActivityEvent.host,
            ActivityEvent.title,
            ActivityEvent.started_at,
            ActivityEvent.ended_at,
            ActivityEvent.idle,
            ActivityEvent.audible,
        ).where(ActivityEvent.session_id.in_(list(titles_on)))
    )
    for session_id, host, title, start, end, idle, audible in events:
        shown = title if titles_on[session_id] else None
        spans[session_id].append(Span(host, start, end, shown, idle, audible))
    hosts = {span.host for found in spans.values() for span in found}
    defaults, by_user = await host_rules(db, {s.user_id for s, _ in sessions}, hosts)
    return {
        session.id: compute_metrics(
            spans[session.id],
            window_start=session.started_at,
            window_end=session.window_end,
            classify=classifier(
                goal=session.goal,
                user_rules=by_user.get(session.user_id, {}),
                default_rules=defaults,
                use_titles=on,
            ),
        )
        for session, on in sessions
    }


async def host_rules(
    db: AsyncSession, user_ids: Iterable[int], hosts: Iterable[str]
) -> tuple[dict[str, Category], dict[int, dict[str, Category]]]:
    """The default rules and each user's own rules, among those that can match `hosts`."""
    patterns = {suffix for host in hosts for suffix in _suffixes(host)}
    if not patterns:
        return {}, {}
    query = select(HostRule.user_id, HostRule.pattern, HostRule.category).where(
        or_(HostRule.user_id.is_(None), HostRule.user_id.in_(list(user_ids)))
    )
    if len(patterns) <= MAX_PATTERNS:
        query = query.where(HostRule.pattern.in_(sorted(patterns)))
    defaults: dict[str, Category] = {}
    by_user: dict[int, dict[str, Category]] = defaultdict(dict)
    for user_id, pattern, category in await db.execute(query):
        target = defaults if user_id is None else by_user[user_id]
        target[pattern] = Category(category)
    return defaults, by_user


def _suffixes(host: str) -> list[str]:
    """The patterns that can match a host: itself and each parent domain."""
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]
