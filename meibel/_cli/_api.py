"""The generated commands: their arguments (from an Operation) and the one handler that runs
any of them through the client, so auth, retries, errors and deadlines are the client's."""

from __future__ import annotations

import argparse
import copy
import inspect
import json
import math
import sys
from collections.abc import Callable
from typing import Any

from .._client import MeibelClient
from ._commands import UsageError, existing, output_destination, save_and_report
from ._operations import Operation, Option, kebab
from ._output import Output, write
from ._render import answer, events, items
from ._text import shown

__all__ = ["add_operation", "request_body", "run_operation"]


def _number(kind: type[int] | type[float]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value):
            raise argparse.ArgumentTypeError(
                f"{text!r} is not {'an integer' if kind is int else 'a number'}"
            )
        return value

    parse.__name__ = kind.__name__
    return parse


def _json_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not JSON: {error}") from None


def _add(parser: argparse.ArgumentParser, option: Option, id_type: Callable[[str], str]) -> None:
    default = "" if option.default is None else f" (default: {option.default})"
    helps = (option.help or option.where) + default
    if option.required:
        helps += " (required)"
    kwargs: dict[str, Any] = {"dest": option.dest, "help": helps.replace("%", "%%")}
    if option.type == "bool" and not option.many:
        parser.add_argument(option.flag, action=argparse.BooleanOptionalAction, **kwargs)
        return
    if option.where == "path":
        kwargs["type"] = id_type
    elif option.type in ("int", "float"):
        kwargs["type"] = _number(int if option.type == "int" else float)
    elif option.type == "json":
        kwargs["type"] = _json_value
    if option.choices:
        kwargs["choices"] = option.choices
    flags = [option.flag]
    if option.where == "file":
        kwargs["metavar"] = "PATH"
        if option.many and option.name.endswith("s"):
            flags.append(option.flag[:-1])  # `--file a --file b` for `files`
    else:
        kwargs["metavar"] = kebab(option.name).upper()
    if option.many:
        kwargs["action"] = "append"
    parser.add_argument(*flags, required=option.required, **kwargs)


def add_operation(
    group: argparse._SubParsersAction[argparse.ArgumentParser],
    operation: Operation,
    options: Callable[[argparse.ArgumentParser, bool], None],
    id_type: Callable[[str], str],
) -> argparse.ArgumentParser:
    """The command of `operation` in its tag's group; `options(parser, formats)` adds the global
    options (`formats`: --output FORMAT, which a command saving a file takes as its -o PATH)."""
    plan = operation.plan
    description = operation.summary + "."
    if operation.description and operation.description != operation.summary:
        description += "\n\n" + operation.description
    description += f"\n\n{plan['http_method']} {plan['path']} ({plan['operation_id']})"
    sub = group.add_parser(
        operation.name,
        aliases=list(operation.aliases),
        help=operation.summary,
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    downloads = plan["kind"] == "download"
    options(sub, not downloads)
    if operation.positional is not None:
        own = operation.positional
        sub.add_argument(
            own.dest,
            type=id_type,
            metavar=kebab(own.name).upper(),
            nargs="?" if own.optional_id else None,
            help=own.help
            or ("the client's default datasource if left out" if own.optional_id else None),
        )
    for option in operation.options:
        _add(sub, option, id_type)
    if operation.takes_data:
        sub.add_argument(
            "--data",
            metavar="JSON|@FILE|-",
            help="the whole body as a JSON object (text, @file or - for stdin); the options "
            "above override its fields",
        )
    if downloads:
        sub.add_argument(
            "-o", "--output", required=True, metavar="OUT", help="a file, a folder, or - for stdout"
        )
        sub.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    sub.set_defaults(handler=run_operation, operation=operation)
    return sub


def _data(text: str | None) -> dict[str, Any]:
    """`--data`: a JSON object given as text, `@file` or `-` (stdin)."""
    if text is None:
        return {}
    if text == "-":
        text = sys.stdin.read()
    elif text.startswith("@"):
        text = existing(text[1:], folder=False).read_text(encoding="utf-8")
    try:
        document = json.loads(text)
    except ValueError as error:
        raise UsageError(f"--data: not JSON: {error}") from None
    if not isinstance(document, dict):
        raise UsageError("--data: the body must be a JSON object")
    return document


def request_body(operation: Operation, args: argparse.Namespace) -> dict[str, Any]:
    """The body fields the command gives: `--data`, then the options (which win). `--data` is
    read once (`-` reads stdin), so `--fake` can look at the body before the command sends it."""
    read: dict[str, Any] | None = getattr(args, "_read_body", None)
    if read is None:
        read = _data(getattr(args, "data", None))
        for option in operation.options:
            value = getattr(args, option.dest)
            if value is not None and option.where in ("body", "form"):
                read[option.name] = value
        args._read_body = read
    return copy.deepcopy(read)


def _keyword(parameters: Any, name: str) -> str:
    """The method's keyword for a spec name (the generator adds `_` to some: `format_`)."""
    for candidate in (name, f"{name}_", f"field_{name}"):
        if candidate in parameters:
            return candidate
    raise UsageError(f"the client has no argument for {name!r}")  # plans.json and client differ


def call(client: MeibelClient, operation: Operation, args: argparse.Namespace) -> Any:
    """Call the operation's method with what the command line gave."""
    plan = operation.plan
    method = getattr(getattr(client, plan["namespace"]), plan["method"])
    parameters = inspect.signature(method).parameters
    positional = []
    if operation.positional is not None:
        value = getattr(args, operation.positional.dest)
        if value is not None:
            positional.append(value)
    keywords: dict[str, Any] = {}
    body = request_body(operation, args)
    for option in operation.options:
        value = getattr(args, option.dest)
        if value is None or option.where in ("body", "form"):
            continue
        if option.where == "file":
            paths = [existing(v, folder=False) for v in (value if option.many else [value])]
            keywords[_keyword(parameters, option.name)] = paths if option.many else paths[0]
        else:
            keywords[_keyword(parameters, option.name)] = value
    if operation.takes_data:
        missing = [name for name in operation.body_required if name not in body]
        if missing:
            flags = ", ".join(f"--{kebab(name)}" for name in missing)
            raise UsageError(f"missing {flags} (or give it in --data)")
        if body or plan["body"] == "json":
            keywords["body"] = body
    try:
        return method(*positional, **keywords)
    except TypeError as error:  # refused before sending: a missing id, a body field's type
        raise UsageError(str(error)) from None


def run_operation(client: MeibelClient, args: argparse.Namespace, out: Output) -> int:
    operation: Operation = args.operation
    kind = operation.plan["kind"]
    destination = output_destination(args) if kind == "download" else None
    result = call(client, operation, args)
    if kind == "paginate":
        items(out, (page.items for page in result.iter_pages()), empty="none")
    elif kind in ("stream", "chat_stream"):
        with result:
            events(out, result)
    elif kind == "download":
        assert destination is not None  # required by the parser
        save_and_report(result, destination, args.overwrite, out)
    elif kind == "none":
        ids = [getattr(args, operation.positional.dest)] if operation.positional else []
        done = " ".join([operation.tag, operation.name, *filter(None, ids)])
        write(out.stderr, f"{shown(done)}: done\n")
    else:
        answer(out, result)
    return 0
