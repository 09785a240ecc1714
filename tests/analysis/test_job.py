"""Submit → Redis → worker → the "Analysing…" message edited into the result, once."""

from __future__ import annotations

from sqlalchemy import update

from core.db.engine import transaction
from core.db.models import Analysis, AnalysisStatus
from tests.analysis.conftest import Harness


async def test_the_analysing_message_becomes_the_result(harness: Harness) -> None:
    sub = await harness.submit(goal="write chapter 2", quality=4, distraction=1)
    await harness.run_worker()

    [message] = harness.bot_messages(sub)
    assert message.message_id == sub.message.message_id
    text = message.content
    assert "Session analysis: write chapter 2" in text
    assert "Quality     4/5" in text and "Distraction 1/5" in text
    assert "Measured: 55 min tracked of 1 h 00 min" in text
    assert "github.com 40 min" in text and "youtube.com 15 min" in text
    analysis = await harness.analysis(sub.review_id)
    assert analysis.status == AnalysisStatus.done and analysis.delivered_at is not None
    assert analysis.analyser == "local" and not analysis.fallback
    assert len(analysis.solutions) == 3
    for number, sentence in enumerate(analysis.solutions, 1):
        assert f"{number}. {sentence}" in text
    assert analysis.metrics["on_task_minutes"] == 40


async def test_running_the_job_again_sends_nothing_more(harness: Harness) -> None:
    sub = await harness.submit()
    await harness.run_worker()
    calls = len(harness.fake.calls)
    assert await harness.enqueue(sub.review_id)
    await harness.run_worker()
    assert len(harness.fake.calls) == calls
    assert len(harness.bot_messages(sub)) == 1


async def test_a_crash_between_the_edit_and_the_delivered_mark_repeats_only_the_edit(
    harness: Harness,
) -> None:
    sub = await harness.submit()
    await harness.run_worker()
    shown = harness.bot_messages(sub)[0].content
    async with transaction(harness.resources.sessionmaker) as db:
        await db.execute(update(Analysis).values(delivered_at=None))  # as if killed before it
    assert await harness.enqueue(sub.review_id)
    await harness.run_worker()

    assert [m.content for m in harness.bot_messages(sub)] == [shown]
    assert len(harness.fake.calls_of("sendMessage")) == 1  # the "Analysing…" message only
    assert (await harness.analysis(sub.review_id)).delivered_at is not None


async def test_a_session_without_browser_data_gets_an_honest_answer(harness: Harness) -> None:
    sub = await harness.submit(events=(), goal_result="yes", distraction=3)
    await harness.run_worker()
    text = harness.bot_messages(sub)[0].content
    assert "No browser activity was recorded in this session" in text
    assert "Distraction 3/5  3/5" in text


async def test_user_text_is_shown_literally(harness: Harness) -> None:
    sub = await harness.submit(goal='fix <b>&"bold"</b> bug')
    await harness.run_worker()
    assert 'Session analysis: fix <b>&"bold"</b> bug' in harness.bot_messages(sub)[0].content


async def test_a_deleted_analysing_message_gets_a_new_result_message(harness: Harness) -> None:
    sub = await harness.submit(queue=False)
    bot = harness.fake.make_bot()
    try:
        await bot.delete_message(sub.message.chat.id, sub.message.message_id)
    finally:
        await bot.session.close()
    assert await harness.enqueue(sub.review_id)
    await harness.run_worker()

    [message] = harness.bot_messages(sub)
    assert "Session analysis" in message.content
    assert (await harness.analysis(sub.review_id)).message_id == message.message_id
