"""`meibel chat --agent ID`: the interactive terminal chat."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from .._client import MeibelClient
from .._exceptions import MeibelError
from ._output import write
from ._text import one_line, shown

HELP = "Type a message. /attach PATH adds a file to the next message; /quit leaves."


def _attachable(path: Path) -> str | None:
    """Why `path` cannot be attached, or None when it can."""
    if path.is_file():
        return None
    if path.is_dir():
        return f"{shown(path)} is a directory: attach its files one at a time"
    if path.exists():
        return f"{shown(path)} is not a regular file"
    return f"no such file: {shown(path)}"


def chat(client: MeibelClient, agent_id: str, stdin: TextIO, stdout: TextIO) -> int:
    """Run the chat loop until /quit or end of input.

    What the server sends (replies, titles, errors) is written with its control characters
    escaped, newlines and tabs kept.
    """

    def say(text: str = "", end: str = "\n") -> None:
        write(stdout, text + end)

    session = client.agents.create_session(agent_id=agent_id)
    say(f"Session {shown(session.id)} with agent {shown(agent_id)}. {HELP}")
    attachments: list[Path] = []
    while True:
        say("you> ", end="")
        line = stdin.readline()
        if not line:
            say()
            return 0
        text = line.strip()
        if not text:
            continue
        if text in ("/quit", "/exit"):
            return 0
        if text.startswith("/attach"):
            path = Path(text.removeprefix("/attach").strip()).expanduser()
            if (refused := _attachable(path)) is not None:
                say(refused)
                continue
            attachments.append(path)
            say(f"attached {shown(path.name)} (sent with your next message)")
            continue
        try:
            stream = session.stream(text, files=list(attachments))
            attachments.clear()
            say("agent> ", end="")
            with stream:
                for event in stream:
                    if event.type == "content":
                        say(shown(event.delta, lines=True), end="")
                    elif event.type == "citations":
                        say()
                        for number, source in enumerate(event.citations, 1):
                            url = source.url if isinstance(source.url, str) else ""
                            say(f"  [{number}] {shown(source.title)} {shown(url)}".rstrip())
            say()
        except MeibelError as error:
            say(f"\nerror: {one_line(error)}")
