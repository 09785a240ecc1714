"""A deep link made by someone else links nothing by itself: the bot names the browser and
what it could do, and only **Link** binds it; **Not me** kills the code."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from core.settings import Settings
from tests.api.conftest import client_for, running
from tests.bot.conftest import Chat, PollingBot
from tests.fakes.telegram import FakeTelegram


@pytest.fixture
async def extension(bot_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The API on the bot's database and Redis, as an extension (or an attacker) calls it."""
    app: FastAPI
    async for app in running(bot_settings):
        async with client_for(app) as client:
            yield client


async def new_pairing(extension: httpx.AsyncClient, name: str) -> tuple[str, str]:
    made = await extension.post("/v1/pairings", json={"device_name": name})
    assert made.status_code == 201
    return made.json()["id"], made.json()["code"]


async def test_a_deep_link_binds_only_after_link_is_pressed(
    polling_bot: PollingBot, fake_telegram: FakeTelegram, extension: httpx.AsyncClient
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    pairing_id, code = await new_pairing(extension, "Ann's <b>work</b> laptop")
    asked = await ann.say(f"/start {code}", "asks to be linked")
    assert "Ann's <b>work</b> laptop" in asked.content  # the name as sent, not as markup
    assert "record which sites had your attention" in asked.content
    assert asked.button_texts == ["Link", "Not me"]
    polled = await extension.get(f"/v1/pairings/{pairing_id}")
    assert polled.json() == {"status": "pending"}  # nothing bound by the tap on the link

    await ann.press(asked, "Link", "Linked!")
    collected = (await extension.get(f"/v1/pairings/{pairing_id}")).json()
    assert collected["status"] == "completed"
    token = {"Authorization": f"Bearer {collected['token']}"}
    assert (await extension.get("/v1/session", headers=token)).status_code == 200


async def test_not_me_kills_the_code_and_a_stale_link_button_does_nothing(
    polling_bot: PollingBot, fake_telegram: FakeTelegram, extension: httpx.AsyncClient
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    pairing_id, code = await new_pairing(extension, "Totally your laptop")
    asked = await ann.say(f"/start {code}", "asks to be linked")
    link_button = asked.find_button(text="Link")["callback_data"]
    await ann.press(asked, "Not me", "Not linked")
    assert (await extension.get(f"/v1/pairings/{pairing_id}")).status_code == 404
    await ann.press_data(asked, link_button)  # an old keyboard still showing Link
    assert (await extension.get(f"/v1/pairings/{pairing_id}")).status_code == 404
    assert "unknown or already used" in ann.last.content
    again = await ann.say(f"/link {code}", "unknown or already used")
    assert "asks to be linked" not in again.content


async def test_someone_elses_confirmation_cannot_be_pressed_by_another_user(
    polling_bot: PollingBot, fake_telegram: FakeTelegram, extension: httpx.AsyncClient
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    bob = Chat(fake_telegram, fake_telegram.add_user("Bob"))
    pairing_id, code = await new_pairing(extension, "Laptop")
    asked = await ann.say(f"/start {code}", "asks to be linked")
    await ann.press(asked, "Link", "Linked!")
    await bob.say("/start", "Hi Bob")
    bobs = await bob.say(f"/link {code}", "unknown or already used")
    assert bobs.button_texts == []
