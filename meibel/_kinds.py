"""The kinds of operation, as data: what a generated method of each kind is, and which hook runs it.

scripts/plan.py decides each operation's kind; this registry says, per kind, what the method
prints and calls, so the templates have no branch per kind (openapi/templates/meibel_resource.jinja
reads it through scripts/plan.py) and meibel/_resource.py binds each hook to the namespaces from
it. A hook is a method of both clients (meibel/_client.py, meibel/_async_client.py) taking the
endpoint module, the call's arguments and the keywords listed here. docs/regenerating.md says
what adding a kind takes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    # What the kinds' annotations name: meibel/_resource.py re-exports these to generated code.
    from ._chat import AsyncChatStream, ChatStream, Partials
    from ._download import AsyncDownload, Download
    from ._pagination import AsyncPage, SyncPage
    from ._session import AsyncSession, Session
    from ._streaming import AsyncEventStream, EventStream, StreamEvent

__all__ = [
    "HOOKS",
    "KINDS",
    "AsyncChatStream",
    "AsyncDownload",
    "AsyncEventStream",
    "AsyncPage",
    "AsyncSession",
    "ChatStream",
    "Download",
    "EventStream",
    "Kind",
    "Partials",
    "Session",
    "StreamEvent",
    "SyncPage",
]


@dataclass(frozen=True)
class Kind:
    """What a method of one kind is.

    `returns` / `async_returns`: its return annotation, with `{answer}` for the success model and
    `{item}` for a page's item model. The names they and `parameters` use are imported above
    (under TYPE_CHECKING) and listed in `__all__`: meibel/_resource.py re-exports them.
    """

    hook: str  # the client method the generated method calls
    returns: str
    async_returns: str
    awaited: bool = True  # the async method awaits the hook (a page is returned unawaited)
    events: bool = False  # the hook gets the stream's event classes (`events`, `default`)
    # The method's own keyword arguments, handed to the hook: (name, annotation, default).
    parameters: tuple[tuple[str, str, str], ...] = ()
    # What of the plan the hook gets, as literals: (hook keyword, Plan field).
    plan_arguments: tuple[tuple[str, str], ...] = ()


KINDS: Final[dict[str, Kind]] = {
    "plain": Kind("_request", "{answer}", "{answer}"),
    "none": Kind("_request", "None", "None"),
    "session": Kind("_session", "Session[{answer}]", "AsyncSession[{answer}]"),
    "paginate": Kind(
        "_paginate",
        "SyncPage[{answer}, {item}]",
        "AsyncPage[{answer}, {item}]",
        awaited=False,
        plan_arguments=(("style", "pagination"), ("items", "items")),
    ),
    "stream": Kind(
        "_stream",
        "EventStream[{answer}]",
        "AsyncEventStream[{answer}]",
        events=True,
        plan_arguments=(("sentinel", "sentinel"),),
    ),
    "chat_stream": Kind(
        "_chat_stream",
        "ChatStream",
        "AsyncChatStream",
        events=True,
        parameters=(("partials", "Partials", '"incremental"'),),
        plan_arguments=(("sentinel", "sentinel"),),
    ),
    "download": Kind("_download", "Download", "AsyncDownload"),
}

HOOKS: Final = tuple(sorted({kind.hook for kind in KINDS.values()}))
"""Every hook the namespaces bind, once each."""


def names(kind: Kind) -> set[str]:
    """The names a kind's annotations use (each must be in `__all__`)."""
    texts = (kind.returns, kind.async_returns, *(text for _, text, _ in kind.parameters))
    return set(re.findall(r"[A-Za-z_]\w*", " ".join(texts))) - {"answer", "item", "None"}
