"""Domain errors. Edges map them to HTTP status codes (app.py) and CLI exit codes (cli.py)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a use case raises on purpose; the message is shown to the user."""

    status_code = 400

    def __init__(self, message: str, *, detail: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class Invalid(DomainError):
    """The input breaks a rule (HTTP 422)."""

    status_code = 422


class NotFound(DomainError):
    """The object does not exist or lies outside the actor's data scope (HTTP 404)."""

    status_code = 404


class Unauthenticated(DomainError):
    """No valid login or token (HTTP 401)."""

    status_code = 401


class Forbidden(DomainError):
    """The actor is known but may not do this (HTTP 403)."""

    status_code = 403


class Conflict(DomainError):
    """The stored state changed under the request, or a unique value is taken (HTTP 409)."""

    status_code = 409


class InvalidTransition(Conflict):
    """The workflow does not allow this action in the current status for this role (HTTP 409)."""


class Locked(DomainError):
    """The account is locked after repeated failed logins (HTTP 423)."""

    status_code = 423


class Throttled(DomainError):
    """Too many attempts from one client or for one account (HTTP 429 with Retry-After)."""

    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"请求过于频繁，请在 {retry_after} 秒后重试")
        self.retry_after = retry_after


class Unavailable(DomainError):
    """The database cannot be reached right now (HTTP 503 with Retry-After)."""

    status_code = 503

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"服务暂时不可用，请在 {retry_after} 秒后重试")
        self.retry_after = retry_after
