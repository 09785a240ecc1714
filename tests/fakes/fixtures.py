"""Pytest fixtures for the fakes; import them into conftest.py or a test module.

    from tests.fakes.fixtures import fake_telegram, openai_stub

and list them in the importing module's `__all__` so linters keep the import.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.fakes.openai_stub import OpenAIStub
from tests.fakes.telegram import FakeTelegram


@pytest_asyncio.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    """A started fake Bot API on 127.0.0.1 and a free port."""
    async with FakeTelegram() as fake:
        yield fake


@pytest_asyncio.fixture
async def openai_stub() -> AsyncIterator[OpenAIStub]:
    """A started OpenAI-compatible stub; give the SDK `base_url=openai_stub.url`."""
    async with OpenAIStub() as stub:
        yield stub
