"""The command line: `meibel [--json] [--fake] [--debug] COMMAND ...` (see docs/cli.md)."""

from __future__ import annotations

import argparse
import dataclasses
import math
from collections.abc import Callable

from .._generated import __api_version__, path_segment
from .._version import __version__
from .._waiting import POLL_INTERVALS
from . import _commands as commands
from . import _config as config
from ._api import add_operation
from ._operations import JSON, operations
from ._render import FORMATS as RENDER_FORMATS

VERSION = f"meibel-sdk {__version__} (Meibel API {__api_version__})"

EPILOG = """\
The key comes from MEIBEL_API_KEY and the server from MEIBEL_BASE_URL; --fake uses the built-in
fake instead (no key, no network; needs the [testing] extra).

exit status: 0 done; 1 the API, the network, a job or a local file failed; 2 a usage error,
no API key, or a missing extra. Errors are one line on stderr (a traceback with --debug).
"""

FORMATS = ("markdown", "annotated", "docling", "json")
FORMATS_OUT = RENDER_FORMATS


def _options(parser: argparse.ArgumentParser, *, on_command: bool, formats: bool = True) -> None:
    """The global options, accepted before the command and after it (`--output FORMAT` after
    it only where `formats`: a command that saves a file takes `-o/--output PATH` instead)."""
    # After the command they must not reset what was given before it: a subcommand's defaults
    # overwrite the main parser's, so there they have none.
    default = argparse.SUPPRESS if on_command else False
    none = argparse.SUPPRESS if on_command else None
    parser.add_argument(
        "--json", action="store_true", default=default, help="print JSON: --output json"
    )
    if formats:
        parser.add_argument(
            "--output",
            dest="output_format",
            choices=FORMATS_OUT,
            default=none,
            help="table, json or jsonl (default: a table on a terminal, JSON into a pipe)",
        )
    parser.add_argument(
        "--profile", default=none, metavar="NAME", help="the config file's profile to use"
    )
    parser.add_argument(
        "--base-url", default=none, metavar="URL", help="the API's URL (over MEIBEL_BASE_URL)"
    )
    parser.add_argument(
        "--fake",
        action="store_true",
        default=default,
        help="use the built-in fake: no key, no network (needs the [testing] extra)",
    )
    parser.add_argument(
        "--debug", action="store_true", default=default, help="show tracebacks of errors"
    )


# The most a command waits (a week) and the longest pause between status requests (an hour):
# beyond them a number is a typo, and 1e308 or inf would overflow the clock arithmetic.
MAX_TIMEOUT = 7 * 24 * 3600
# The waiters' own range (meibel/_waiting.py), so that the command refuses what they would.
MIN_POLL_INTERVAL, MAX_POLL_INTERVAL = POLL_INTERVALS


def _seconds(*, least: float, most: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and least <= value <= most):
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a number of seconds from {least:g} to {most:g}"
            )
        return value

    return parse


def _id(text: str) -> str:
    """An id as typed, refused by the rule every call applies to a path id (blank, "..", ...)."""
    try:
        path_segment("id", text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix("id ")) from None
    return text


def _wait_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        type=_seconds(least=0, most=MAX_TIMEOUT),
        metavar="SECONDS",
        help=f"give up waiting after this long (default: 600; at most {MAX_TIMEOUT})",
    )
    parser.add_argument(
        "--poll-interval",
        type=_seconds(least=MIN_POLL_INTERVAL, most=MAX_POLL_INTERVAL),
        metavar="SECONDS",
        help="first pause between status requests, doubling up to 10 s (default: 1; at most "
        f"{MAX_POLL_INTERVAL:g})",
    )


Handler = Callable[..., int]


