"""FakeMeibel: a stateful, in-process stand-in for the Meibel API v2 (see the package docstring).

This module holds its public API and the dispatch; the operations are answered by the handler
mixins (`_op_<operationId>` methods), grouped by area in the modules next to this one, and any
operation without one by the generic answerer (_generic.py), from the spec alone.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import http
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote

from ._answer import Answer, HTTPError
from ._downloads import FakeDownloads
from ._jobs import JOB_KINDS
from ._records import FakeSession, Headers, RecordedRequest, Reply, ToolCall
from ._routing import Body, parse_body
from ._schema import FakeSchemaError, Route, Spec, spec
from ._seeding import Seeding
from ._server import FakeServer
from ._sessions import DEFAULT_REPLY
from ._state import PREFIX, Stub
from ._transport import FAKE_API_KEY, FAKE_BASE_URL, Transports

__all__ = ["DEFAULT_REPLY", "FAKE_API_KEY", "FAKE_BASE_URL", "FakeMeibel", "FakeSession"]

_Answer = Answer  # its name before the split into modules
_MISSING: Any = object()
_STUB_KEYS = frozenset({"json", "status", "headers"})
# The error statuses MeibelClient retries (meibel/_retry.py): a stub of one answers every request
# until unstubbed, or its retries would get the fake's own answer and the error never show.
RETRIED_STATUSES = frozenset(
    {408, 409, 429, *(status for status in range(500, 600) if status not in (501, 505))}
)


class FakeMeibel(Transports, Seeding, FakeDownloads):
    """A stateful fake of the Meibel API v2, in process or over real HTTP on 127.0.0.1.

    >>> fake = FakeMeibel()
    >>> fake.reply("Revenue grew 12%.", sources=[{"title": "Q4 report"}])
    >>> client = fake.client()
    >>> session = client.agents.create_session(agent_id="agent_1")
    >>> client.sessions.send_chat_message(session_id=session.id, body=...).message
    'Revenue grew 12%.'

    It answers every operation of the spec: with a hand-written handler (`_op_<operationId>`),
    else from the spec alone (`generic_operations()`). Jobs (document parses, deep transforms,
    ingests, download jobs, scoring jobs, uploads) move on one step per poll of their status:
    `job_steps` polls before the terminal one. Every JSON body and stream event it sends is
    validated against the spec first; a mismatch raises FakeSchemaError (in process) or is kept
    in `schema_errors` and re-raised when `serve()` exits. State is read through read-only
    mappings (`sessions`, `agents`, `datasources`, `parse_jobs`, `jobs`, ...) and arranged with
    `seed()` or the API; what it received is in `requests`, `chats` and `uploads`.
    """

    def __init__(self, *, job_steps: int = 2, _spec: Mapping[str, Any] | None = None) -> None:
        # `_spec`: another normalised spec document to answer by (the SDK's own tests use it
        # to play a spec bump); left out, the spec shipped with the SDK.
        chosen = None if _spec is None else Spec(copy.deepcopy(dict(_spec)))
        super().__init__(job_steps=job_steps, spec=chosen)

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
                Reply(
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

    def fail_job(self, kind: str, error: str = "Fake failure", *, times: int = 1) -> None:
        """Make the next `times` jobs of `kind` fail with `error` (one of JOB_KINDS:
        "document", "deep_transform", "ingest", "download", "scoring", "upload").

        The job runs as usual, then ends in its kind's failed status with `error` as the
        reason; its progress stream ends with an `error` event.
        """
        if kind not in JOB_KINDS:
            raise ValueError(f"unknown job kind {kind!r}: one of {', '.join(JOB_KINDS)}")
        with self._lock:
            self._job_failures.setdefault(kind, deque()).extend([error] * times)

    def stub(
        self,
        operation_id: str,
        json: Any = _MISSING,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        sequence: Sequence[Any] | None = None,
        times: int | None = _MISSING,
    ) -> None:
        """Answer requests of `operation_id` with `json` (and `status`, `headers`), or the
        next requests with each item of `sequence` in turn; then the fake answers again.

        One answer is given to the next `times` requests (`None`: every request until
        `unstub()`). Left out, `times` is 1, except for a status the client retries (408, 409,
        429, 5xx but 501 and 505): that answers every request until `unstub()`, so the
        client's retries get it too and the error reaches the caller, as from an API that is
        down. An item of `sequence` answers one request (a retry is a request): a JSON value,
        or a dict of `json`, `status` and `headers` (wrap a JSON object with only those keys:
        {"json": {...}}). Each answer is checked against the spec's schema for its status now:
        FakeSchemaError if it does not match, or if the spec declares no such success status.
        Stubs queue up, and go before the fake's own answers (after `fail_next`,
        authentication and request validation).
        """
        with self._using():
            self._stub(operation_id, json, status, headers, sequence, times)

    def _stub(
        self,
        operation_id: str,
        json: Any,
        status: int,
        headers: Mapping[str, str] | None,
        sequence: Sequence[Any] | None,
        times: int | None,
    ) -> None:
        _check_operation(operation_id)
        if sequence is None:
            items = [{"json": json, "status": status, "headers": headers}]
            if times is _MISSING:
                times = None if status in RETRIED_STATUSES else 1
            elif times is not None and (not isinstance(times, int) or times < 1):
                raise ValueError(f"stub(times=...) is a number of requests, 1 or more: {times!r}")
        elif json is not _MISSING:
            raise TypeError("stub() takes json= or sequence=, not both")
        elif times is not _MISSING:
            raise TypeError("stub() takes times= for one answer; each item of sequence= is one")
        else:
            items = [_stub_item(item, status, headers) for item in sequence]
            times = 1
        answers = [Stub(_stub_answer(operation_id, **item), times) for item in items]
        with self._lock:
            self._stubs.setdefault(operation_id, deque()).extend(answers)

    def unstub(self, operation_id: str | None = None) -> None:
        """Remove the stubs of `operation_id` (of every operation when None): the fake answers
        it itself again."""
        with self._lock, self._using():
            if operation_id is None:
                self._stubs.clear()
                return
            _check_operation(operation_id)
            self._stubs.pop(operation_id, None)

    def unimplemented(self) -> list[str]:
        """The spec's operationIds this fake cannot answer (sorted; empty): those with neither
        a hand-written handler nor a success answer in the spec for the generic answerer."""
        with self._using():
            return sorted(
                op
                for op in spec().operations
                if not self._handled(op)
                and not any(code.startswith("2") for code in spec().operations[op]["responses"])
            )

    # ----- serving ------------------------------------------------------------------------

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Serve this fake over real HTTP on 127.0.0.1; yields the base URL (".../v2").

        Schema errors found while serving are answered as 500s and re-raised on exit.
        """
        errors_before = len(self.schema_errors)
        with FakeServer(self) as server:
            yield server.url + PREFIX
        if len(self.schema_errors) > errors_before:
            raise self.schema_errors[errors_before]

    def handle(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        raise_schema_errors: bool,
    ) -> Answer:
        """Answer one request (`target`: path and query string). The transports' common core."""
        received = RecordedRequest.received(method.upper(), target, Headers(headers.items()), body)
        try:
            with self._lock, self._using():
                return self._answer(received)
        except FakeSchemaError as error:
            self.schema_errors.append(error)
            if raise_schema_errors:
                raise
            return Answer(500, {"detail": f"FakeSchemaError: {error}"})

    def _answer(self, received: RecordedRequest) -> Answer:
        method, path, headers = received.method, received.path, received.headers
        route = None
        # Routed on the decoded path, as Starlette does: %2F in an id is a "/" there.
        relative = unquote(path[len(PREFIX) :]) if path.startswith(PREFIX + "/") else None
        path_known = False
        if relative is not None:
            route, path_known = spec().match(method, relative)
        try:
            request = parse_body(headers.get("content-type", ""), received.body)
        except HTTPError as error:
            self._record(received, route, Body())
            return Answer(error.status, {"detail": error.detail})
        self._record(received, route, request)
        if self._failures:
            status, detail = self._failures.popleft()
            return Answer(status, {"detail": detail})
        if route is None or relative is None:
            if path_known:
                return Answer(405, {"detail": "Method Not Allowed"})
            return Answer(404, {"detail": "Not Found"})
        if "meibel-api-key" not in headers:
            return Answer(401, {"detail": "Not authenticated"})
        operation = route.operation_id
        errors = spec().check_request(operation, request.json)
        if errors:
            return Answer(422, {"detail": errors})
        stubs = self._stubs.get(operation)
        if stubs:
            stub = stubs[0]
            if stub.remaining is not None:
                stub.remaining -= 1
                if stub.remaining == 0:
                    stubs.popleft()
            return stub.answer
        implementation = getattr(self, f"_op_{operation}", None)
        params = spec().params(route, relative)
        try:
            if implementation is None:
                sent = request.json if request.json is not None else request.form
                answer = self._generic(operation, params, received.query, sent)
            else:
                answer = implementation(
                    params=params,
                    query=received.query,
                    json=request.json,
                    form=request.form,
                    files=request.files,
                )
        except HTTPError as error:
            return Answer(error.status, {"detail": error.detail})
        if answer.events is None and answer.content is None and 200 <= answer.status < 300:
            spec().check_response(operation, answer.body, answer.status)
        return answer

    def _record(self, received: RecordedRequest, route: Route | None, request: Body) -> None:
        self.requests.append(
            dataclasses.replace(
                received,
                operation_id=None if route is None else route.operation_id,
                json=request.json,
                form=request.form,
                files=request.files,
            )
        )


