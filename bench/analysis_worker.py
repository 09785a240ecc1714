"""The analysis benchmark's worker process: the product's jobs plus the no-op baseline.

    python -m bench.analysis_worker   (configured by QTIME_* in the environment)

A module of its own, so the process imports what `qtime worker` imports and no more: the
benchmark's driver (the fake Bot API, migrations, test helpers) would add ~70 MB to the
RSS it reports.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from arq.worker import func

from core.settings import load_settings
from jobs.worker import FUNCTIONS, build_worker

NOOP = "bench_noop"


async def noop(ctx: dict[str, Any]) -> None:
    return None


async def serve() -> None:
    functions = [*FUNCTIONS, func(noop, name=NOOP)]
    # No crons: the sweep would deliver the rows the bench prepares ahead of time.
    await build_worker(load_settings(), functions=functions, cron_jobs=[]).async_run()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="worker %(levelname)s %(name)s: %(message)s")
    asyncio.run(serve())
