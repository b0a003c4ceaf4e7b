"""FakeMeibel: a stateful, in-process stand-in for the Meibel API v2 (see the package docstring)."""

from __future__ import annotations

import datetime
import json
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import anyio
import httpx2
from python_multipart.multipart import MultipartParser, parse_options_header

from ._downloads import FakeDownloads
from ._records import FilePart, ParseJob, RecordedChat, RecordedRequest, ToolCall, Upload
from ._schema import FakeSchemaError, spec

if TYPE_CHECKING:
    from meibel import AsyncMeibelClient, MeibelClient

__all__ = ["DEFAULT_REPLY", "FAKE_API_KEY", "FAKE_BASE_URL", "FakeMeibel", "FakeSession"]

FAKE_BASE_URL = "http://fake.meibel.test/v2"
FAKE_API_KEY = "fake-key"
DEFAULT_REPLY = "This is a fake reply."
_PREFIX = "/v2"
_STREAM = "sendChatMessageStream"


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat().replace("+00:00", "Z")


@dataclass
class FakeSession:
    """A chat session: `messages` holds SessionMessageItem-shaped dicts, oldest first."""

    id: str
    agent_id: str
    created_at: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    files: list[FilePart] = field(default_factory=list)


@dataclass(frozen=True)
class _Reply:
    text: str
    sources: list[dict[str, Any]] | None
    follow_up_questions: list[str] | None
    tool_calls: list[ToolCall]
    pause_after_first: float
    drop_after: int | None


@dataclass
class _Answer:
    """What to send: a JSON body, or SSE chunks (bytes, and floats that are pauses)."""

    status: int
    body: object = None
    events: list[bytes | float] | None = None
    drop: bool = False
    headers: dict[str, str] | None = None

    def json_bytes(self) -> bytes:
        return json.dumps(self.body, separators=(",", ":")).encode()


def content_headers(answer: object) -> dict[str, str]:
    """The headers of an answer without events: its own (a file's), else JSON's."""
    return getattr(answer, "headers", None) or {"Content-Type": "application/json"}


class _HTTPError(Exception):
    def __init__(self, status: int, detail: object) -> None:
        super().__init__(status, detail)
        self.status = status
        self.detail = detail


