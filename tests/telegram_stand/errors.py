"""Errors the stand answers with, in Telegram's own envelope and wording.

``ApiError`` is what every method raises to answer ``{"ok": false, ...}``; the helpers build
the common ones so the wording lives in one place::

    ApiError
    ├── 400 bad_request(...)        "Bad Request: ..."
    ├── 400 migrated(new_id)        "Bad Request: group chat was upgraded to a supergroup chat"
    ├── 401 unauthorized()          "Unauthorized"
    ├── 403 forbidden(...)          "Forbidden: ..."
    ├── 404 not_found()             "Not Found"
    ├── 409 conflict(...)           "Conflict: ..."
    ├── 429 too_many_requests(n)    "Too Many Requests: retry after n"
    └── 5xx server_error(...)

``StandUsageError`` is different: a test used the stand in a way no real person could
(pressing a button that is not there, writing to a chat they are not in).
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Bot API error answer: HTTP status, description and optional parameters."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def envelope(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class StandUsageError(Exception):
    """A test asked the stand for something no real Telegram user could do."""


class StandTimeout(AssertionError):
    """``wait_for_*`` ran out of time; the message says what was expected and what was seen."""


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    return ApiError(403, f"Forbidden: {detail}")


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized")


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def conflict(detail: str) -> ApiError:
    return ApiError(409, f"Conflict: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


def migrated(new_chat_id: int) -> ApiError:
    return ApiError(
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        {"migrate_to_chat_id": new_chat_id},
    )


def server_error(error_code: int = 500, description: str = "Internal Server Error") -> ApiError:
    return ApiError(error_code, description)
