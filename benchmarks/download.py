"""Saving a 512 MiB download to disk: throughput against raw httpx2 streaming, and peak RSS."""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import sys
import tempfile
import threading

from _measure import run_script
from _report import Result
from _servers import Port, _in_process

SIZE = 512 << 20
ROUNDS = 9
BLOCK = 1 << 20
# tmpfs: the files are written at memory speed, so the figure is the client's cost, not the disk's.
DIRECTORY = "/dev/shm" if os.path.isdir("/dev/shm") else None
PATH = "/v2/datasources/d/downloads/j/file"

SCRIPT = """
import json, os, sys, time
import httpx2

def rss_kib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))

url, path, how, target = sys.argv[1:5]
if how == "ours":
    from meibel import MeibelClient
    import meibel._download, meibel_api_v2.api.datasource_downloads.download_file  # before baseline
    client = MeibelClient(api_key="k", base_url=url + "/v2")
    def download():
        with client.datasource_downloads.download_file("j", datasource_id="d") as file:
            return file.save(path)
else:
    client = httpx2.Client(timeout=httpx2.Timeout(120.0, connect=10.0))
    def download():
        written = 0
        with client.stream("GET", url + target) as response, open(path, "wb") as f:
            for chunk in response.iter_bytes():
                written += f.write(chunk)
        return written
baseline = rss_kib("VmRSS:")
started = time.perf_counter()
written = download()
elapsed = time.perf_counter() - started
growth = rss_kib("VmHWM:") - baseline
os.unlink(path)
print(json.dumps({"seconds": elapsed, "rss_growth_kib": growth, "bytes": written}))
"""


def _block(index: int) -> bytes:
    """Block `index` of the body: deterministic, different per block."""
    return index.to_bytes(8, "big") * (BLOCK // 8)


def _serve(port: Port) -> None:
    """Answer every GET with SIZE bytes and a Content-Disposition; connections kept alive."""
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="export.bin"\r\n'
        b"Content-Length: %d\r\n\r\n" % SIZE
    )
    blocks = [_block(index) for index in range(SIZE // BLOCK)]

    def answer(connection: socket.socket) -> None:
        with connection, connection.makefile("rb") as requests, contextlib.suppress(OSError):
            while requests.readline() not in (b"", b"\r\n"):  # the request line
                while requests.readline() not in (b"", b"\r\n"):
                    pass  # headers; the client sends no body
                connection.sendall(head)
                for block in blocks:
                    connection.sendall(block)

    server = socket.create_server(("127.0.0.1", 0))
    port.put(server.getsockname()[1])
    while True:
        threading.Thread(target=answer, args=(server.accept()[0],), daemon=True).start()


def _warm(directory: str) -> None:
    """Write and delete SIZE bytes, so the next run's file gets memory pages that were in use.

    A virtual machine may back pages never touched (or given back to the host) only on first
    touch, which costs a page fault each: measured here, that alone swung a run between 0.45 and
    1.1 s, whichever client it fell on.
    """
    path = os.path.join(directory, "warm")
    zeros = bytes(BLOCK)
    with open(path, "wb") as file:
        for _ in range(SIZE // BLOCK):
            file.write(zeros)
    os.unlink(path)


def run() -> list[Result]:
    runs: dict[str, list[dict[str, float]]] = {"ours": [], "raw": []}
    with tempfile.TemporaryDirectory(dir=DIRECTORY) as tmp, _in_process(_serve) as url:
        for round_ in range(ROUNDS):
            # Alternating, each first every other round, so machine drift hits both alike.
            for how in ("ours", "raw") if round_ % 2 == 0 else ("raw", "ours"):
                _warm(tmp)
                path = os.path.join(tmp, f"{how}-{round_}")  # a new file each run, as a user's
                sample = run_script(sys.executable, SCRIPT, url, path, how, PATH)
                assert sample["bytes"] == SIZE, sample
                runs[how].append(sample)
    mib_per_s = {
        how: statistics.median(SIZE / r["seconds"] / (1 << 20) for r in samples)
        for how, samples in runs.items()
    }
    growth = {
        how: statistics.median(r["rss_growth_kib"] / 1024 for r in samples)
        for how, samples in runs.items()
    }
    # Each round's two runs are neighbours in time: their ratio is the least disturbed figure
    # on a busy machine.
    pairs = zip(runs["ours"], runs["raw"], strict=True)
    paired = statistics.median(raw["seconds"] / ours["seconds"] for ours, raw in pairs)
    best = {
        how: SIZE / min(r["seconds"] for r in samples) / (1 << 20) for how, samples in runs.items()
    }
    where = DIRECTORY or tempfile.gettempdir()
    return [
        # The best run of each is the figure: on this VM a run's first touch of its pages costs
        # anything from 0.45 to 1.1 s whoever runs, so medians swung 0.7-1.5x between runs of the
        # benchmark while the best runs stayed within 0.95-1.15x of each other.
        Result(
            "512 MiB download saved to disk (best of runs)",
            best["ours"],
            best["raw"],
            "raw httpx2 stream",
            "MiB/s",
            ">= 0.9x",
            higher_is_better=True,
            notes=(
                "ours: `download_file(...).save(path)` (a temporary file, renamed when complete); "
                "raw httpx2: `client.stream(...)`, `iter_bytes()` written to an open file",
                f"a loopback server in its own process; files written to {where}"
                f"{' (tmpfs)' if DIRECTORY else ''}; {ROUNDS} alternating runs each, each process "
                f"new; medians: ours {mib_per_s['ours']:,.0f} MiB/s, raw "
                f"{mib_per_s['raw']:,.0f} MiB/s, median of the per-round ratios {paired:.2f}x",
            ),
        ),
        Result(
            "512 MiB download: peak RSS above baseline",
            growth["ours"],
            growth["raw"],
            "raw httpx2 stream",
            "MiB",
            "< 64 MiB",
        ),
    ]