def build_parser(
    plans: dict[str, JSON] | None = None, spec: JSON | None = None
) -> argparse.ArgumentParser:
    """The whole command line: the task commands, then a command per operation of `plans`
    (default: the packaged plans.json and openapi.json)."""
    parser = argparse.ArgumentParser(
        prog="meibel",
        description="Meibel AI from the terminal.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=VERSION)
    _options(parser, on_command=False)
    top = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    groups: dict[str, argparse._SubParsersAction[argparse.ArgumentParser]] = {}

    def command(
        group: argparse._SubParsersAction[argparse.ArgumentParser],
        name: str,
        handler: Handler,
        help: str,
        *,
        formats: bool = True,
    ) -> argparse.ArgumentParser:
        sub = group.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".")
        _options(sub, on_command=True, formats=formats)
        sub.set_defaults(handler=handler)
        return sub

    def group(name: str, help: str) -> argparse._SubParsersAction[argparse.ArgumentParser]:
        sub = top.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".")
        _options(sub, on_command=True)
        groups[name] = sub.add_subparsers(dest="action", required=True, metavar="ACTION")
        return groups[name]

    agents = group("agents", "the account's agents")
    command(agents, "list", commands.agents_list, "list the agents, every page")

    datasources = group("datasources", "the account's datasources")
    command(datasources, "list", commands.datasources_list, "list the datasources")
    create = command(datasources, "create", commands.datasources_create, "create a datasource")
    create.add_argument("name", metavar="NAME")
    create.add_argument("--description", default="", help="what it holds")

    sub = command(
        top, "upload", commands.upload, "upload every file of a folder (or a list) to a datasource"
    )
    sub.add_argument(
        "folder", metavar="FOLDER", nargs="?", help="a folder, or an fsspec URL (s3://bucket/dir)"
    )
    sub.add_argument(
        "--from-file",
        metavar="LIST",
        help="upload the files listed in LIST instead, one path or URL a line ('-': stdin)",
    )
    sub.add_argument(
        "--datasource", required=True, type=_id, metavar="ID", help="the datasource's id"
    )
    sub.add_argument("--pattern", default="**/*", help="which files, as a glob (default: all)")
    sub.add_argument("--include-hidden", action="store_true", help="upload dotfiles too")
    sub.add_argument(
        "--journal",
        metavar="PATH",
        help="record each stored file in PATH; a rerun with it uploads only the rest",
    )
    sub.add_argument(
        "--resume",
        action="store_true",
        help="--journal at its default place for this folder and datasource "
        "($XDG_STATE_HOME/meibel/uploads/)",
    )
    sub.add_argument("--ingest", action="store_true", help="start an ingest once uploaded")
    sub.add_argument("--wait", action="store_true", help="start an ingest and wait until it ends")
    _wait_options(sub)

    sub = command(top, "parse", commands.parse, "parse a document", formats=False)
    sub.add_argument("file", metavar="FILE")
    sub.add_argument("--wait", action="store_true", help="wait until the parse ends")
    sub.add_argument(
        "-o", "--output", metavar="OUT", help="save the result there (a file or folder; waits)"
    )
    sub.add_argument("--format", choices=FORMATS, default="markdown", help="the result's format")
    sub.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    _wait_options(sub)

    sub = command(
        top, "download", commands.download, "save the file a download job built", formats=False
    )
    sub.add_argument("datasource", type=_id, metavar="DATASOURCE")
    sub.add_argument("job", type=_id, metavar="JOB")
    sub.add_argument("-o", "--output", required=True, metavar="OUT", help="a file or folder")
    sub.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")

    ingest = group("ingest", "a datasource's ingest runs")
    sub = command(ingest, "status", commands.ingest_status, "the latest ingest run's status")
    sub.add_argument("datasource", type=_id, metavar="DATASOURCE")
    sub = command(ingest, "wait", commands.ingest_wait, "wait until the ingest run ends")
    sub.add_argument("datasource", type=_id, metavar="DATASOURCE")
    _wait_options(sub)

    sub = command(top, "chat", commands.chat, "chat with an agent, replies streamed")
    sub.add_argument("--agent", required=True, type=_id, help="the agent's id")

    config.add_commands(group("config", "the config file's profiles"), command)
    sub = command(top, "completion", commands.completion, "print a shell's completion script")
    sub.add_argument("shell", choices=("bash", "zsh", "fish"), help="bash, zsh or fish")
    sub.set_defaults(local=True)

    for operation in operations(plans, spec):
        if operation.tag not in groups:
            group(operation.tag, f"the {operation.tag} operations")
        taken = groups[operation.tag].choices
        names = [n for n in (operation.name, *operation.aliases) if n not in taken]
        if names:  # a task command of that name (agents list) keeps it: the method's name is left
            named = dataclasses.replace(operation, name=names[0], aliases=tuple(names[1:]))
            add_operation(groups[operation.tag], named, _generated_options, _id)
    return parser


def _generated_options(parser: argparse.ArgumentParser, formats: bool) -> None:
    _options(parser, on_command=True, formats=formats)
