"""Spec-shaped answers of the API that the tests script on the recording server: a chat reply,
a session's history, a session's details, a datasource."""

from __future__ import annotations

CHAT_RESPONSE = {
    "signal_id": "sig_1",
    "assistant_response": "Revenue grew 12%.",
    "response": {
        "message": "Revenue grew 12% [1].",
        "sources": [{"title": "Q4 report", "url": None, "data_element_id": "de_9"}],
        "follow_up_questions": ["And Q3?"],
    },
    "token_usage": {"input": 10, "output": 5},
}

MESSAGES = {
    "agent_id": "agent_123",
    "messages": [
        {"type": "user_message", "message": "What are the key findings?", "timestamp": "t1"},
        {"type": "agent_response", "message": "Revenue grew 12%.", "timestamp": "t2"},
        {"type": "tool_call", "tool_name": "search", "arguments": {"q": "Q4"}},
    ],
}

SESSION_DETAILS = {
    "agent_id": "agent_123",
    "agent_name": "Analyst",
    "version": "3",
    "status": "running",
    "messages": [],
    "tool_activity": [],
    "token_usage": [],
    "file_parsing": [],
    "result": [],
}
DATASOURCE = {
    "id": "ds_1",
    "name": "docs",
    "description": None,
    "connector": {"type": "cloud_storage"},
    "created_at": "2026-11-22T10:00:00Z",
    "updated_at": "2026-11-22T10:00:00Z",
}
