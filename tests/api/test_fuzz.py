"""Property test over the published contract: whatever schemathesis sends, never a 5xx,
and every answer is one the document promises (status, content type, headers, body shape),
valid input is accepted and invalid input refused.

Cases are drawn from /openapi.json for every operation, valid ones and invalid ones,
and sent with a live device token through the app's own event loop (schemathesis's
ASGI client would run the app in a second loop, away from its database pool). The number
of examples is bounded, so the run fits in CI.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

import httpx
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.generation.case import Case as GenericCase

from core.db.base import utcnow
from core.db.engine import SessionMaker
from tests.api.conftest import Linked, add_session

Case = GenericCase[Any]
EXAMPLES = {GenerationMode.POSITIVE: 50, GenerationMode.NEGATIVE: 25}
# The contract checks that judge one answer; those that send requests of their own (auth
# probing, other methods) would go around the app's event loop.
CONTRACT = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
    checks.positive_data_acceptance,
]


def draw(strategy: st.SearchStrategy[Case], count: int) -> list[Case]:
    cases: list[Case] = []

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(case: Case) -> None:
        cases.append(case)

    with contextlib.suppress(Unsatisfiable):  # nothing invalid to send: no inputs
        collect()
    return cases


def request_args(case: Case, token: str) -> dict[str, Any]:
    kwargs = case.as_transport_kwargs(
        base_url="http://qtime.test", headers={"Authorization": f"Bearer {token}"}
    )
    args: dict[str, Any] = {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "headers": kwargs["headers"],
        "params": kwargs.get("params"),
    }
    if "json" in kwargs:
        args["json"] = kwargs["json"]
    elif isinstance(kwargs.get("data"), str | bytes):
        args["content"] = kwargs["data"]
    elif kwargs.get("data") is not None:
        args["data"] = kwargs["data"]
    return args


def broken_promises(case: Case, answer: httpx.Response) -> list[str]:
    try:
        case.validate_response(answer, checks=CONTRACT)
    except FailureGroup as group:
        return [f"{case.method} {case.formatted_path}: {f.title}" for f in group.exceptions]
    except AssertionError as failure:
        return [f"{case.method} {case.formatted_path}: {failure}"]
    return []


async def test_every_answer_keeps_the_published_contract(
    app: FastAPI, client: httpx.AsyncClient, linker: Any, sessionmaker: SessionMaker
) -> None:
    ann: Linked = await linker(track_titles=True)
    await add_session(sessionmaker, ann.user_id, started=utcnow() - timedelta(hours=1), minutes=480)
    schema = schemathesis.openapi.from_dict(app.openapi())
    token, tried, failures = ann.token, 0, []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # FastAPI's own schema: every operation loads
        operation = result.ok()
        if operation.path == "/v1/stream":
            continue  # never ends; tested in test_stream
        for mode, count in EXAMPLES.items():
            for case in draw(operation.as_strategy(generation_mode=mode), count):
                answer = await client.request(**request_args(case, token))
                tried += 1
                failures += broken_promises(case, answer)
                if answer.status_code == 201 and case.path == "/v1/sessions":
                    # end it, so the next valid case can start one rather than meet a 409
                    await client.post(
                        "/v1/session/end", headers=request_args(case, token)["headers"]
                    )
                if answer.status_code == 204 and case.path == "/v1/devices/me":
                    token = (await linker()).token  # the case revoked the token it used
    assert not failures, sorted(set(failures))
    assert tried > 300


async def test_published_limits_are_the_servers_limits(
    app: FastAPI, client: httpx.AsyncClient, linker: Any
) -> None:
    schemas = app.openapi()["components"]["schemas"]
    goal = schemas["SessionIn"]["properties"]["goal"]
    zones = schemas["DeviceIn"]["properties"]["timezone"]["anyOf"][0]["enum"]
    ann: Linked = await linker()
    longest = {"minutes": 25, "goal": "g" * goal["maxLength"]}
    too_long = {"minutes": 25, "goal": "g" * (goal["maxLength"] + 1)}
    assert (await client.post("/v1/sessions", json=too_long, headers=ann.auth)).status_code == 422
    assert (await client.post("/v1/sessions", json=longest, headers=ann.auth)).status_code == 201
    assert "Europe/Berlin" in zones and "Mars/Base" not in zones
    for zone, status in (("Pacific/Chatham", 201), ("pacific/chatham", 422), ("Mars/Base", 422)):
        body = {"device_name": "Laptop", "timezone": zone}
        assert (await client.post("/v1/pairings", json=body)).status_code == status, zone