def _check_operation(operation_id: str) -> None:
    if operation_id not in spec().operations:
        close = difflib.get_close_matches(operation_id, list(spec().operations), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"the spec has no operation {operation_id!r}{hint}")


def _stub_item(item: Any, status: int, headers: Mapping[str, str] | None) -> dict[str, Any]:
    """A `sequence` item as stub() arguments: a dict of json/status/headers, or a JSON value."""
    is_spec = (
        isinstance(item, dict)
        and set(item) <= _STUB_KEYS
        and ("json" in item or isinstance(item.get("status"), int))
    )
    if not is_spec:
        return {"json": item, "status": status, "headers": headers}
    return {
        "json": item.get("json", _MISSING),
        "status": item.get("status", status),
        "headers": item.get("headers", headers),
    }


def _stub_answer(
    operation_id: str, json: Any, status: int, headers: Mapping[str, str] | None
) -> Answer:
    """The answer a stub sends, checked against the spec for `status`."""
    content = spec().response_content(operation_id, status)
    if json is _MISSING:
        json = None
        if status >= 400:
            phrase = http.HTTPStatus(status).phrase
            item = {"type": "value_error", "loc": ["body"], "msg": phrase, "input": None}
            json = {"detail": [item] if status == 422 else phrase}
    if content is None and 200 <= status < 300:
        declared = ", ".join(spec().operations[operation_id]["responses"])
        raise FakeSchemaError(
            f"{operation_id}: the spec declares no {status} answer (it declares {declared})"
        )
    if content is not None:
        if "text/event-stream" in content:
            raise FakeSchemaError(
                f"{operation_id}: the {status} answer is an event stream, which stub() does "
                "not script (stub an error status instead)"
            )
        spec().check_response(operation_id, json, status)
    if status == 204:
        return Answer(204, headers=dict(headers) if headers else None)
    merged = {"Content-Type": "application/json", **(headers or {})}
    return Answer(status, json, headers=merged)
