"""Server-Sent Events parsing: the WHATWG event-stream interpretation rules, for any chunking.

https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation

`iter_sse` and `aiter_sse` turn a stream of byte chunks into events. Each event is yielded as soon
as the blank line that ends it has arrived, before the next chunk is requested. What the parser
holds for one event is bounded (`max_event_size`), so a server that never ends a line or an event
cannot make it buffer without end.
"""

from __future__ import annotations

from ._sse import ServerSentEvent, aiter_sse, iter_sse

__all__ = ["ServerSentEvent", "aiter_sse", "iter_sse"]

# Shown (in help(), reprs of the functions, pickles) where users import them from.
for _public in (ServerSentEvent, aiter_sse, iter_sse):
    _public.__module__ = __name__
del _public
