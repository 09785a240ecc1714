"""`export_data`: the user's data as one JSON document, written here and sent as a file.

The document is written to a temporary file (`core.accounts.export` streams the rows into it), so
a long history costs disk, not memory, and the bot stays free for everyone else. A
document over Telegram's 50 MB for bots goes out gzipped. Pressing /export again while
one is under way adds nothing: the job id is the user's (`export:<user id>`).
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import shutil
import tempfile
from typing import IO, Any

from aiogram.methods import SendDocument
from aiogram.types import FSInputFile
from arq.worker import func

from bot.notify import Notifier
from bot.texts import data as texts
from core.accounts.export import write_document
from core.db.base import utcnow
from core.db.engine import create_reader_sessionmaker
from core.db.models import User
from core.errors import NotFound
from core.infra.queue import EXPORT_DATA
from core.infra.resources import Resources
from jobs.retry import PASSING, retry_send

log = logging.getLogger(__name__)

UPLOAD_LIMIT = 50 * 1024 * 1024  # the most a bot may send as a document
RETRY_SECONDS = 15
# A year of browsing takes a few seconds. arq holds a killed worker's jobs for the longest
# timeout of all plus 10 s, so a longer one here would delay every job's recovery.
JOB_TIMEOUT = 40


async def export_data(ctx: dict[str, Any], user_id: int) -> str:
    resources: Resources = ctx["resources"]
    with (
        tempfile.NamedTemporaryFile(prefix="qtime-export-", suffix=".json") as document,
        tempfile.NamedTemporaryFile(prefix="qtime-export-", suffix=".json.gz") as packed,
    ):
        async with create_reader_sessionmaker(resources.engine)() as db:
            user = await db.get(User, user_id)
            if user is None:
                return "forgotten"
            chat_id = user.chat_id
            try:
                await write_document(db, user_id, document)
            except NotFound:
                return "forgotten"
        name = f"qtime-export-{utcnow():%Y-%m-%d}.json"
        sent: IO[bytes] = document
        if document.tell() > UPLOAD_LIMIT:
            await asyncio.to_thread(_gzip, document, packed)
            name, sent = name + ".gz", packed
        notifier = Notifier(ctx["bot"], resources.sessionmaker)
        if sent.tell() > UPLOAD_LIMIT:
            log.warning("export too large to send", extra={"user_id": user_id})
            await notifier.send_text(chat_id, texts.EXPORT_TOO_LARGE)
            return "too large"
        sent.flush()
        method = SendDocument(
            chat_id=chat_id,
            document=FSInputFile(sent.name, filename=name),
            caption=texts.EXPORT_CAPTION,
        )
        try:
            await notifier.deliver(chat_id, method)
        except PASSING as exc:
            raise retry_send(ctx, exc, RETRY_SECONDS) from None
    return "sent"


def _gzip(source: IO[bytes], target: IO[bytes]) -> None:
    source.seek(0)
    with gzip.GzipFile(fileobj=target, mode="wb") as packed:
        shutil.copyfileobj(source, packed)


EXPORT = func(export_data, name=EXPORT_DATA, timeout=JOB_TIMEOUT, keep_result=0, max_tries=5)
