"""A client's connection pool: built on first use, and never shared with a forked child.

After `os.fork()` the child holds copies of the parent's sockets. Two processes writing requests
on one connection read each other's answers (or wait forever for theirs), so in the child every
pool the SDK built is dropped, unused and unclosed (closing could write on a socket the parent
still uses: a TLS close_notify, an HTTP/2 GOAWAY), and the next call builds a new one. A pool the
caller passed as `http_client=` is not the SDK's to replace: its first use in the child raises.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import httpx2

from ._admission import Admission
from ._exceptions import MeibelError

__all__ = ["Pool"]

H = TypeVar("H", httpx2.Client, httpx2.AsyncClient)

# Every pool alive in this process, for the fork hook to reset in the child.
_POOLS: weakref.WeakSet[Pool[Any]] = weakref.WeakSet()
# What the child inherited: kept referenced, so that no finalizer ever closes (or writes on)
# the parent's connections from here. Each fork's child starts with its parent's list.
_INHERITED: list[object] = []


class Pool(Generic[H]):
    """The httpx2 client of one MeibelClient (and of its `with_options` copies).

    `get()` returns it, building the SDK's own on first use (thread-safe); `given` is the
    caller's `http_client=`, used as is and never closed here. `admission` (async pools of the
    SDK's own, made with `slots`) is what lets requests in (meibel/_admission.py).
    """

    __slots__ = (
        "__weakref__",
        "_closed",
        "_factory",
        "_forked",
        "_http",
        "_lock",
        "admission",
        "given",
    )

    def __init__(self, factory: Callable[[], H], given: H | None, slots: int | None = None) -> None:
        self._factory: Callable[[], H] = factory
        self.given: H | None = given
        self._http: H | None = given
        self._lock = threading.Lock()
        self._closed = False
        self._forked = False
        self.admission = None if given is not None or slots is None else Admission(slots)
        _POOLS.add(self)

    def get(self) -> H:
        http = self._http
        return http if http is not None else self._build()

    def _build(self) -> H:
        with self._lock:
            if self._http is not None:
                return self._http
            if self._forked:
                raise MeibelError(
                    "this client's http_client= was created before os.fork(), in the parent "
                    "process: its connections are the parent's, and sharing them would mix the "
                    "two processes' answers. Create the client (and its http_client) in this "
                    "process, or leave http_client= out: the SDK's own pool is rebuilt after a "
                    "fork."
                )
            if self._closed:
                raise RuntimeError("Cannot send a request, as the client has been closed.")
            self._http = self._factory()
            return self._http

    def close(self) -> H | None:
        """The SDK's own client, to close, if one was built; later calls raise RuntimeError.

        None for a pool given as `http_client=`: the caller closes it, and it stays usable.
        """
        if self.given is not None:
            return None
        with self._lock:
            self._closed = True
            built, self._http = self._http, None
        return built

    def _after_fork_in_child(self) -> None:
        self._lock = threading.Lock()  # another thread may have held it at the fork
        if self.given is not None:
            self._forked = True
            self._http = None
        elif self._http is not None:
            _INHERITED.append(self._http)
            self._http = None
        if self.admission is not None:  # the parent's requests hold its slots
            self.admission = Admission(self.admission.slots)


def _after_fork_in_child() -> None:
    for pool in list(_POOLS):
        pool._after_fork_in_child()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_after_fork_in_child)
