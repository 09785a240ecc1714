"""Metrics for many sessions at once: three queries per batch of sessions, whatever the count.

The weekly report measures every session of a week, so nothing here is per-session I/O.
Only the host rules that can match a host seen are read, not the whole table.

The reading is synchronous, a function of a `Session`: the analysis job runs it in one
thread hop (`core.db.units`), the report through `AsyncSession.run_sync`. The statements are
built once, with expanding parameters, so a call neither rebuilds nor re-keys them; those
that read plain columns are Core statements run on the connection, skipping the ORM layer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from core.db.models import ActivityEvent, Category, FocusSession, HostRule, User
from core.hosts.intent import classifier
from core.metrics.compute import SessionMetrics, Span, compute_metrics

BATCH = 500  # sessions per round of queries, well under every driver's parameter limit
MAX_PATTERNS = 2000  # beyond this many candidate patterns, read all the rules instead

_SESSIONS = (
    select(FocusSession, User.track_titles)
    .join(User, User.id == FocusSession.user_id)
    .where(FocusSession.id.in_(bindparam("ids", expanding=True)))
)
_EVENT = ActivityEvent.metadata.tables[ActivityEvent.__tablename__].c
_EVENTS = select(
    _EVENT.session_id,
    _EVENT.host,
    _EVENT.title,
    _EVENT.started_at,
    _EVENT.ended_at,
    _EVENT.idle,
    _EVENT.audible,
).where(_EVENT.session_id.in_(bindparam("ids", expanding=True)))
_RULE = HostRule.metadata.tables[HostRule.__tablename__].c
_ALL_RULES = select(_RULE.user_id, _RULE.pattern, _RULE.category).where(
    or_(_RULE.user_id.is_(None), _RULE.user_id.in_(bindparam("users", expanding=True)))
)
_RULES = _ALL_RULES.where(_RULE.pattern.in_(bindparam("patterns", expanding=True)))


async def load_metrics(db: AsyncSession, session_ids: Iterable[int]) -> dict[int, SessionMetrics]:
    """Metrics per session id; ids that do not exist are left out."""
    ids = sorted(set(session_ids))
    return await db.run_sync(lambda sync: read_metrics(sync, ids))


def read_metrics(db: Session, ids: Sequence[int]) -> dict[int, SessionMetrics]:
    measured: dict[int, SessionMetrics] = {}
    for first in range(0, len(ids), BATCH):
        rows = db.execute(_SESSIONS, {"ids": ids[first : first + BATCH]})
        measured.update(measure_sessions(db, [(s, bool(on)) for s, on in rows]))
    return measured


def measure_sessions(
    db: Session, sessions: Sequence[tuple[FocusSession, bool]]
) -> dict[int, SessionMetrics]:
    """Metrics of sessions already at hand, each with its owner's title setting."""
    titles_on = {session.id: on for session, on in sessions}
    spans: dict[int, list[Span]] = defaultdict(list)
    for session_id, host, title, start, end, idle, audible in db.connection().execute(
        _EVENTS, {"ids": list(titles_on)}
    ):
        shown = title if titles_on[session_id] else None
        spans[session_id].append(Span(host, start, end, shown, idle, audible))
    hosts = {span.host for found in spans.values() for span in found}
    defaults, by_user = host_rules(db, {s.user_id for s, _ in sessions}, hosts)
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


def host_rules(
    db: Session, user_ids: Iterable[int], hosts: Iterable[str]
) -> tuple[dict[str, Category], dict[int, dict[str, Category]]]:
    """The default rules and each user's own rules, among those that can match `hosts`."""
    patterns = {suffix for host in hosts for suffix in _suffixes(host)}
    if not patterns:
        return {}, {}
    params: dict[str, list[int] | list[str]] = {"users": list(user_ids)}
    query = _ALL_RULES
    if len(patterns) <= MAX_PATTERNS:
        query, params["patterns"] = _RULES, sorted(patterns)
    defaults: dict[str, Category] = {}
    by_user: dict[int, dict[str, Category]] = defaultdict(dict)
    for user_id, pattern, category in db.connection().execute(query, params):
        target = defaults if user_id is None else by_user[user_id]
        target[pattern] = Category(category)
    return defaults, by_user


def _suffixes(host: str) -> list[str]:
    """The patterns that can match a host: itself and each parent domain."""
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]
