"""`meibel chat --agent ID`: the interactive terminal chat."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from .._client import MeibelClient
from .._exceptions import MeibelError

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
