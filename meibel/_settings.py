"""A client's settings: their defaults, what the environment gives, and the key kept out of sight.

Every setting is an argument of MeibelClient and AsyncMeibelClient; the environment fills three
when they are not given (MEIBEL_API_KEY, MEIBEL_BASE_URL, MEIBEL_DATASOURCE_ID). The table of
them all is docs/configuration.md. A setting is checked when it is given, so a wrong one fails
there, naming the argument, rather than deep inside a later request.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

import httpx2

from ._exceptions import MeibelError

__all__ = [
    "API_KEY_HEADER",
    "DEFAULT_BASE_URL",
    "DEFAULT_DEADLINE",
    "DEFAULT_MAX_EVENT_SIZE",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_STREAM_IDLE_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "MAX_SECONDS",
    "POOL_LIMITS",
    "Secret",
    "api_key_from",
    "base_url_from",
    "check_count",
    "check_headers",
    "check_http_client",
    "check_seconds",
    "check_timeout",
    "datasource_id_from",
    "put_headers",
]

DEFAULT_BASE_URL = "https://api.meibel.ai/v2"
DEFAULT_TIMEOUT = httpx2.Timeout(120.0, connect=10.0)
DEFAULT_MAX_RETRIES = 2
# A stream is healthy while bytes (events or keep-alive comments) keep arriving; this long
# without a single byte means it stalled.
DEFAULT_STREAM_IDLE_TIMEOUT = 300.0
# The most one event of a stream may buffer: 16 MiB is four times the largest event seen in
# practice (a completion carrying inline artifacts), and bounds what a server that never ends
# a line can make the client hold.
DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024
# A call (all its attempts, and reading its whole answer) ends by then; streams, downloads and
# uploads have none unless given: their time grows with what they carry.
DEFAULT_DEADLINE = 600.0
# AsyncMeibelClient's own connection pool: httpx2's 100 connections, which bound how many requests
# it lets in (meibel/_admission.py), and as many kept open when idle (httpx2 keeps 20): requests
# waiting in the client take a connection only once a response is closed, and with 20 a wave of
# finished streams closed all but 20 of their connections just before the waiting requests needed
# them (315-400 connections opened for 1,000 streams instead of 100).
POOL_LIMITS = httpx2.Limits(max_connections=100, max_keepalive_connections=100)
API_KEY_HEADER = "Meibel-API-Key"
# The longest time limit taken: a socket timeout holds about 9.2e9 s (int64 nanoseconds), and a
# longer one fails deep inside a request; 1e9 s is some 31 years. None is "no limit".
MAX_SECONDS = 1e9
# Headers that describe the body the SDK encodes (a multipart Content-Type carries its
# boundary): a caller's value could only contradict the bytes sent.
_FRAMING_HEADERS = frozenset({"content-length", "content-type", "transfer-encoding"})
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
# Printable ASCII, spaces and tabs only inside: what HTTP carries without a line break.
_HEADER_VALUE = re.compile(r"([\x21-\x7e]([\t\x20-\x7e]*[\x21-\x7e])?)?\Z")


class Secret:
    """A string that never shows itself in a repr, a traceback's locals or a log line."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "'***'"


def api_key_from(api_key: str | None) -> Secret:
    """The key given, else MEIBEL_API_KEY's; raises MeibelError when there is none."""
    key = api_key if api_key is not None else os.environ.get("MEIBEL_API_KEY")
    if not key:
        raise MeibelError(
            "No API key: pass MeibelClient(api_key=...) or set the MEIBEL_API_KEY "
            "environment variable."
        )
    if not isinstance(key, str):
        raise TypeError(f"api_key must be a str, not {type(key).__name__}")
    if not _HEADER_VALUE.match(key):
        source = "api_key" if api_key is not None else "MEIBEL_API_KEY"
        # The key itself is never shown.
        raise ValueError(
            f"the API key given as {source} cannot be sent in a header: it has a line break, a "
            "control or non-ASCII character, or spaces around it (a key read from a file often "
            "ends with a newline: strip it)"
        )
    return Secret(key)


