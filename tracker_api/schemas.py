"""Request and response bodies: the extension's contract, published at /openapi.json."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from core.sessions import MAX_MINUTES, MIN_MINUTES

# No NUL or other C0 control characters: PostgreSQL refuses NUL in text.
PlainText = Annotated[str, Field(pattern=r"^[^\x00-\x1f]*$")]


class Detail(BaseModel):
    detail: str


class DeviceIn(BaseModel):
    device_name: Annotated[PlainText, Field(max_length=200)] = "Browser"
    timezone: Annotated[PlainText, Field(max_length=64)] | None = None


class RedeemIn(DeviceIn):
    code: Annotated[PlainText, Field(max_length=32)]


class PairingOut(BaseModel):
    id: str
    code: str
    deep_link: str | None = Field(description="t.me link that opens the bot; null if unknown")
    expires_at: datetime


class PairingStatusOut(BaseModel):
    status: Literal["pending", "completed", "collected"]
    token: str | None = Field(None, description="the device token, given exactly once")
    device_id: int | None = None


class TokenOut(BaseModel):
    token: str
    device_id: int


class SessionIn(BaseModel):
    minutes: int = Field(ge=MIN_MINUTES, le=MAX_MINUTES)
    goal: Annotated[PlainText, Field(max_length=1000)]


class RejectedEvent(BaseModel):
    index: int
    id: str
    reason: str


class IngestOut(BaseModel):
    accepted: int = Field(description="events stored now")
    duplicates: int = Field(description="events already stored, or repeated in this batch")
    dropped: int = Field(0, description="outside every session, or an excluded host")
    rejected: list[RejectedEvent]


class AnalysisReady(BaseModel):
    review_id: int
