"""HTTP error answers in words an admin understands."""

from __future__ import annotations

from http import HTTPStatus

from bot.domain.errors import FeedHTTPError

_EXPLANATIONS: dict[int, str] = {
    400: "the server did not understand the request",
    401: "the server refuses access",
    403: "the server refuses access",
    404: "the address does not exist (any more)",
    405: "the server does not serve this address to readers",
    406: "the server has nothing in a format we accept",
    408: "the server gave up waiting for the request",
    410: "the address was removed for good",
    429: "the server asks us to come less often",
    451: "the content is blocked for legal reasons",
    500: "the server had an error",
    502: "a gateway in front of the server got no valid answer from it",
    503: "the server is temporarily unavailable",
    504: "a gateway in front of the server got no answer in time",
}


def status_line(status: int, server_phrase: str | None = None) -> str:
    """``404`` → ``"HTTP 404 Not Found"`` (the standard phrase, else the server's)."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = server_phrase or ""
    return f"HTTP {status} {phrase}".rstrip()


def _explain(status: int) -> str:
    if status in _EXPLANATIONS:
        return _EXPLANATIONS[status]
    if status >= 500:
        return "the server had an error"
    if status >= 400:
        return "the server rejected the request"
    return "the server gave an answer we cannot use"


def http_error(
    status: int, server_phrase: str | None = None, *, retry_after: float | None = None
) -> FeedHTTPError:
    """The :class:`FeedHTTPError` for an error answer."""
    reason = f"{status_line(status, server_phrase)}: {_explain(status)}"
    if retry_after is not None:
        reason += f"; it asks to retry in {retry_after:.0f} s"
    return FeedHTTPError(reason, status=status, retry_after=retry_after)


def redirect_error(status: int, server_phrase: str | None, problem: str) -> FeedHTTPError:
    """A redirect we cannot follow: no or invalid ``Location``, or too many hops."""
    return FeedHTTPError(f"{status_line(status, server_phrase)}: {problem}", status=status)
