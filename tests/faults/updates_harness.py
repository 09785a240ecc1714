"""Telegram updates under fire: 10 users' queued updates, `qtime bot` (polling) or `qtime api`
(webhook) killed again and again while it works through them, and a verdict counting what
each user saw: updates answered, lost, answered twice, answered out of order.

Each user sends /start, then /focus and /cancel in turn with numbered goals, so every
update has a reply of its own ("your focus coach", "Focus on g3-2", "dropped: g3-2"), and a
repeated or skipped update changes what the user sees ("already running", "no session").
Used by tests/faults/test_updates_*.py and bench/faults_updates.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from core.db.engine import create_engine
from core.db.models import FocusSession, User
from tests.fakes.telegram import FakeTelegram, RateLimits
from tests.fakes.telegram_models import FakeUser

# A request a killed process sent just before its end can reach the fake after the kill.
IN_FLIGHT = 0.5


@dataclass
class Script:
    """Who says what, and the reply each update should get."""

    users: list[FakeUser]
    per_user: int

    @classmethod
    def create(cls, fake: FakeTelegram, users: int = 10, per_user: int = 10) -> Script:
        return cls([fake.add_user(f"U{i}") for i in range(users)], per_user)

    def texts(self, index: int) -> list[str]:
        said = ["/start"]
        for k in range(1, self.per_user):
            goal = f"g{index}-{(k + 1) // 2}"
            said.append(f"/focus 25 {goal}" if k % 2 else "/cancel")
        return said

    def expected(self, index: int) -> list[str]:
        """What marks the reply to each update, in order."""
        marks = ["your focus coach"]
        for text in self.texts(index)[1:]:
            if text.startswith("/focus"):
                marks.append(f"Focus on <b>{text.split()[-1]}</b>")
            else:
                marks.append(f"dropped: <b>{marks[-1].split('<b>')[1]}")
        return marks

    def queue(self, fake: FakeTelegram) -> None:
        """Every update waits at Telegram before the bot starts, users interleaved.

        Flood limits are off: a reply they hold back past the bot's retries is dropped by
        design, which would read here as a lost update (tests/bot covers flood control).
        """
        fake.set_rate_limits(RateLimits(global_per_second=None, per_chat_per_second=None))
        scripts = [self.texts(i) for i in range(len(self.users))]
        for k in range(self.per_user):
            for user, texts in zip(self.users, scripts, strict=True):
                fake.send_message(user, texts[k])

    @property
    def total(self) -> int:
        return len(self.users) * self.per_user


@dataclass
class Verdict:
    """What the users saw and what the database holds after a run.

        `effects_*` come from the database: each /focus must have made one session and each
        /cancel dropped it, in order. A kill between a handler's commit and its reply makes
        the update run again; its second answer differs ("already running"). Such answers,
        and the replies they replace, are `replayed`: allowed only where a kill came between the
    user's previous reply and this one.
    """

    expected: int
    answered: int = 0  # updates whose own reply arrived
    replayed: int = 0  # answers beyond one per update
    inversions: int = 0  # replies that came before an earlier update's
    unexplained: list[str] = field(default_factory=list)  # replays with no kill before them
    effects_wrong: list[str] = field(default_factory=list)

    @property
    def unanswered(self) -> int:
        return self.expected - self.answered

    def line(self) -> str:
        return (
            f"answered {self.answered}/{self.expected}, answered again after a kill "
            f"{self.replayed} ({len(self.unexplained)} with no kill before), order "
            f"inversions {self.inversions}, wrong effects {len(self.effects_wrong)}"
        )


def replies(fake: FakeTelegram, chat_id: int) -> list[tuple[str, float]]:
    return [
        (str(call.params["text"]), call.at)
        for call in fake.calls_of("sendMessage")
        if call.ok and int(call.params["chat_id"]) == chat_id
    ]


def judge(fake: FakeTelegram, script: Script, kills: list[float]) -> Verdict:
    verdict = Verdict(script.total)
    for index, user in enumerate(script.users):
        marks = script.expected(index)
        seen: set[int] = set()
        previous = 0.0
        for text, at in replies(fake, user.id):
            match = next((j for j, mark in enumerate(marks) if mark in text), None)
            if match is None or match in seen:
                verdict.replayed += 1
                if not any(previous - IN_FLIGHT <= k <= at for k in kills):
                    moments = [round(k % 1000, 3) for k in kills]
                    verdict.unexplained.append(
                        f"{user.first_name}: {text[:40]} at {at % 1000:.3f}, "
                        f"previous {previous % 1000:.3f}; kills at {moments}"
                    )
            else:
                verdict.inversions += any(j > match for j in seen)
                seen.add(match)
            previous = at
        verdict.answered += len(seen)
    return verdict


async def judge_effects(verdict: Verdict, script: Script, database_url: str) -> Verdict:
    """Each user's sessions, in the order made: g<u>-1 … g<u>-4 dropped, g<u>-5 running."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(User.telegram_id, FocusSession.goal, FocusSession.status)
                    .join(User, User.id == FocusSession.user_id)
                    .order_by(FocusSession.id)
                )
            ).all()
    finally:
        await engine.dispose()
    for index, user in enumerate(script.users):
        made = [(goal, str(status)) for telegram_id, goal, status in rows if telegram_id == user.id]
        sessions = (script.per_user) // 2
        wanted = [(f"g{index}-{k}", "cancelled") for k in range(1, sessions + 1)]
        if script.per_user % 2 == 0:
            wanted[-1] = (wanted[-1][0], "active")
        if made != wanted:
            verdict.effects_wrong.append(f"{user.first_name}: {made}")
    return verdict


def done(fake: FakeTelegram, script: Script) -> bool:
    """Every user's last update answered (a chat's updates are handled in order)."""
    for index, user in enumerate(script.users):
        said = replies(fake, user.id)
        if not said or script.expected(index)[-1] not in said[-1][0]:
            return False
    return True


def replies_sent(fake: FakeTelegram) -> int:
    return sum(1 for call in fake.calls_of("sendMessage") if call.ok)
