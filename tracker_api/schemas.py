"""Request and response bodies: the extension's contract, published at /openapi.json."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from core.accounts.users import timezone_names
from core.sessions.lifecycle import GOAL_MAX_CHARS, MAX_MINUTES, MIN_MINUTES

# No NUL or other C0 control characters: PostgreSQL refuses NUL in text.
PlainText = Annotated[str, Field(pattern=r"^[^\x00-\x1f]*$")]


ZONES = frozenset(timezone_names())


def _known_zone(name: str) -> str:
    """Exactly as the schema's enum says (the bot is more forgiving with what people type)."""
    if name not in ZONES:
        raise ValueError("unknown time zone; use an IANA name like Europe/Berlin")
    return name


# The schema lists the zones the server knows, so a client built from it sends only those.
TimeZone = Annotated[
    str,
    Field(json_schema_extra={"enum": sorted(ZONES)}, description="an IANA time zone"),
    AfterValidator(_known_zone),
]


class Detail(BaseModel):
    detail: str


class ValidationIssue(BaseModel):
    type: str
    loc: list[str | int]
    msg: str


class ValidationErrors(BaseModel):
    """Why the request was refused (422): one entry per problem, never the input itself."""

    detail: list[ValidationIssue]


class DeviceIn(BaseModel):
    device_name: Annotated[PlainText, Field(max_length=200)] = "Browser"
    timezone: TimeZone | None = None


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
    # Not blank: at least one character that is neither a control nor a space.
    goal: Annotated[
        str,
        Field(
            min_length=1,
            max_length=GOAL_MAX_CHARS,
            pattern=r"^[^\x00-\x1f]*[^\x00-\x1f\s][^\x00-\x1f]*$",
        ),
    ]


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
