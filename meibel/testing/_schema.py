"""The spec, loaded once, and validators for response bodies and stream events."""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import quote, unquote

# jsonschema ships no type information (types-jsonschema is not a dependency).
from jsonschema import Draft202012Validator  # type: ignore[import-untyped,unused-ignore]
from jsonschema.exceptions import best_match  # type: ignore[import-untyped,unused-ignore]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from meibel._generated import PACKAGE

__all__ = ["FakeSchemaError", "Route", "Spec", "child", "spec", "using"]

BASE_URI = "urn:meibel:api-v2"


class FakeSchemaError(AssertionError):
    """What the fake was about to send does not match the spec (operation and reason named)."""


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    operation_id: str
    pattern: re.Pattern[str]


def _pointer(*segments: str) -> str:
    return child("#", *segments)


def child(pointer: str, *segments: str) -> str:
    """`pointer` with `segments` appended, each escaped (JSON pointer, then URI fragment)."""
    escaped = (quote(s.replace("~", "~0").replace("/", "~1"), safe="") for s in segments)
    return "/".join((pointer, *escaped))


class Spec:
    """The normalised OpenAPI document of meibel_api_v2, with routes and cached validators."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(BASE_URI, resource)
        self._validators: dict[str, Draft202012Validator] = {}
        routes: list[Route] = []
        for template, item in document["paths"].items():
            regex = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
            for method, operation in item.items():
                if isinstance(operation, dict) and "operationId" in operation:
                    routes.append(
                        Route(method.upper(), template, operation["operationId"], re.compile(regex))
                    )
        # Literal segments win over parameters: /datasources/uploads/... before /{datasource_id}.
        routes.sort(key=lambda route: route.template.count("{"))
        self.routes = routes
        self._by_operation = {route.operation_id: route for route in routes}
        self.operations = {
            route.operation_id: document["paths"][route.template][route.method.lower()]
            for route in routes
        }

    def match(self, method: str, path: str) -> tuple[Route | None, bool]:
        """The route for `method path` (relative to /v2), and whether the path exists at all."""
        path_known = False
        for route in self.routes:
            if route.pattern.fullmatch(path):
                path_known = True
                if route.method == method:
                    return route, True
        return None, path_known

    def params(self, route: Route, path: str) -> dict[str, str]:
        names = re.findall(r"\{([^/]+?)\}", route.template)
        regex = re.sub(r"\\\{[^/]+?\\\}", "([^/]+)", re.escape(route.template))
        found = re.fullmatch(regex, path)
        assert found is not None
        return dict(zip(names, found.groups(), strict=True))

    def _validator(self, ref: str) -> Draft202012Validator:
        validator = self._validators.get(ref)
        if validator is None:
            validator = Draft202012Validator({"$ref": BASE_URI + ref}, registry=self._registry)
            self._validators[ref] = validator
        return validator

    def _check(self, ref: str, instance: object, what: str) -> None:
        errors = list(self._validator(ref).iter_errors(instance))
        if errors:
            error = best_match(errors)
            where = "/".join(str(part) for part in error.absolute_path) or "(root)"
            raise FakeSchemaError(
                f"{what} does not match the spec at {where}: {error.message}"
                f"{f' (and {len(errors) - 1} more)' if len(errors) > 1 else ''}"
            )

    def node(self, pointer: str) -> Any:
        """The part of the document at `pointer` ("#/components/schemas/X", as `_pointer` makes)."""
        found: Any = self.document
        for segment in pointer.removeprefix("#").split("/")[1:]:
            key = unquote(segment).replace("~1", "/").replace("~0", "~")
            found = found[int(key)] if isinstance(found, list) else found[key]
        return found

    def valid(self, pointer: str, instance: object) -> bool:
        """Whether `instance` matches the schema at `pointer`."""
        return bool(self._validator(pointer).is_valid(instance))

    def pointer(self, operation_id: str, *segments: str) -> str:
        """The pointer to a part of an operation: pointer("getAgent", "responses", "200")."""
        route = self.route(operation_id)
        return _pointer("paths", route.template, route.method.lower(), *segments)

    def check(self, ref: str, instance: object, what: str) -> None:
        """Validate `instance` against the schema at `ref` (a JSON pointer into the spec);
        FakeSchemaError starting with `what` and naming where it does not match."""
        self._check(ref, instance, what)

    def json_answer(self, operation_id: str, status: int = 200) -> tuple[str, dict[str, Any]]:
        """The pointer to the operation's application/json answer schema, and that schema
        (a top-level $ref followed)."""
        route = self.route(operation_id)
        ref = _pointer(
            "paths", route.template, route.method.lower(), "responses", str(status), "content",
            "application/json", "schema",
        )  # fmt: skip
        schema = self.operations[operation_id]["responses"][str(status)]["content"]
        schema = schema["application/json"]["schema"]
        while "$ref" in schema:
            node: Any = self.document
            for segment in schema["$ref"].removeprefix("#/").split("/"):
                node = node[segment.replace("~1", "/").replace("~0", "~")]
            schema = node
        return ref, schema

    def route(self, operation_id: str) -> Route:
        return self._by_operation[operation_id]

    def response_content(self, operation_id: str, status: int) -> dict[str, Any] | None:
        """The spec's `content` of the operation's answer with `status`; None if undeclared."""
        response = self.operations[operation_id]["responses"].get(str(status))
        return None if response is None else dict(response.get("content", {}))

    def check_response(self, operation_id: str, body: object, status: int = 200) -> None:
        """Validate a JSON body against the operation's application/json schema for `status`.

        A status the spec declares without content takes no body (None).
        """
        content = self.response_content(operation_id, status)
        what = f"{operation_id}: the {'' if status == 200 else f'{status} '}response body"
        if content is None:
            raise FakeSchemaError(f"{operation_id}: the spec declares no {status} answer")
        if "application/json" not in content:
            if content:
                raise FakeSchemaError(f"{what}: the {status} answer is {', '.join(content)}")
            if body is not None:
                raise FakeSchemaError(f"{what}: the spec's {status} answer has no content")
            return
        route = self.route(operation_id)
        ref = _pointer(
            "paths", route.template, route.method.lower(), "responses", str(status), "content",
            "application/json", "schema",
        )  # fmt: skip
        self._check(ref, body, what)

    def event_schemas(self, operation_id: str) -> dict[str, str]:
        """Event name -> schema reference, from the operation's SSE discriminator mapping.

        Empty for a stream whose events the spec leaves free (one schema for every event).
        """
        operation = self.operations[operation_id]
        schema = operation["responses"]["200"]["content"]["text/event-stream"]["schema"]
        mapping: dict[str, str] = schema.get("discriminator", {}).get("mapping", {})
        return mapping

    def check_event(self, operation_id: str, name: str, data: object) -> None:
        """Validate one SSE event: {"event": name, "data": data} against its event schema, or
        `data` against the stream's one schema when the spec names no events."""
        mapping = self.event_schemas(operation_id)
        if not mapping:
            route = self.route(operation_id)
            ref = _pointer(
                "paths", route.template, route.method.lower(), "responses", "200", "content",
                "text/event-stream", "schema",
            )  # fmt: skip
            self._check(ref, data, f"{operation_id}: the {name!r} event")
            return
        event = mapping.get(name)
        if event is None:
            raise FakeSchemaError(f"{operation_id}: the spec has no event named {name!r}")
        self._check(event, {"event": name, "data": data}, f"{operation_id}: the {name!r} event")

    def check_component(self, operation_id: str, name: str, instance: object, what: str) -> None:
        """Validate against `#/components/schemas/<name>`."""
        self._check(_pointer("components", "schemas", name), instance, f"{operation_id}: {what}")

    def check_request(self, operation_id: str, body: object) -> list[dict[str, Any]]:
        """FastAPI-style 422 details for a JSON request body ([] when it is valid)."""
        content = self.operations[operation_id].get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            return []
        route = self.route(operation_id)
        ref = _pointer(
            "paths", route.template, route.method.lower(), "requestBody", "content",
            "application/json", "schema",
        )  # fmt: skip
        return [
            {
                "type": error.validator,
                "loc": ["body", *error.absolute_path],
                "msg": error.message,
                "input": error.instance,
            }
            for error in self._validator(ref).iter_errors(body)
        ]


@functools.cache
def shipped() -> Spec:
    """The spec shipped with meibel_api_v2 (loaded on first use)."""
    text = resources.files(PACKAGE).joinpath("openapi.json").read_text("utf-8")
    return Spec(json.loads(text))


# A fake built on another spec (FakeMeibel(_spec=...)) answers with it: it is set per thread
# while that fake works, since a server answers each connection on a thread of its own.
_current = threading.local()


def spec() -> Spec:
    """The spec the fake at work answers by: the shipped one unless it was built on another."""
    chosen: Spec | None = getattr(_current, "spec", None)
    return chosen if chosen is not None else shipped()


@contextmanager
def using(chosen: Spec | None) -> Iterator[None]:
    """Make `spec()` answer `chosen` in this thread for the block (None: leave it)."""
    if chosen is None:
        yield
        return
    previous = getattr(_current, "spec", None)
    _current.spec = chosen
    try:
        yield
    finally:
        _current.spec = previous
