"""A stateful fake of the Meibel API v2 for test suites: `from meibel.testing import FakeMeibel`.

    fake = FakeMeibel()
    fake.reply("Revenue grew 12%.", sources=[{"title": "Q4 report"}])
    client = fake.client()  # or fake.async_client(); or `with fake.serve() as base_url:`
    session = client.agents.create_session(agent_id="agent_1")
    stream = client.sessions.send_chat_message_stream(
        session_id=session.id, body=ChatMessageRequest(user_message="Q4?"), files=[("a.txt", b"hi")]
    )
    assert "".join(e.delta for e in stream if e.type == "content") == "Revenue grew 12%."
    assert fake.chats[0].files[0].data == b"hi"

It answers in process (`http_client()`, `async_http_client()`, `client()`, `async_client()`, all
through httpx2.MockTransport) or over real HTTP on 127.0.0.1 (`serve()`), and it answers every
operation of the spec (`fake.unimplemented()` is empty), with state where it matters: agents and
their versions, sessions and chat, artifact schemas, datasources and their content, data
elements, tables, documents. An operation without a hand-written handler (a spec bump's) is
answered from the spec alone, statefully (`fake.generic_operations()` lists them). Requests
need a `Meibel-API-Key` header (any value); unknown paths answer 404.

Jobs move on one step per poll of their status: document parses (getDocumentStatus), deep
transforms (getDeepTransformStatus), ingests (getIngestStatus), scoring jobs (getScoringJob), and
the progress streams (streamUploadProgress, streamDownloadProgress, streamDocumentTrace) run a
job to its end. `FakeMeibel(job_steps=n)` sets how many polls come before the terminal status (2).

Arranging: `seed(resource, id, **fields)` puts a resource with a chosen id in the fake as if the
API had made it, checked against the spec: agents, sessions, datasources and what they hold
(data elements, tables, downloads, uploads), documents and jobs, catalog entries, and what the
fake answers generically (`seedable()` lists them, `seed_fields(name)` what each takes).
Scripting: `reply(...)` queues chat replies (streaming and non-streaming chats share the queue;
"This is a fake reply." when it is empty),
`fail_next(status, detail)` makes the next request fail with FastAPI's `{"detail": ...}` body,
`fail_job(kind)` makes the next job of a kind fail, and `stub(operation_id, json=...)` scripts
the answer(s) of any operation. Reading: `requests`, `chats`, `uploads`, and the state as
read-only mappings (`sessions`, `agents`, `datasources`, `jobs`, `parse_jobs`, ...).

Every JSON response body and stream event is validated against the spec before it is sent, so a
script that the real API could never produce fails loudly with FakeSchemaError.

Needs the `[testing]` extra: `pip install "meibel-sdk[testing]"`.
"""

from __future__ import annotations

from .._extras import missing_testing_extra

try:
    from ._fake import DEFAULT_REPLY, FAKE_API_KEY, FAKE_BASE_URL, FakeMeibel, FakeSession
    from ._jobs import JOB_KINDS, Job
    from ._records import FilePart, ParseJob, RecordedChat, RecordedRequest, ToolCall, Upload
    from ._schema import FakeSchemaError
except ModuleNotFoundError:
    # Without the extra: one ImportError naming the install command, not a module deep down.
    if (error := missing_testing_extra()) is None:
        raise
    raise error from None

__all__ = [
    "DEFAULT_REPLY",
    "FAKE_API_KEY",
    "FAKE_BASE_URL",
    "JOB_KINDS",
    "FakeMeibel",
    "FakeSchemaError",
    "FakeSession",
    "FilePart",
    "Job",
    "ParseJob",
    "RecordedChat",
    "RecordedRequest",
    "ToolCall",
    "Upload",
]
