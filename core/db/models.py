"""Database tables. Timestamps are stored in UTC and come back tz-aware."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, utcnow


class SessionStatus(StrEnum):
    active = "active"
    ended = "ended"
    reviewed = "reviewed"
    cancelled = "cancelled"


class SessionSource(StrEnum):
    bot = "bot"
    extension = "extension"


class PairingStatus(StrEnum):
    pending = "pending"  # made by the extension, waiting for the bot
    bound = "bound"  # the user is known, the device token not yet collected
    completed = "completed"  # the device exists and its token was handed out once


class Category(StrEnum):
    on_task = "on_task"
    neutral = "neutral"
    distracting = "distracting"
    excluded = "excluded"  # never stored


class AnalysisStatus(StrEnum):
    pending = "pending"
    done = "done"
    failed = "failed"


class ReportStatus(StrEnum):
    pending = "pending"
    sending = "sending"  # a message of it is on its way; a crash here means "maybe sent"
    sent = "sent"
    failed = "failed"


# SQLite hands out max(id) + 1 unless told otherwise, so a forgotten user's ids would come
# back for the next user; PostgreSQL's sequences never go back.
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


def _user_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class User(Base):
    __tablename__ = "users"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    first_name: Mapped[str] = mapped_column(String(128), default="")
    language: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    report_weekday: Mapped[int] = mapped_column(Integer, default=0)  # Monday
    report_hour: Mapped[int] = mapped_column(Integer, default=9)
    track_titles: Mapped[bool] = mapped_column(Boolean, default=False)
    ai_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Device(Base):
    __tablename__ = "devices"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Pairing(Base):
    __tablename__ = "pairings"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[PairingStatus] = mapped_column(String(16), default=PairingStatus.pending)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"))
    device_name: Mapped[str] = mapped_column(String(64), default="Browser")
    timezone: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class FocusSession(Base):
    __tablename__ = "focus_sessions"
    __table_args__ = (
        Index("ix_focus_sessions_user_started", "user_id", "started_at"),
        # At most one active session per user, enforced by the database.
        Index(
            "uq_focus_sessions_one_active",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    goal: Mapped[str] = mapped_column(String(500))
    started_at: Mapped[datetime]
    planned_end: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    status: Mapped[SessionStatus] = mapped_column(String(16), default=SessionStatus.active)
    source: Mapped[SessionSource] = mapped_column(String(16), default=SessionSource.bot)
    due_notified_at: Mapped[datetime | None]  # "time's up" sent
    reminded_at: Mapped[datetime | None]  # the single review reminder sent
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def window_end(self) -> datetime:
        """Where tracking stops: the actual end if ended early, else the planned one."""
        return min(self.ended_at, self.planned_end) if self.ended_at else self.planned_end


class ActivityEvent(Base):
    __tablename__ = "activity_events"
    __table_args__ = (Index("ix_activity_events_user_start", "user_id", "started_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)  # made by the client
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"))
    session_id: Mapped[int] = mapped_column(
        ForeignKey("focus_sessions.id", ondelete="CASCADE"), index=True
    )
    host: Mapped[str] = mapped_column(String(253))
    title: Mapped[str | None] = mapped_column(String(300))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    audible: Mapped[bool] = mapped_column(Boolean, default=False)
    idle: Mapped[bool] = mapped_column(Boolean, default=False)


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("focus_sessions.id", ondelete="CASCADE"), unique=True
    )
    user_id: Mapped[int] = _user_fk()
    extra_activities: Mapped[str | None] = mapped_column(Text)
    goal_result: Mapped[str] = mapped_column(String(8))  # yes | partly | no
    self_quality: Mapped[int] = mapped_column(Integer)
    self_distraction: Mapped[int] = mapped_column(Integer)
    solutions: Mapped[list[str]] = mapped_column(JSON, default=list)
    solutions_other: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)


class Analysis(Base):
    __tablename__ = "analyses"
    __table_args__ = (Index("ix_analyses_status_updated", "status", "updated_at"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(
        ForeignKey("reviews.id", ondelete="CASCADE"), unique=True
    )
    user_id: Mapped[int] = _user_fk()
    analyser: Mapped[str | None] = mapped_column(String(64))  # "local" or the model name
    quality: Mapped[int | None] = mapped_column(Integer)
    distraction: Mapped[int | None] = mapped_column(Integer)
    solutions: Mapped[list[str]] = mapped_column(JSON, default=list)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[AnalysisStatus] = mapped_column(String(16), default=AnalysisStatus.pending)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)  # the "Analysing…" message
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    delivered_at: Mapped[datetime | None]


class WeeklyReport(Base):
    __tablename__ = "weekly_reports"
    __table_args__ = (UniqueConstraint("user_id", "iso_week"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    iso_week: Mapped[str] = mapped_column(String(8))  # e.g. 2026-W48
    status: Mapped[ReportStatus] = mapped_column(String(16), default=ReportStatus.pending)
    message_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class HostRule(Base):
    __tablename__ = "host_rules"
    __table_args__ = (UniqueConstraint("user_id", "pattern"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )  # NULL: a default rule for everyone
    pattern: Mapped[str] = mapped_column(String(253))  # a host; matches its subdomains too
    category: Mapped[Category] = mapped_column(String(16))
