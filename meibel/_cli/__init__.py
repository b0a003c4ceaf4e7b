"""`meibel`: the Meibel API from the terminal (docs/cli.md; `python -m meibel` too).

The task commands (`agents list`, `datasources list|create`, `upload`, `parse`, `download`,
`ingest status|wait`, the interactive `chat`), `config` and `completion`, and a command per
operation of the spec (`meibel <tag> <operation>`, read from the generated plans at run time).
The key and server come from the flags, the environment (MEIBEL_API_KEY, MEIBEL_BASE_URL) or the
config file's profile; `--fake` runs against the built-in fake (no key, no network; it needs the
`[testing]` extra).
Errors are one line on stderr, `meibel: <message>`, with exit status 1 (2 for usage errors, a
missing key or extra); `--debug` adds the traceback. `meibel --version` prints the versions.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence

from .._client import MeibelClient
from .._exceptions import MeibelError
from .._extras import MissingExtraError
from ._chat import chat
from ._commands import CommandFailed, Output, UsageError, one_line
from ._config import ConfigError, settings
from ._fake import seed_named_ids
from ._output import OutputClosed, silence
from ._parser import VERSION, build_parser
from ._text import shown

__all__ = ["VERSION", "chat", "main"]

# The datasource `--fake` always holds (besides any the command names).
FAKE_DATASOURCE = "ds_demo"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit status (argparse exits 2 itself on usage errors)."""
    parser = build_parser()
    if "_ARGCOMPLETE" in os.environ:  # a shell asking for completions (`meibel completion`)
        _complete(parser)
    args = parser.parse_args(argv)
    out = Output(args, sys.stdout, sys.stderr)
    if getattr(args, "local", False):  # config, completion: no client
        return _run(lambda: args.handler(None, args, out), args)
    try:
        client = _fake_client(args) if args.fake else _client(args)
    except (UsageError, MissingExtraError, MeibelError, ConfigError) as error:
        return _fail(error, 2, args.debug)
    with client:
        return _run(lambda: args.handler(client, args, out), args)


def _complete(parser: argparse.ArgumentParser) -> None:
    try:
        import argcomplete
    except ImportError:  # without the [cli] extra: no completions, and no error in the shell
        sys.exit(1)
    argcomplete.autocomplete(parser)


def _run(command: Callable[[], int], args: argparse.Namespace) -> int:
    try:
        return int(command())
    except OutputClosed as closed:  # `| head` read enough: nothing more to fetch or say
        silence(closed.stream)
        return 0
    except (UsageError, ConfigError, MissingExtraError) as error:  # an fsspec URL without it
        return _fail(error, 2, args.debug)
    except (MeibelError, OSError, CommandFailed) as error:
        return _fail(error, 1, args.debug)
    except KeyboardInterrupt as error:
        return _fail(error, 130, args.debug)


def _client(args: argparse.Namespace) -> MeibelClient:
    """A client with the settings of the flags, the environment and the profile, in that order."""
    chosen = settings(args)
    if not chosen["api_key"]:
        raise UsageError(
            "no API key: set MEIBEL_API_KEY (and MEIBEL_BASE_URL for another server), "
            "or try the built-in fake with --fake"
        )
    options = {key: value for key, value in chosen.items() if value is not None}
    return MeibelClient(**options)


def _fake_client(args: argparse.Namespace) -> MeibelClient:
    """A client of a fresh in-process fake holding `ds_demo` and the datasource the command names.

    Nothing outlives the command. For `ingest` commands the datasource has an ingest run under
    way, so there is something to show and to wait for.
    """
    from ..testing import FakeMeibel

    fake = FakeMeibel()
    client = fake.client()
    named: str | None = getattr(args, "datasource", None)
    for datasource_id in dict.fromkeys(filter(None, (FAKE_DATASOURCE, named))):
        name = "Demo" if datasource_id == FAKE_DATASOURCE else datasource_id
        fake.seed("datasources", datasource_id, name=name)
    if args.command == "ingest" and named and not hasattr(args, "operation"):
        client.ingest.trigger_ingest(named)
    if (operation := getattr(args, "operation", None)) is not None:
        seed_named_ids(fake, operation, args, held={"datasource_id": FAKE_DATASOURCE})
    return client


def _fail(error: BaseException, status: int, debug: bool) -> int:
    try:
        if debug:
            sys.stderr.write(shown("".join(traceback.format_exception(error)), lines=True))
        print(f"meibel: {one_line(error)}", file=sys.stderr, flush=True)
    except BrokenPipeError:  # stderr's reader has gone too: the status says it
        silence(sys.stderr)
    return status
