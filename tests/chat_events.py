"""The seed-002 chat event stream (connected, status, tool call, partials, completion) as
bytes for a RecordingServer, and the constants tests check it against.
"""

from __future__ import annotations

import json
from typing import Any

from wire import RecordingServer

from meibel import (
    MeibelClient,
)

KEY = "sk-stream-test"
FINAL = "Revenue grew 12% in Q4 [1]."
PIECES = ["Revenue", " grew 12%", " in Q4", " [1]."]
SOURCE = {"source_id": 1, "data_element_id": "de_9", "title": "Q4 report", "url": None}


def _event(name: str, data: dict[str, Any], newline: bytes = b"\n") -> bytes:
    return (
        b"event: " + name.encode() + newline + b"data: " + json.dumps(data).encode() + newline * 2
    )


def _envelope(kind: str, sequence: int, **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "disposition": "final" if kind == "completion" else "partial",
        "sequence": str(sequence),
        "timestamp": "2026-11-22T10:00:00Z",
        **fields,
    }


def chat_events(
    mode: str = "incremental", newline: bytes = b"\n", sources: bool = True
) -> list[bytes | float]:
    """The seed-002 sequence: connected, status, tool_call, tool_result, partials, completion."""
    events: list[bytes | float] = [
        _event("connected", {"signal_id": "sig_1"}, newline),
        _event("status", _envelope("status", 1, content="Searching the datasource"), newline),
        _event(
            "tool_call",
            _envelope("tool_call", 2, tool_id="t1", tool_name="search", arguments={"q": "Q4"}),
            newline,
        ),
        _event(
            "tool_result", _envelope("tool_result", 3, tool_id="t1", result={"hits": 3}), newline
        ),
    ]
    text = ""
    for i, piece in enumerate(PIECES):
        text += piece
        message = text if mode == "cumulative" else piece
        data = {"message": message, "clean_message": message}
        events.append(_event("partial_response", _envelope("partial_response", 4 + i, data=data)))
    final: dict[str, Any] = {
        "message": FINAL,
        "clean_message": "Revenue grew 12% in Q4.",
        "follow_up_questions": ["And Q3?"],
    }
    if sources:
        final["sources"] = [SOURCE]
        final["citations"] = [{"position": 23, "source_ids": [1]}]
    events.append(_event("completion", _envelope("completion", 9, data=final), newline))
    events.append(b"data: [DONE]" + newline * 2)
    return events


def _client(server: RecordingServer, **options: Any) -> MeibelClient:
    return MeibelClient(api_key=KEY, base_url=server.url + "/v2", **options)