def base_url_from(base_url: str | httpx2.URL | None) -> httpx2.URL:
    """The URL given, else MEIBEL_BASE_URL's, else DEFAULT_BASE_URL; without a trailing slash."""
    url = base_url or os.environ.get("MEIBEL_BASE_URL") or DEFAULT_BASE_URL
    return httpx2.URL(str(url).rstrip("/"))


def datasource_id_from(datasource_id: str | None) -> str | None:
    """The datasource given, else MEIBEL_DATASOURCE_ID's; None for none (also for "")."""
    value = datasource_id if datasource_id is not None else os.environ.get("MEIBEL_DATASOURCE_ID")
    return value or None


def check_http_client(http_client: object, expected: type) -> None:
    """Refuse an `http_client=` of the wrong kind (most often an httpx one) with a clear error."""
    if http_client is not None and not isinstance(http_client, expected):
        kind = f"{type(http_client).__module__}.{type(http_client).__qualname__}"
        raise TypeError(
            f"http_client must be an {expected.__module__}.{expected.__qualname__}, not {kind}: "
            "this SDK runs on httpx2 (`import httpx2`), httpx's maintained continuation."
        )


def check_seconds(value: object, argument: str) -> float | None:
    """`value` if it is None (no limit) or a number of seconds above 0 and at most MAX_SECONDS."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(
            f"{argument} must be a number of seconds, or None for no limit, not "
            f"{type(value).__name__} {value!r}"
        )
    if not 0 < value <= MAX_SECONDS:  # False for nan too
        raise ValueError(
            f"{argument} must be more than 0 and at most 1e9 seconds, or None for no limit, "
            f"not {value!r}"
        )
    return value


def check_timeout(value: object, argument: str = "timeout") -> httpx2.Timeout:
    """A `timeout=` (seconds, None or an httpx2.Timeout) as an httpx2.Timeout, each part checked."""
    if isinstance(value, httpx2.Timeout):
        for part in ("connect", "read", "write", "pool"):
            check_seconds(getattr(value, part), f"{argument}.{part}")
        return value
    return httpx2.Timeout(check_seconds(value, argument))


def check_count(value: object, argument: str, *, least: int) -> int:
    """`value` if it is an int of at least `least`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{argument} must be an int, not {type(value).__name__} {value!r}")
    if value < least:
        raise ValueError(f"{argument} must be at least {least}, not {value!r}")
    return value


def check_headers(headers: object, argument: str) -> Mapping[str, str]:
    """`headers` (a mapping of names to values) if every header can go on the wire as given.

    Names are HTTP tokens and values printable ASCII without line breaks (the values are never
    shown in the error: they may be secrets), and Content-Length, Content-Type and
    Transfer-Encoding are refused: the SDK writes them from the body it sends.
    """
    if not isinstance(headers, Mapping):
        kind = type(headers).__name__
        raise TypeError(f"{argument} must be a mapping of header names to values, not a {kind}")
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.match(name):
            raise ValueError(f"{argument}: {name!r} is not a valid header name")
        if name.lower() in _FRAMING_HEADERS:
            raise ValueError(
                f"{argument} may not set {name!r}: the SDK writes Content-Length, Content-Type "
                "and Transfer-Encoding from the body it sends (a multipart Content-Type carries "
                "its boundary)"
            )
        if not isinstance(value, str):
            kind = type(value).__name__
            raise TypeError(f"{argument}: the value of {name!r} must be a str, not {kind}")
        if not _HEADER_VALUE.match(value):
            raise ValueError(
                f"{argument}: the value of {name!r} cannot be sent: it has a line break, a "
                "control or non-ASCII character, or spaces around it"
            )
    return headers


def put_headers(
    headers: dict[str, str], new: Mapping[str, str], known: frozenset[str] | None = None
) -> None:
    """Put `new` into `headers`, each replacing the header of the same name in any spelling.

    `headers` holds each name once. `known`, when given, holds (at least) the lowercased names
    in `headers`: a name not in it is simply added, which spares the search on every call.
    """
    for name, value in new.items():
        if name not in headers and (known is None or name.lower() in known):
            lower = name.lower()
            for old in headers:
                if old.lower() == lower:
                    del headers[old]
                    break
        headers[name] = value
