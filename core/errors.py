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


class ReviewClosed(Conflict):
    def __init__(self) -> None:
        super().__init__("this review is closed")
