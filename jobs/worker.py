"""The arq worker's composition root: its jobs, crons and lifecycle."""

from __future__ import annotations

import dataclasses
import gc
from typing import Any

from arq import cron
from arq.connections import RedisSettings

from bot.factory import create_bot
from bot.notify import limit_sends
from core.infra.resources import Resources
from core.settings import Settings
from jobs import analysis, export, housekeeping, reconcile, reports, sessions
from jobs.wakeup import WakingWorker

FUNCTIONS: list[Any] = [analysis.ANALYZE, *sessions.FUNCTIONS, reports.SEND, export.EXPORT]
SWEEP_SECONDS = {0, 15, 30, 45}  # what a lost job (a flushed Redis) waits for, at most
CRON_JOBS = [
    cron(housekeeping.purge_expired_pairings, minute={7}, run_at_startup=False),
    cron(reconcile.reconcile_analyses, second=SWEEP_SECONDS, run_at_startup=True),
    cron(sessions.reconcile_sessions, second=SWEEP_SECONDS, run_at_startup=True),
    cron(reports.weekly_report_tick, minute=set(range(0, 60, reports.TICK_MINUTES))),
]
# arq holds a killed worker's job for the longest timeout plus 10 s: this bounds recovery.
JOB_TIMEOUT = 40  # seconds; no job may take longer (jobs.analysis, jobs.export, jobs.reports)


def redis_settings(settings: Settings) -> RedisSettings:
    # No retries of arq's own: the worker waits for Redis itself, logging once (jobs.wakeup).
    return dataclasses.replace(RedisSettings.from_dsn(settings.redis_url), conn_retries=0)


def build_worker(settings: Settings, **overrides: Any) -> WakingWorker:
    async def on_startup(ctx: dict[str, Any]) -> None:
        ctx["resources"] = Resources.open(settings)
        ctx["bot"] = create_bot(settings)
        ctx["send_limiter"] = limit_sends(ctx["bot"], ctx["resources"].redis)
        await analysis.startup(ctx, settings)
        # The imports leave ~240k long-lived objects (aiogram's models mostly) that every
        # full collection would walk again, a pause of ~150 ms; freeze them out of its way.
        gc.collect()
        gc.freeze()

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        await analysis.shutdown(ctx)
        if "bot" in ctx:
            await ctx["bot"].session.close()
        if "resources" in ctx:
            await ctx["resources"].close()

    options: dict[str, Any] = {
        "functions": FUNCTIONS,
        "cron_jobs": [dataclasses.replace(job, next_run=None) for job in CRON_JOBS],  # own schedule
        "redis_settings": redis_settings(settings),
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "health_check_interval": 60,  # arq's default is an hour
        "poll_delay": 0,  # the worker waits for a wake-up between polls (jobs.wakeup)
        "job_timeout": JOB_TIMEOUT,
        "max_tries": 5,
        "keep_result": 3600,
        "handle_signals": False,  # the CLI owns signals
    }
    options.update(overrides)
    return WakingWorker(**options)
