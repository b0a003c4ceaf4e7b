"""Redirects, followed by the client itself: what the next request is, and what it may carry.

httpx2 would carry a request's own headers, the key among them, to wherever a redirect points; the
client follows redirects itself, so that one to another origin carries none of the headers
configured for the API (the key, default_headers, extra_headers, header parameters), only how the
body is framed and what the client is.
"""

from __future__ import annotations

import httpx2

from ._exceptions import APIConnectionError

__all__ = ["MAX_REDIRECTS", "follow_redirect", "too_many_redirects"]

MAX_REDIRECTS = 10
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# What a request may carry to another origin after a redirect.
_CROSS_ORIGIN_HEADERS = frozenset(
    {
        "accept",
        "accept-encoding",
        "connection",
        "content-length",
        "content-type",
        "transfer-encoding",
        "user-agent",
    }
)


def _origin(url: httpx2.URL) -> tuple[str, str, int | None]:
    default_port = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, url.port or default_port


def follow_redirect(
    request: httpx2.Request, response: httpx2.Response, base_url: httpx2.URL
) -> httpx2.Request | None:
    """The request that follows `response` if it is a redirect, else None; to another origin than
    `base_url`'s it carries no configured header, only how its body is framed."""
    location = response.headers.get("Location")
    if response.status_code not in _REDIRECT_STATUSES or not location:
        return None
    url = request.url.join(location)
    method = request.method
    if (response.status_code == 303 and method != "HEAD") or (
        response.status_code in (301, 302) and method == "POST"
    ):
        method = "GET"
    headers = httpx2.Headers(request.headers)
    if _origin(url) != _origin(base_url):
        headers = httpx2.Headers(
            [(k, v) for k, v in headers.multi_items() if k.lower() in _CROSS_ORIGIN_HEADERS]
        )
    headers["Host"] = url.netloc.decode("ascii")
    stream = request.stream
    if method != request.method:
        for name in ("Content-Length", "Content-Type", "Transfer-Encoding"):
            headers.pop(name, None)
        stream = httpx2.ByteStream(b"")
    return httpx2.Request(
        method, url, headers=headers, stream=stream, extensions=request.extensions
    )


def too_many_redirects(first: httpx2.Request, last: httpx2.Request) -> APIConnectionError:
    """The error of a call whose redirects go on past MAX_REDIRECTS (a loop, most often)."""
    return APIConnectionError(
        f"{first.method} {first.url}: more than {MAX_REDIRECTS} redirects, the last to "
        f"{last.url}; not followed further",
        request=first,
    )
