"""Domain errors. Each edge translates them: an HTTP status, a chat reply, a job retry."""


class DomainError(Exception):
    """Something the user asked for cannot be done; the message says why."""


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    pass


class InvalidInput(DomainError):
    pass


class Expired(DomainError):
    pass


class SessionAlreadyActive(Conflict):
    def __init__(self) -> None:
        super().__init__("a focus session is already running; end it with /done first")


class NoActiveSession(NotFound):
    def __init__(self) -> None:
        super().__init__("no focus session is running")


class AnalyserFailed(Exception):
    """An analyser gave no usable verdict. The job retries it, or falls back to `local`.

    `retry_after` is the server's requested wait in seconds; `retryable` is False for
    answers that will not change on retry (a wrong key, an unknown model).
    """

    def __init__(
        self, reason: str, *, retryable: bool = True, retry_after: float | None = None
    ) -> None:
        super().__init__(reason)
        self.retryable = retryable
        self.retry_after = retry_after


class ReviewClosed(Conflict):
    def __init__(self) -> None:
        super().__init__("this review is closed")
