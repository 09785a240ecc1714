"""Log output for every `qtime` process: the `extra={…}` fields kept, the routine chatter quiet.

Text lines end in the record's extra fields as `key=value`; `QTIME_LOG_FORMAT=json` writes
one JSON object a line (time, level, logger, message, the extra fields) for log shippers.
Call `configure` once, before anything logs.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from core.settings import LogFormat

# Every attribute a plain record has; anything else on a record came from `extra=`,
# except uvicorn's coloured copy of its message.
_NOT_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}
_TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Lines arq writes at INFO for what needs no operator: the crons' start and end every 15 s,
# its health record, and the "shutdown on SIGUSR1" it logs from `close()` when no signal came.
_ARQ_JOB_LINES = ("%6.2fs → %s(%s)%s", "%6.2fs ← %s ● %s")
_ARQ_CRON = "cron:"


def extra_fields(record: logging.LogRecord) -> dict[str, object]:
    return {k: v for k, v in vars(record).items() if k not in _NOT_FIELDS}


def _text_value(value: object) -> str:
    text = str(value)
    return json.dumps(text) if not text or any(c in text for c in ' "=\n') else text


class TextFormatter(logging.Formatter):
    """`time LEVEL logger: message key=value …`, a traceback on the lines after."""

    def __init__(self) -> None:
        super().__init__(_TEXT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        fields = "".join(f" {k}={_text_value(v)}" for k, v in extra_fields(record).items())
        return super().formatMessage(record) + fields


class JsonFormatter(logging.Formatter):
    """One JSON object a line; a traceback goes in `exception`."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in extra_fields(record).items():
            entry.setdefault(key, value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def _routine_arq_line(record: logging.LogRecord) -> bool:
    args = record.args if isinstance(record.args, tuple) else ()
    if record.msg in _ARQ_JOB_LINES:
        return len(args) > 1 and str(args[1]).startswith(_ARQ_CRON)
    if record.msg == "recording health: %s":
        return True
    return str(record.msg).startswith("shutdown on %s") and args[:1] == ("SIGUSR1",)


class RoutineToDebug(logging.Filter):
    """Logs arq's routine INFO lines at DEBUG: shown only when the log level is DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or not _routine_arq_line(record):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def configure(level: str, log_format: LogFormat) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format is LogFormat.json else TextFormatter())
    logging.basicConfig(level=level.upper(), handlers=[handler])
    logging.getLogger("arq.worker").addFilter(RoutineToDebug())
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        # Alembic's plugin and context lines on every start; its errors still show.
        logging.getLogger("alembic").setLevel(logging.WARNING)
