"""`python -m meibel chat --agent AGENT_ID`: an interactive terminal chat.

Replies stream as they arrive; citations follow them. `/attach PATH` adds a file to the next
message, `/quit` (or end of input) leaves. The key comes from MEIBEL_API_KEY and the server from
MEIBEL_BASE_URL, or `--fake` chats with the built-in fake server (no key, no network; it needs
the `[testing]` extra). `meibel --version` prints the package and API versions.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from ._client import MeibelClient
from ._exceptions import MeibelError
from ._extras import MissingExtraError
from ._version import __api_version__, __version__

VERSION = f"meibel-sdk {__version__} (Meibel API {__api_version__})"

HELP = "Type a message. /attach PATH adds a file to the next message; /quit leaves."


def chat(client: MeibelClient, agent_id: str, stdin: TextIO, stdout: TextIO) -> int:
    """Run the chat loop until /quit or end of input."""
    session = client.agents.create_session(agent_id=agent_id)
    print(f"Session {session.id} with agent {agent_id}. {HELP}", file=stdout)
    attachments: list[Path] = []
    while True:
        print("you> ", end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            print(file=stdout)
            return 0
        text = line.strip()
        if not text:
            continue
        if text in ("/quit", "/exit"):
            return 0
        if text.startswith("/attach"):
            path = Path(text.removeprefix("/attach").strip()).expanduser()
            if not path.is_file():
                print(f"no such file: {path}", file=stdout)
                continue
            attachments.append(path)
            print(f"attached {path.name} (sent with your next message)", file=stdout)
            continue
        try:
            stream = session.stream(text, files=list(attachments))
            attachments.clear()
            print("agent> ", end="", file=stdout, flush=True)
            with stream:
                for event in stream:
                    if event.type == "content":
                        print(event.delta, end="", file=stdout, flush=True)
                    elif event.type == "citations":
                        print(file=stdout)
                        for number, source in enumerate(event.citations, 1):
                            url = source.url if isinstance(source.url, str) else ""
                            print(f"  [{number}] {source.title} {url}".rstrip(), file=stdout)
            print(file=stdout)
        except MeibelError as error:
            print(f"\nerror: {error}", file=stdout)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="meibel", description="Meibel AI from the terminal.")
    parser.add_argument("--version", action="version", version=VERSION)
    commands = parser.add_subparsers(dest="command", required=True)
    chat_command = commands.add_parser("chat", help="chat with an agent, replies streamed")
    chat_command.add_argument("--agent", required=True, help="the agent's id")
    chat_command.add_argument(
        "--fake",
        action="store_true",
        help="use the built-in fake server (needs the [testing] extra)",
    )
    args = parser.parse_args(argv)
    try:
        if args.fake:
            from .testing import FakeMeibel

            client = FakeMeibel().client()
        else:
            client = MeibelClient()
    except (MeibelError, MissingExtraError) as error:
        print(f"meibel: {error}", file=sys.stderr)
        return 2
    with client:
        return chat(client, args.agent, sys.stdin, sys.stdout)
