"""Property test over the published contract: whatever schemathesis sends, never a 5xx.

Cases are drawn from /openapi.json for every operation, valid ones and invalid ones,
and sent with a live device token through the app's own event loop (schemathesis's
ASGI client would run the app in a second loop, away from its database pool).
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
from schemathesis import GenerationMode
from schemathesis.core.result import Ok
from schemathesis.generation.case import Case as GenericCase

from core.db import SessionMaker
from core.models import utcnow
from tests.api.conftest import Linked, add_session

Case = GenericCase[Any]
EXAMPLES = {GenerationMode.POSITIVE: 50, GenerationMode.NEGATIVE: 25}


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


async def test_no_input_makes_a_server_error(
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
                if answer.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path}: {answer.status_code}")
                if answer.status_code == 204 and case.path == "/v1/devices/me":
                    token = (await linker()).token  # the case revoked the token it used
    assert not failures, failures
    assert tried > 300
