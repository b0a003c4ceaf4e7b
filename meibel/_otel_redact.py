"""What telemetry may say of a URL or an error: no credential, and never the client's API key.

`url.full` follows the HTTP semantic conventions: a user and password become `REDACTED`, and so
does the value of each query parameter that carries a signature or a credential (the
conventions' list, and those a presigned AWS or Google URL or a key-in-the-query API uses), its
name kept. The key itself travels in a header the SDK never records; should it appear in any
text recorded anyway (a URL, an error's message or traceback), it is replaced there too.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

__all__ = ["REDACTED", "redact_url", "scrub"]

REDACTED = "REDACTED"

# Compared case-insensitively. The first four are the semantic conventions' own.
_SECRET_PARAMETERS = frozenset(
    name.lower()
    for name in (
        "AWSAccessKeyId",
        "Signature",
        "sig",
        "X-Goog-Signature",
        "X-Amz-Signature",
        "X-Amz-Credential",
        "X-Amz-Security-Token",
        "X-Goog-Credential",
        "api_key",
        "api-key",
        "apikey",
        "key",
        "token",
        "access_token",
        "password",
        "secret",
        "client_secret",
    )
)


def scrub(text: str, key: str) -> str:
    """`text` with every occurrence of the API key `key` replaced."""
    return text.replace(key, REDACTED) if key else text


def _redact_pair(pair: str) -> str:
    name, equals, _ = pair.partition("=")
    if equals and unquote(name).lower() in _SECRET_PARAMETERS:
        return f"{name}={REDACTED}"
    return pair


def redact_url(url: str, key: str) -> str:
    """`url` as `url.full` may hold it (see the module docstring)."""
    parts = urlsplit(url)
    netloc, query = parts.netloc, parts.query
    if "@" in netloc:
        netloc = f"{REDACTED}:{REDACTED}@{netloc.rpartition('@')[2]}"
    if query:
        query = "&".join(_redact_pair(pair) for pair in query.split("&"))
    if netloc != parts.netloc or query != parts.query:
        url = urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    return scrub(url, key)
