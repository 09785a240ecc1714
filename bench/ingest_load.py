"""The load side of bench.ingest: the seeded user, the event batches, concurrent clients."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import timedelta

import aiohttp

from bench.stats import percentile
from core.accounts.pairing import create_pairing, redeem_code
from core.accounts.users import upsert_telegram_user
from core.db.base import utcnow
from core.db.engine import create_engine, create_sessionmaker, transaction
from core.db.models import FocusSession

BATCH = 100
HOSTS = ["github.com", "docs.python.org", "stackoverflow.com", "youtube.com", "mail.google.com"]


async def seed(url: str) -> dict[str, str]:
    """A user with a paired device and a session that covers every event sent."""
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    async with transaction(sessionmaker) as db:
        user, _ = await upsert_telegram_user(db, telegram_id=1, chat_id=1)
        _, code = await create_pairing(db, user=user)
        pairing, token = await redeem_code(db, code, device_name="bench")
        now = utcnow()
        session = FocusSession(
            user_id=user.id, goal="bench", started_at=now - timedelta(hours=2),
            planned_end=now + timedelta(hours=6),
        )  # fmt: skip
        db.add(session)
        await db.flush()
    await engine.dispose()
    return {
        "BENCH_TOKEN": token,
        "BENCH_USER_ID": str(user.id),
        "BENCH_DEVICE_ID": str(pairing.device_id),
        "BENCH_SESSION_ID": str(session.id),
    }


def bodies(count: int) -> list[bytes]:
    """`count` batches of fresh events inside the last hour, one second each."""
    start = utcnow() - timedelta(hours=1)
    out = []
    for b in range(count):
        events = []
        for i in range(BATCH):
            at = start + timedelta(seconds=(b * BATCH + i) % 3000)
            events.append({
                "id": str(uuid.uuid4()), "host": HOSTS[i % len(HOSTS)], "title": None,
                "start": at.isoformat(), "end": (at + timedelta(seconds=1)).isoformat(),
                "audible": False, "idle": False,
            })  # fmt: skip
        out.append(json.dumps({"events": events}).encode())
    return out


async def drive(
    url: str, token: str, batches: list[bytes], clients: int
) -> tuple[list[float], float]:
    """Send the batches from `clients` concurrent clients: (latencies, wall seconds)."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    latencies: list[float] = []
    queue = list(reversed(batches))
    async with aiohttp.ClientSession(headers=headers) as http:

        async def client() -> None:
            while queue:
                body = queue.pop()
                began = time.perf_counter()
                async with http.post(url + "/v1/events", data=body) as answer:
                    await answer.read()
                    if answer.status != 202:
                        raise RuntimeError(f"HTTP {answer.status}: {await answer.text()}")
                latencies.append(time.perf_counter() - began)

        began = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        return latencies, time.perf_counter() - began


class Measured:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.wall = 0.0

    def add(self, run: tuple[list[float], float]) -> None:
        self.latencies += run[0]
        self.wall += run[1]

    def line(self, label: str) -> str:
        rate = len(self.latencies) * BATCH / self.wall
        p50, p99 = (percentile(self.latencies, q) * 1000 for q in (0.5, 0.99))
        return f"{label}  {rate:8.0f} ev/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall
