"""`meibel agents list` streams (issue #19, row 10): rows print as pages arrive, and a reader that
leaves (`| head -3`) ends the command quietly with exit 0 at the next page, instead of fetching
all 1,500 pages of 30,000 agents and dying with "Broken pipe". Real pipes, real HTTP.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from file_server import FileServer

from meibel._cli import main
from meibel.testing._server import LoopbackHandler, LoopbackServer

AGENTS = 30_000


def agent(index: int, name: str | None = None) -> dict[str, object]:
    return {
        "id": f"agent_{index:05d}",
        "name": name or f"agent-{index:05d}",
        "display_name": f"Agent {index}",
        "version": "1",
        "type": "chat",
        "llm_model": "m",
        "tool_count": 0,
        "datasource_count": 0,
    }


class AgentsServer(LoopbackServer):
    """GET /v2/agents?offset=&limit=: `total` agents in pages of `limit` (20 by default).

    `offsets` records each page asked for. While `hold` is not set, the answer to any page
    after the first waits for it (up to 30 s); `answered` counts the pages answered.
    """

    def __init__(self, total: int = AGENTS, name: Callable[[int], str | None] = lambda _: None):
        self.offsets: list[int] = []
        self.answered = 0
        self.hold = threading.Event()
        self.hold.set()
        server = self

        class Handler(LoopbackHandler):
            def do_GET(self) -> None:
                self.received()
                query = parse_qs(urlsplit(self.path).query)
                offset = int(query.get("offset", ["0"])[0])
                limit = int(query.get("limit", ["20"])[0])
                server.offsets.append(offset)
                if offset > 0:
                    server.hold.wait(30)
                data = [agent(i, name(i)) for i in range(offset, min(offset + limit, total))]
                body = {"data": data, "total": total, "offset": offset, "limit": limit}
                server.answered += 1
                headers = {"Content-Type": "application/json"}
                self.send_whole(200, headers, json.dumps(body).encode())

        super().__init__(Handler, name="AgentsServer")

    def __enter__(self) -> AgentsServer:
        super().__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.hold.set()
        super().__exit__(*exc_info)


@pytest.fixture
def agents() -> Iterator[AgentsServer]:
    with AgentsServer() as server:
        yield server


def environment(server: AgentsServer) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MEIBEL_")}
    return {**clean, "MEIBEL_API_KEY": "sk-test", "MEIBEL_BASE_URL": server.url + "/v2"}


MEIBEL = [sys.executable, "-m", "meibel"]


@pytest.mark.parametrize("json_", [False, True], ids=["table", "json"])
def test_piped_into_head_it_stops_quietly_with_exit_0(agents: AgentsServer, json_: bool) -> None:
    """As typed at a shell (with pipefail, so meibel's own status counts)."""
    command = shlex.join([*MEIBEL, *(["--json"] if json_ else []), "agents", "list"])
    result = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {command} | head -3"],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment(agents),
    )
    assert (result.returncode, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    if json_:
        assert lines == ["[", "  {", '    "datasource_count": 0,']
    else:
        assert lines[0].split() == ["ID", "NAME", "TYPE", "VERSION"]
        assert lines[1].split() == ["agent_00000", "agent-00000", "chat", "1"]
    # The next page's write finds the pipe closed: a few pages, not 1,500.
    assert 1 <= len(agents.offsets) <= 10, agents.offsets


def test_it_stops_at_the_page_after_the_reader_left(agents: AgentsServer) -> None:
    """`meibel agents list | head -3` built from two processes, the second page held until head
    has exited: exactly one more page is fetched, and nothing is said."""
    agents.hold.clear()
    meibel = subprocess.Popen(
        [*MEIBEL, "agents", "list"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(agents),
    )
    assert meibel.stdout is not None
    head = subprocess.Popen(["head", "-3"], stdin=meibel.stdout, stdout=subprocess.PIPE)
    meibel.stdout.close()  # head holds the only reading end, as in a shell pipeline
    shown, _ = head.communicate(timeout=30)
    agents.hold.set()
    _, errors = meibel.communicate(timeout=30)
    assert len(shown.splitlines()) == 3
    assert (meibel.returncode, errors) == (0, b"")
    assert agents.offsets == [0, 20]


def test_rows_print_as_pages_arrive(agents: AgentsServer) -> None:
    agents.hold.clear()
    with subprocess.Popen(
        [*MEIBEL, "agents", "list"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(agents),
    ) as meibel:
        try:
            assert meibel.stdout is not None
            first_page = [meibel.stdout.readline() for _ in range(21)]  # header and 20 rows
            assert agents.answered == 1, "printed while the second page was on its way"
            assert first_page[-1].split()[0] == "agent_00019"
        finally:
            meibel.kill()  # 30,000 agents are not needed to see it
            agents.hold.set()


def test_a_table_keeps_the_first_pages_widths_and_widens_for_longer_values(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    long_name = "a-much-longer-agent-name"
    with AgentsServer(total=25, name=lambda i: long_name if i == 22 else None) as server:
        for name, value in environment(server).items():
            monkeypatch.setenv(name, value)
        assert main(["agents", "list"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert len(lines) == 26
    header, *rows = lines
    assert header == "ID           NAME         TYPE  VERSION"
    assert rows[0] == "agent_00000  agent-00000  chat  1"
    assert rows[21] == "agent_00021  agent-00021  chat  1", "the second page, as wide as the first"
    assert rows[22] == f"agent_00022  {long_name}  chat  1"
    assert rows[23] == f"agent_00023  {'agent-00023'.ljust(len(long_name))}  chat  1"


def test_json_is_one_document_written_page_by_page(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with AgentsServer(total=45) as server:
        for name, value in environment(server).items():
            monkeypatch.setenv(name, value)
        assert main(["--json", "agents", "list"]) == 0
        assert server.offsets == [0, 20, 40]
    out, _ = capsys.readouterr()
    assert out == json.dumps([agent(i) for i in range(45)], indent=2, sort_keys=True) + "\n"
    with AgentsServer(total=0) as server:
        for name, value in environment(server).items():
            monkeypatch.setenv(name, value)
        assert main(["--json", "agents", "list"]) == 0
        assert main(["agents", "list"]) == 0
    assert capsys.readouterr().out == "[]\nno agents\n"


def test_a_download_to_stdout_piped_into_head_ends_quietly() -> None:
    body = bytes(range(256)) * 16_384  # 4 MiB: far more than a pipe holds
    with FileServer() as server:
        server.reply(body, headers={"Content-Type": "application/octet-stream"})
        env = {**os.environ, "MEIBEL_API_KEY": "sk-test", "MEIBEL_BASE_URL": server.url}
        command = shlex.join([*MEIBEL, "download", "ds_1", "job_1", "-o", "-"])
        result = subprocess.run(
            ["bash", "-c", f"set -o pipefail; {command} | head -c 10"],
            capture_output=True,
            timeout=60,
            env=env,
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout == body[:10]
    assert b"Broken pipe" not in result.stderr
    assert b"Traceback" not in result.stderr
