"""One `qtime` per data folder: the folder's embedded Redis and SQLite file belong to one process.

A second `qtime up` on the same folder would otherwise reuse the first one's embedded Redis
and shut it down on its way out. The first process holds an exclusive `flock` on
`<data dir>/qtime.lock` for its whole life, with its pid written inside; the kernel drops
the lock when that process ends, however it ends, so a crash never leaves a stale lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from core.settings import ConfigError

LOCK_NAME = "qtime.lock"


@contextlib.contextmanager
def only_instance(data_dir: Path) -> Iterator[None]:
    """Hold the data folder for as long as this runs; ConfigError if another process holds it."""
    path = data_dir / LOCK_NAME
    # Opened without truncating: the holder's pid must stay readable to the one refused.
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 32, 0).decode(errors="replace").strip() or "unknown"
            raise ConfigError(
                f"another qtime (pid {holder}) is running on the data folder {data_dir}; "
                "stop it first, or give this one its own QTIME_DATA_DIR"
            ) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(descriptor)  # releases the lock