def _pieces(text: str, count: int = 3) -> list[str]:
    if not text:
        return []
    size = max(1, -(-len(text) // count))
    return [text[i : i + size] for i in range(0, len(text), size)]


def _parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], list[FilePart]]:
    message = Message()
    message["Content-Type"] = content_type
    boundary = message.get_param("boundary")
    if not isinstance(boundary, str):
        raise _HTTPError(400, "There was an error parsing the body")
    fields: dict[str, str] = {}
    files: list[FilePart] = []
    headers: dict[str, str] = {}
    state: dict[str, bytearray] = {"field": bytearray(), "value": bytearray(), "data": bytearray()}

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]

    def on_header_end() -> None:
        headers[state["field"].decode().lower()] = state["value"].decode("utf-8")
        state["field"], state["value"] = bytearray(), bytearray()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        state["data"] += data[start:end]

    def on_part_end() -> None:
        _, params = parse_options_header(headers.get("content-disposition", "").encode())
        name = params.get(b"name", b"").decode("utf-8")
        filename = params.get(b"filename")
        data = bytes(state["data"])
        if filename is None:
            fields[name] = data.decode("utf-8")
        else:
            files.append(
                FilePart(name, filename.decode("utf-8"), headers.get("content-type"), data)
            )
        headers.clear()
        state["data"] = bytearray()

    parser = MultipartParser(
        boundary,
        {
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    parser.write(body)
    parser.finalize()
    return fields, files


class _SyncEvents(httpx2.SyncByteStream):
    def __init__(self, chunks: list[bytes | float], drop: bool) -> None:
        self._chunks = chunks
        self._drop = drop

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            if isinstance(chunk, float):
                time.sleep(chunk)
            else:
                yield chunk
        if self._drop:
            raise httpx2.RemoteProtocolError("peer closed connection (FakeMeibel drop_after)")


class _AsyncEvents(httpx2.AsyncByteStream):
    def __init__(self, chunks: list[bytes | float], drop: bool) -> None:
        self._chunks = chunks
        self._drop = drop

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            if isinstance(chunk, float):
                await anyio.sleep(chunk)
            else:
                yield chunk
        if self._drop:
            raise httpx2.RemoteProtocolError("peer closed connection (FakeMeibel drop_after)")


_SSE_HEADERS = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}


class FakeMeibel(FakeDownloads):
    """A stateful fake of the Meibel API v2, in process or over real HTTP on 127.0.0.1.

    >>> fake = FakeMeibel()
    >>> fake.reply("Revenue grew 12%.", sources=[{"title": "Q4 report"}])
    >>> client = fake.client()
    >>> session = client.agents.create_session(agent_id="agent_1")
    >>> client.sessions.send_chat_message(session_id=session.id, body=...).message
    'Revenue grew 12%.'

    Every JSON body and stream event it sends is validated against the spec first; a mismatch
    raises FakeSchemaError (in process) or is kept in `schema_errors` and re-raised when `serve()`
    exits. State is public: `sessions`, `datasources`, `uploads`, `parse_jobs`; so is what it
    received: `requests` and `chats`.
    """

    def __init__(self) -> None:
        self.sessions: dict[str, FakeSession] = {}
        self.datasources: dict[str, dict[str, Any]] = {}
        self.uploads: list[Upload] = []
        self.parse_jobs: dict[str, ParseJob] = {}
        self.requests: list[RecordedRequest] = []
        self.chats: list[RecordedChat] = []
        self.schema_errors: list[FakeSchemaError] = []
        self._replies: deque[_Reply] = deque()
        self._failures: deque[tuple[int, object]] = deque()
        self._counter = 0
        self._lock = threading.RLock()

    # ----- scripting -----------------------------------------------------------------------

    def reply(
        self,
        text: str,
        *,
        sources: Sequence[Mapping[str, Any]] | None = None,
        follow_up_questions: Sequence[str] | None = None,
        tool_calls: Sequence[ToolCall | Mapping[str, Any]] | None = None,
        pause_after_first: float = 0.0,
        drop_after: int | None = None,
    ) -> None:
        """Queue the next chat reply (streaming or not; DEFAULT_REPLY once the queue is empty).

        `sources` are the spec's Source objects (`title` required). `tool_calls` are ToolCalls
        or mappings with `name`, `arguments`, `result`. A stream pauses `pause_after_first`
        seconds after its first partial_response event, and with `drop_after=n` the connection
        closes after n events, before the completion.
        """
        calls = [
            call
            if isinstance(call, ToolCall)
            else ToolCall(str(call["name"]), call.get("arguments", {}), call.get("result", {}))
            for call in tool_calls or []
        ]
        with self._lock:
            self._replies.append(
                _Reply(
                    text,
                    None if sources is None else [dict(source) for source in sources],
                    None if follow_up_questions is None else list(follow_up_questions),
                    calls,
                    float(pause_after_first),
                    drop_after,
                )
            )

    def fail_next(self, status: int, detail: object = "Fake failure", *, times: int = 1) -> None:
        """Answer the next `times` requests, whatever they are, with `status` {"detail": ...}.

        Mind the client's retries: GETs (and 429/503) are retried, so pass `times` or build
        the client with `max_retries=0`.
        """
        with self._lock:
            self._failures.extend([(status, detail)] * times)

    # ----- clients ------------------------------------------------------------------------

    def http_client(self) -> httpx2.Client:
        """An httpx2.Client whose requests this fake answers in process."""
        return httpx2.Client(transport=httpx2.MockTransport(self._sync_handler))

    def async_http_client(self) -> httpx2.AsyncClient:
        """An httpx2.AsyncClient whose requests this fake answers in process."""
        return httpx2.AsyncClient(transport=httpx2.MockTransport(self._async_handler))

    def client(self, **options: Any) -> MeibelClient:
        """A MeibelClient talking to this fake in process (`options` go to MeibelClient)."""
        from meibel import MeibelClient

        options.setdefault("api_key", FAKE_API_KEY)
        options.setdefault("base_url", FAKE_BASE_URL)
        return MeibelClient(http_client=self.http_client(), **options)

    def async_client(self, **options: Any) -> AsyncMeibelClient:
        """An AsyncMeibelClient talking to this fake in process."""
        from meibel import AsyncMeibelClient

        options.setdefault("api_key", FAKE_API_KEY)
        options.setdefault("base_url", FAKE_BASE_URL)
        return AsyncMeibelClient(http_client=self.async_http_client(), **options)

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Serve this fake over real HTTP on 127.0.0.1; yields the base URL (".../v2").

        Schema errors found while serving are answered as 500s and re-raised on exit.
        """
        from ._server import FakeServer

        errors_before = len(self.schema_errors)
        with FakeServer(self) as server:
            yield server.url + _PREFIX
        if len(self.schema_errors) > errors_before:
            raise self.schema_errors[errors_before]

    # ----- transport ----------------------------------------------------------------------

    def _sync_handler(self, request: httpx2.Request) -> httpx2.Response:
        # Read the stream itself: the SDK swaps in its multipart stream after building the
        # request, so `request.content` would be the empty body httpx2 cached at build time.
        stream = request.stream
        body = b"".join(stream) if isinstance(stream, httpx2.SyncByteStream) else request.content
        answer = self._handle_httpx(request, body)
        if answer.events is not None:
            stream = _SyncEvents(answer.events, answer.drop)
            return httpx2.Response(answer.status, headers=_SSE_HEADERS, stream=stream)
        return httpx2.Response(
            answer.status, content=answer.json_bytes(), headers=content_headers(answer)
        )

    async def _async_handler(self, request: httpx2.Request) -> httpx2.Response:
        stream = request.stream
        if isinstance(stream, httpx2.AsyncByteStream):
            body = b"".join([chunk async for chunk in stream])
        else:
            body = request.content
        answer = self._handle_httpx(request, body)
        if answer.events is not None:
            stream = _AsyncEvents(answer.events, answer.drop)
            return httpx2.Response(answer.status, headers=_SSE_HEADERS, stream=stream)
        return httpx2.Response(
            answer.status, content=answer.json_bytes(), headers=content_headers(answer)
        )

    def _handle_httpx(self, request: httpx2.Request, body: bytes) -> _Answer:
        return self.handle(
            request.method,
            request.url.raw_path.decode("ascii"),
            dict(request.headers),
            body,
            raise_schema_errors=True,
        )

    def handle(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        raise_schema_errors: bool,
    ) -> _Answer:
        """Answer one request (`target`: path and query string). The transports' common core."""
        path, _, query_string = target.partition("?")
        query = dict(parse_qsl(query_string, keep_blank_values=True))
        lowered = {name.lower(): value for name, value in headers.items()}
        try:
            with self._lock:
                return self._answer(method.upper(), path, query, lowered, body)
        except FakeSchemaError as error:
            self.schema_errors.append(error)
            if raise_schema_errors:
                raise
            return _Answer(500, {"detail": f"FakeSchemaError: {error}"})

    def _answer(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> _Answer:
        route = None
        relative = path[len(_PREFIX) :] if path.startswith(_PREFIX + "/") else None
        path_known = False
        if relative is not None:
            route, path_known = spec().match(method, relative)
        json_body: Any = None
        form: dict[str, str] = {}
        files: list[FilePart] = []
        content_type = headers.get("content-type", "")
        try:
            if content_type.startswith("multipart/form-data"):
                form, files = _parse_multipart(content_type, body)
            elif body:
                json_body = json.loads(body)
        except (ValueError, _HTTPError):
            self._record(method, path, query, route, None, {}, [], headers)
            return _Answer(400, {"detail": "There was an error parsing the body"})
        self._record(method, path, query, route, json_body, form, files, headers)
        if self._failures:
            status, detail = self._failures.popleft()
            return _Answer(status, {"detail": detail})
        if route is None or relative is None:
            if path_known:
                return _Answer(405, {"detail": "Method Not Allowed"})
            return _Answer(404, {"detail": "Not Found"})
        if "meibel-api-key" not in headers:
            return _Answer(401, {"detail": "Not authenticated"})
        operation = route.operation_id
        implementation = getattr(self, f"_op_{operation}", None)
        if implementation is None:
            return _Answer(501, {"detail": f"FakeMeibel does not implement {operation}"})
        errors = spec().check_request(operation, json_body)
        if errors:
            return _Answer(422, {"detail": errors})
        params = spec().params(route, relative)
        try:
            answer: _Answer = implementation(
                params=params, query=query, json=json_body, form=form, files=files
            )
        except _HTTPError as error:
            return _Answer(error.status, {"detail": error.detail})
        if answer.events is None and answer.status == 200:
            spec().check_response(operation, answer.body)
        return answer

    def _record(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        route: Any,
        json_body: Any,
        form: dict[str, str],
        files: list[FilePart],
        headers: dict[str, str],
    ) -> None:
        self.requests.append(
            RecordedRequest(
                method=method,
                path=path,
                query=query,
                operation_id=None if route is None else route.operation_id,
                json=json_body,
                form=form,
                files=files,
                headers=headers,
            )
        )

    def _id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}_{self._counter}"

    def _session(self, session_id: str) -> FakeSession:
        session = self.sessions.get(session_id)
        if session is None:
            raise _HTTPError(404, f"Session {session_id} not found")
        return session

    def _next_reply(self) -> _Reply:
        if self._replies:
            return self._replies.popleft()
        return _Reply(DEFAULT_REPLY, None, None, [], 0.0, None)

    # ----- operations: each takes params/query/json/form/files, returns an _Answer ----------

    def _op_createSession(self, *, params: dict[str, str], **_: Any) -> _Answer:
        session = FakeSession(self._id("session"), params["agent_id"], _now())
        self.sessions[session.id] = session
        body = {"session_id": session.id, "agent_id": session.agent_id}
        return _Answer(200, {**body, "created_at": session.created_at})

    def _op_getSession(self, *, params: dict[str, str], **_: Any) -> _Answer:
        session = self._session(params["session_id"])
        messages = [
            {
                "role": "user" if item["type"] == "user_message" else "assistant",
                "message": item["message"],
                "signal_id": item["signal_id"],
                "timestamp": item["timestamp"],
            }
            for item in session.messages
            if item["type"] in ("user_message", "agent_response")
        ]
        tools = [
            {
                "tool_id": item["tool_id"],
                "tool_call": {
                    "tool_name": item["tool_name"],
                    "arguments": item["arguments"],
                    "sequence": None,
                    "timestamp": item["timestamp"],
                },
                "tool_result": {
                    "tool_name": item["tool_name"],
                    "result": json.dumps(item["result"]),
                    "sequence": None,
                    "timestamp": item["timestamp"],
                },
            }
            for item in session.messages
            if item["type"] == "tool_call"
        ]
        parsing = [
            {
                "file_id": f"file_{index}",
                "filename": part.filename,
                "parse_start": None,
                "parse_complete": None,
            }
            for index, part in enumerate(session.files, start=1)
        ]
        body = {
            "session_id": session.id,
            "created_at": session.created_at,
            "agent_id": session.agent_id,
            "agent_name": None,
            "version": None,
            "status": "active",
            "messages": messages,
            "tool_activity": tools,
            "token_usage": [],
            "file_parsing": parsing,
            "result": [],
        }
        return _Answer(200, body)

    def _op_getSessionMessages(self, *, params: dict[str, str], **_: Any) -> _Answer:
        session = self._session(params["session_id"])
        body = {
            "agent_id": session.agent_id,
            "agent_name": None,
            "version": None,
            "messages": [dict(item) for item in session.messages],
        }
        return _Answer(200, body)

    def _history(
        self, session: FakeSession, reply: _Reply, signal_id: str, *, completed: bool
    ) -> None:
        if not completed:
            return
        for index, call in enumerate(reply.tool_calls, start=1):
            session.messages.append(
                {
                    "type": "tool_call",
                    "tool_id": f"{signal_id}_tool_{index}",
                    "tool_name": call.name,
                    "arguments": call.arguments,
                    "result": call.result,
                    "signal_id": signal_id,
                    "timestamp": _now(),
                }
            )
        session.messages.append(
            {
                "type": "agent_response",
                "message": reply.text,
                "signal_id": signal_id,
                "timestamp": _now(),
            }
        )

    def _user_turn(self, session: FakeSession, message: str, signal_id: str) -> None:
        session.messages.append(
            {
                "type": "user_message",
                "message": message,
                "signal_id": signal_id,
                "timestamp": _now(),
            }
        )

    def _op_sendChatMessage(
        self, *, params: dict[str, str], json: dict[str, Any], **_: Any
    ) -> _Answer:
        session = self._session(params["session_id"])
        message = json["user_message"]
        self.chats.append(RecordedChat(session.id, message, False, dict(json), []))
        reply = self._next_reply()
        signal_id = self._id("signal")
        response: dict[str, Any] = {"message": reply.text}
        if reply.sources is not None:
            response["sources"] = reply.sources
        if reply.follow_up_questions is not None:
            response["follow_up_questions"] = reply.follow_up_questions
        body: dict[str, Any] = {
            "signal_id": signal_id,
            "assistant_response": reply.text,
            "response": response,
        }
        if reply.tool_calls:
            body["tool_activity"] = [
                {
                    "tool_id": f"{signal_id}_tool_{index}",
                    "tool_name": call.name,
                    "arguments": call.arguments,
                    "result": call.result,
                    "timestamp": _now(),
                }
                for index, call in enumerate(reply.tool_calls, start=1)
            ]
        # Validate before the history changes, so a bad script leaves no half-written turn.
        spec().check_response("sendChatMessage", body)
        self._user_turn(session, message, signal_id)
        self._history(session, reply, signal_id, completed=True)
        return _Answer(200, body)

    def _op_sendChatMessageStream(
        self, *, params: dict[str, str], form: dict[str, str], files: list[FilePart], **_: Any
    ) -> _Answer:
        session = self._session(params["session_id"])
        message = form.get("user_message", "")
        self.chats.append(RecordedChat(session.id, message, True, dict(form), list(files)))
        reply = self._next_reply()
        signal_id = self._id("signal")
        events = self._stream_events(reply, signal_id)
        completed = reply.drop_after is None
        if reply.drop_after is not None:
            kept = 0
            cut: list[bytes | float] = []
            for chunk in events:
                if isinstance(chunk, bytes):
                    if kept >= reply.drop_after:
                        break
                    kept += 1
                cut.append(chunk)
            events = cut
        self._user_turn(session, message, signal_id)
        session.files.extend(files)
        self._history(session, reply, signal_id, completed=completed)
        return _Answer(200, events=events, drop=not completed)

    def _stream_events(self, reply: _Reply, signal_id: str) -> list[bytes | float]:
        """The whole stream, every event validated before anything is sent."""
        check = spec().check_event
        sequence = 0
        chunks: list[bytes | float] = []

        def emit(name: str, data: dict[str, Any]) -> None:
            check(_STREAM, name, data)
            encoded = json.dumps(data, separators=(",", ":"))
            chunks.append(f"event: {name}\ndata: {encoded}\n\n".encode())

        def envelope(kind: str, **fields: Any) -> dict[str, Any]:
            nonlocal sequence
            sequence += 1
            disposition = "final" if kind == "completion" else "partial"
            return {
                "type": kind,
                "disposition": disposition,
                "sequence": str(sequence),
                "timestamp": _now(),
                **fields,
            }

        emit("connected", {"signal_id": signal_id})
        emit("status", envelope("status", content="Thinking"))
        for index, call in enumerate(reply.tool_calls, start=1):
            tool_id = f"{signal_id}_tool_{index}"
            emit(
                "tool_call",
                envelope(
                    "tool_call", tool_id=tool_id, tool_name=call.name, arguments=call.arguments
                ),
            )
            emit("tool_result", envelope("tool_result", tool_id=tool_id, result=call.result))
        for index, piece in enumerate(_pieces(reply.text)):
            data = {"message": piece, "clean_message": piece}
            emit("partial_response", envelope("partial_response", data=data))
            if index == 0 and reply.pause_after_first > 0:
                chunks.append(reply.pause_after_first)
        final: dict[str, Any] = {"message": reply.text, "clean_message": reply.text}
        if reply.sources is not None:
            # The event schema leaves sources loose; hold them to the spec's Source, as the
            # non-streaming reply is, so a script valid in one mode is valid in both.
            for index, source in enumerate(reply.sources):
                spec().check_component(_STREAM, "Source", source, f"completion source {index}")
            final["sources"] = reply.sources
        if reply.follow_up_questions is not None:
            final["follow_up_questions"] = reply.follow_up_questions
        emit("completion", envelope("completion", data=final))
        chunks.append(b"data: [DONE]\n\n")
        return chunks

    def _op_listAgents(self, *, query: dict[str, str], **_: Any) -> _Answer:
        # Agents are implicit: every agent a session was created for, plus "agent_123".
        names = sorted({"agent_123", *(s.agent_id for s in self.sessions.values())})
        agents = [
            {
                "id": name,
                "name": name,
                "display_name": name.replace("_", " ").title(),
                "version": "1",
                "type": "chat",
                "llm_model": "fake-model",
                "tool_count": 0,
                "datasource_count": 0,
            }
            for name in names
        ]
        offset, limit = int(query.get("offset", 0)), int(query.get("limit", 20))
        page = agents[offset : offset + limit]
        return _Answer(200, {"data": page, "total": len(agents), "offset": offset, "limit": limit})

    def _op_listDatasources(self, **_: Any) -> _Answer:
        return _Answer(200, {"datasources": list(self.datasources.values())})

    def _op_createDatasource(self, *, json: dict[str, Any], **_: Any) -> _Answer:
        now = _now()
        connector = json.get("connector") or {"type": "cloud_storage"}
        summary: dict[str, Any] = {"type": connector["type"]}
        if connector.get("cloud_storage"):
            summary["cloud_storage"] = {"provider": connector["cloud_storage"]["provider"]}
        if connector.get("web_crawl"):
            summary["web_crawl"] = connector["web_crawl"]
        datasource: dict[str, Any] = {
            "id": self._id("ds"),
            "name": json["name"],
            "description": json.get("description") or "",
            "connector": summary,
            "created_at": now,
            "updated_at": now,
            "files": {"total": 0},
        }
        metadata = json.get("metadata_config")
        if metadata:
            datasource["metadata_config"] = {
                "type": metadata["type"],
                "fields": metadata.get("fields") or [],
                "model_id": metadata.get("model_id"),
            }
        self.datasources[datasource["id"]] = datasource
        return _Answer(200, datasource)

    def _datasource(self, datasource_id: str) -> dict[str, Any]:
        datasource = self.datasources.get(datasource_id)
        if datasource is None:
            raise _HTTPError(404, f"Datasource {datasource_id} not found")
        return datasource

    def _op_getDatasource(self, *, params: dict[str, str], **_: Any) -> _Answer:
        return _Answer(200, self._datasource(params["datasource_id"]))

    def _op_uploadContent(
        self, *, params: dict[str, str], files: list[FilePart], **_: Any
    ) -> _Answer:
        datasource = self._datasource(params["datasource_id"])
        if not files:
            raise _HTTPError(422, [_missing("files")])
        upload = Upload(datasource["id"], self._id("upload"), list(files))
        self.uploads.append(upload)
        datasource["files"] = {"total": datasource["files"]["total"] + len(files)}
        datasource["updated_at"] = _now()
        body = {
            "success": True,
            "message": f"Uploading {len(files)} file(s)",
            "datasource_id": datasource["id"],
            "upload_id": upload.upload_id,
            "sse_url": f"{_PREFIX}/datasources/uploads/{upload.upload_id}/progress",
            "estimated_files": len(files),
            "estimated_size": sum(len(part.data) for part in files),
        }
        return _Answer(200, body)

    def _op_parseDocument(self, *, files: list[FilePart], **_: Any) -> _Answer:
        part = next((part for part in files if part.field == "file"), None)
        if part is None:
            raise _HTTPError(422, [_missing("file")])
        job = ParseJob(self._id("job"), part)
        self.parse_jobs[job.job_id] = job
        return _Answer(200, {"job_id": job.job_id, "status": job.status})

    def _op_getDocumentStatus(self, *, params: dict[str, str], **_: Any) -> _Answer:
        job = self.parse_jobs.get(params["job_id"])
        if job is None:
            raise _HTTPError(404, f"Job {params['job_id']} not found")
        job.status = "completed"
        filename = job.file.filename or ""
        body = {
            "job_id": job.job_id,
            "status": job.status,
            "format": filename.rpartition(".")[2].lower() if "." in filename else "unknown",
            "pages": 1,
            "elements": 0,
            "tables": 0,
            "processing_time_ms": 0,
            "confidence": None,
            "error": None,
        }
        return _Answer(200, body)


def _missing(name: str) -> dict[str, Any]:
    return {"type": "missing", "loc": ["body", name], "msg": "Field required", "input": None}
