"""Domain errors. The HTTP layer (``http/problems.py``) is the only place they become statuses.

::

    TidingsError
     +-- Invalid            bad input; carries field errors       -> 400
     +-- TooLarge           body or event over its size limit     -> 413
     +-- Unauthenticated    no or unknown credential              -> 401
     +-- Forbidden          known credential, not allowed         -> 403
     +-- NotFound                                                 -> 404
     +-- Conflict           e.g. a name that already exists       -> 409
     +-- Overloaded         write queue full; retry_after seconds -> 503
     +-- RateLimited        credential or IP over its rate limit  -> 429
     +-- Unavailable        storage down or shutting down         -> 503
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem with one field; ``field`` is a dotted path such as ``events.3.name``."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class TidingsError(Exception):
    """Base of every error Tidings raises on purpose."""

    code = "error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Invalid(TidingsError):
    """Input failed validation; ``errors`` names each field and the problem."""

    code = "invalid"

    def __init__(self, detail: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or []

    @classmethod
    def field(cls, field: str, message: str) -> Invalid:
        return cls(f"{field}: {message}", [FieldError(field, message)])


class TooLarge(TidingsError):
    """A body or an event is bigger than its limit."""

    code = "too_large"


class Unauthenticated(TidingsError):
    """No credential, or one Tidings does not know."""

    code = "unauthenticated"

    def __init__(self, detail: str = "Authentication required.", scheme: str = "Basic") -> None:
        super().__init__(detail)
        self.scheme = scheme


class Forbidden(TidingsError):
    """The credential is known but may not do this."""

    code = "forbidden"


class NotFound(TidingsError):
    code = "not_found"


class Conflict(TidingsError):
    code = "conflict"


class Overloaded(TidingsError):
    """The write queue is full; the client should retry after ``retry_after`` seconds."""

    code = "overloaded"

    def __init__(self, detail: str = "Write queue is full.", retry_after: int = 1) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class RateLimited(TidingsError):
    """A credential or client IP is over its rate limit; retry after ``retry_after`` seconds."""

    code = "rate_limited"

    def __init__(self, retry_after: int, detail: str = "Too many requests.") -> None:
        super().__init__(f"{detail} Retry after {retry_after} s.")
        self.retry_after = retry_after


class Unavailable(TidingsError):
    """Storage is unreachable or shutting down; the client may retry later."""

    code = "unavailable"


class ConfigError(Exception):
    """Bad configuration; the message is one line for the operator."""
