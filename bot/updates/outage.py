"""Riding out a service that stops answering: one log line per outage, growing waits."""

from __future__ import annotations

import logging

FIRST_WAIT = 0.2
LONGEST_WAIT = 5.0


class Outage:
    """Tracks one loop's failures in a row; `failed` logs the first and returns the wait."""

    def __init__(self, log: logging.Logger, what: str) -> None:
        self.log = log
        self.what = what
        self.failures = 0

    def failed(self, exc: BaseException) -> float:
        if not self.failures:
            self.log.warning(
                "%s unreachable; retrying", self.what, extra={"error": type(exc).__name__}
            )
        self.failures += 1
        return min(LONGEST_WAIT, FIRST_WAIT * 2.0 ** (self.failures - 1))

    def ok(self) -> None:
        if self.failures:
            self.log.info("%s reachable again", self.what, extra={"failures": self.failures})
        self.failures = 0
