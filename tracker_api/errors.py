"""Domain errors as HTTP answers: always JSON `{"detail": ...}` with a 4xx status."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from core.errors import Conflict, DomainError, Expired, InvalidInput, NotFound
from tracker_api.schemas import Detail, ValidationErrors

NOT_AUTHENTICATED = "missing, unknown or revoked device token; pair the browser again"
BODY_TOO_LARGE = "the body is larger than 1 MiB; send fewer events per batch"
TOO_MANY_ATTEMPTS = "too many wrong codes; wait a few minutes and try again"
TOO_MANY_PAIRINGS = "too many pairings from this address; wait a while and try again"
TOO_MANY_BATCHES = "too many event batches from this device; wait a minute and send them again"
TOO_MANY_STREAMS = "too many open streams for this device; close one and try again"
UNKNOWN_PAIRING = "unknown pairing"

STATUS_OF: dict[type[DomainError], int] = {
    NotFound: 404,
    Conflict: 409,
    Expired: 410,
    InvalidInput: 422,
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error answers an operation can give (422's detail is a list)."""
    return {status: {"model": ValidationErrors if status == 422 else Detail} for status in statuses}


async def domain_error(_request: Request, exc: Exception) -> JSONResponse:
    """A domain error's answer; invalid input looks like any other 422, a list of issues."""
    status = next((s for t, s in STATUS_OF.items() if isinstance(exc, t)), 400)
    if status == 422:
        issue = {"type": "invalid", "loc": ["body"], "msg": str(exc)}
        return JSONResponse({"detail": [issue]}, status_code=422)
    return JSONResponse({"detail": str(exc)}, status_code=status)


async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 body without the offending input: the input may be bytes that are not
    UTF-8 or text with lone surrogates (which would make the answer itself fail), and it
    would echo page titles back."""
    assert isinstance(exc, RequestValidationError)
    errors = [{k: v for k, v in e.items() if k in ("type", "loc", "msg")} for e in exc.errors()]
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
