"""Issue 21's acceptance runs (bulk ingestion): 10,000 files of 4 KiB through `upload_folder`
against a loopback server (its own process) that rate-limits and misbehaves.

The limiter server serves the two operations the folder upload may use, under /v2:
uploadContent (POST /datasources/{id}/content) and listContent (GET, same path). Every API
request first takes a token from a bucket of RATE tokens/s (burst BURST); without one it is
answered 429, half of the 429s (seeded) with `Retry-After` (whole seconds until a token, at least
1) and half without. Of the admitted requests, P_5XX are answered 500/502/503 without Retry-After
(uploads: half after storing the file, half without); of the admitted uploads, P_RESET more have
their body read and then the connection reset with no answer (SO_LINGER 0, close; half after
storing). Every body is read whole before any answer. GET /_bench/stats (outside /v2, not
limited) returns its counters: per name, times stored, times received and body bytes received.

(a) One `upload_folder(ds, folder, concurrency=8, journal=...)` in a child process (its RSS its
own): files lost (never stored), stored twice, throughput against RATE, RSS growth.
(b) A fresh server; the child is killed with SIGKILL once about half the files are stored, then
a new child resumes from the journal: distinct files stored, stored twice, bytes re-sent.

Figures are printed, never asserted; a missed target says FAIL in its notes.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from _report import Result
from _servers import Port, _in_process

from meibel.testing._routing import parse_multipart
from meibel.testing._server import LoopbackHandler, loopback_httpd

FILES = 10_000
FILE_SIZE = 4 << 10
SUBFOLDERS = 10  # d0/ .. d9/, FILES / SUBFOLDERS files each
RATE = 200.0  # tokens per second
BURST = 200.0  # the bucket's size: one second's worth
P_5XX = 0.02  # of admitted requests
P_RESET = 0.01  # of admitted uploads
LIMIT_SEED = 21  # which 429s carry Retry-After
FAULT_SEED = 2121  # which admitted requests fail, and whether the file was stored first
CONTENT_SEED = 4096  # the files' bytes
CONCURRENCY = 8
OTHER_CONCURRENCY = 16
DATASOURCE = "ds-bulk"
PREFIX = "/v2"
STATS = "/_bench/stats"
KILL_AT = FILES // 2
CHILD_TIMEOUT = 600.0  # seconds an uploading child may take before it is killed and reported
TOTAL_BYTES = FILES * FILE_SIZE

# ----- the limiter server (its own process) -----------------------------------------------


class _Bucket:
    """RATE tokens a second, at most BURST held; starts full."""

    def __init__(self) -> None:
        self.tokens = BURST
        self.at = time.monotonic()

    def take(self) -> float:
        """0.0 when a token was taken, else the seconds until one is due."""
        now = time.monotonic()
        self.tokens = min(BURST, self.tokens + (now - self.at) * RATE)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / RATE


class _State:
    """The server's store and counters, shared by its threads under one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.bucket = _Bucket()
        self.limit_rng = random.Random(LIMIT_SEED)
        self.fault_rng = random.Random(FAULT_SEED)
        self.content: dict[str, dict[str, dict[str, Any]]] = {}  # datasource -> path -> item
        self.stored: Counter[str] = Counter()
        self.received: Counter[str] = Counter()
        self.name_bytes: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()
        self.active = 0

    def summary(self) -> dict[str, Any]:
        return {
            **self.counts,
            "active": self.active,
            "stored_distinct": len(self.stored),
            "stored_total": sum(self.stored.values()),
        }


_state = _State()  # the server process makes its own (_serve)


def _media_type(filename: str, given: str | None) -> str:
    if given:
        return given
    import mimetypes

    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


class _LimiterHandler(LoopbackHandler):
    def _read_body(self) -> tuple[bytes, bool]:
        """The body (the tree's reader), and whether it came whole: a client killed mid-body
        leaves it short, or a chunked one unreadable."""
        try:
            body = self.read_body()
        except (OSError, ValueError):
            return b"", False
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return body, True
        return body, len(body) == int(self.headers.get("Content-Length") or 0)

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_whole(status, {"Content-Type": "application/json", **(headers or {})}, data)

    def _reset(self) -> None:
        """No answer: the connection reset (RST, not FIN). The reader's file holds a reference
        to the socket, so it is closed first, and the close is then the real one."""
        self.close_connection = True
        sock = self.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()
        sock.close()

    def _route(self) -> tuple[str, str] | None:
        """(datasource id, query) for /v2/datasources/{id}/content, else None."""
        parts = urlsplit(self.path)
        segments = parts.path[len(PREFIX) :].split("/")
        if len(segments) == 4 and segments[1] == "datasources" and segments[3] == "content":
            return unquote(segments[2]), parts.query
        return None

    def _limited(self) -> float:
        """The bucket's verdict (0.0: admitted), counted."""
        state = _state
        with state.lock:
            state.counts["requests"] += 1
            return state.bucket.take()

    def _answer_429(self, wait: float) -> None:
        with _state.lock:
            _state.counts["429"] += 1
            with_retry_after = _state.limit_rng.random() < 0.5
            if with_retry_after:
                _state.counts["429_retry_after"] += 1
        headers = {"Retry-After": str(max(1, math.ceil(wait)))} if with_retry_after else {}
        self._json(429, {"detail": "Too Many Requests"}, headers)

    def do_GET(self) -> None:
        if self.path.split("?")[0] == STATS:
            self._read_body()
            with _state.lock:
                summary = _state.summary()
                full = "full=1" in self.path
                body: dict[str, Any] = {"summary": summary}
                if full:
                    body.update(
                        stored=dict(_state.stored),
                        received=dict(_state.received),
                        bytes=dict(_state.name_bytes),
                    )
            self._json(200, body)
            return
        if not self.path.startswith(PREFIX + "/"):
            self._read_body()
            self._json(404, {"detail": "Not Found"})
            return
        wait = self._limited()
        _, whole = self._read_body()
        if not whole:
            self.close_connection = True
            return
        if wait:
            self._answer_429(wait)
            return
        with _state.lock:
            if _state.fault_rng.random() < P_5XX:
                _state.counts["5xx"] += 1
                status = _state.fault_rng.choice((500, 502, 503))
            else:
                status = 0
        if status:
            self._json(status, {"detail": "server error (benchmark)"})
            return
        route = self._route()
        if route is None:
            self._json(404, {"detail": "Not Found"})
            return
        self._list(*route)

    def _list(self, datasource: str, query_string: str) -> None:
        query = {key: values[-1] for key, values in parse_qs(query_string).items()}
        try:
            limit = max(1, int(query.get("limit", 1000)))
        except ValueError:
            self._json(422, {"detail": "limit: not an integer"})
            return
        prefix = query.get("prefix") or ""
        after = query.get("continuation_token") or ""
        with _state.lock:
            _state.counts["listings"] += 1
            store = _state.content.get(datasource, {})
            paths = sorted(path for path in store if path.startswith(prefix))
            start = bisect.bisect_right(paths, after) if after else 0
            page = paths[start : start + limit]
            items = [store[path] for path in page]
        more = start + limit < len(paths)
        self._json(200, {"items": items, "continuation_token": page[-1] if more else None})

    def do_POST(self) -> None:
        with _state.lock:
            _state.active += 1
        try:
            self._post()
        finally:
            with _state.lock:
                _state.active -= 1

    def _post(self) -> None:
        if not self.path.startswith(PREFIX + "/"):
            self._read_body()
            self._json(404, {"detail": "Not Found"})
            return
        wait = self._limited()
        body, whole = self._read_body()
        route = self._route()
        files: list[Any] = []
        if whole and route is not None:
            try:
                parts = parse_multipart(self.headers.get("Content-Type", ""), body)
                files = [part for part in parts if part.field == "files" and part.filename]
            except ValueError:
                files = []
        with _state.lock:
            _state.counts["body_bytes"] += len(body)
            if not whole:
                _state.counts["bodies_cut_short"] += 1
            framed = sum(len(part.data) for part in files) or 1
            for part in files:
                _state.received[part.filename] += 1
                share = len(body) if len(files) == 1 else len(body) * len(part.data) // framed
                _state.name_bytes[part.filename] += share
        if not whole:  # the client went away mid-body: nothing to answer, nothing stored
            self.close_connection = True
            return
        if wait:
            self._answer_429(wait)
            return
        if route is None:
            self._json(404, {"detail": "Not Found"})
            return
        if not files:
            self._json(
                422,
                {
                    "detail": [
                        {"type": "missing", "loc": ["body", "files"], "msg": "Field required"}
                    ]
                },
            )
            return
        datasource = route[0]
        with _state.lock:
            rng = _state.fault_rng
            draw = rng.random()
            fault = "5xx" if draw < P_5XX else "reset" if draw < P_5XX + P_RESET else ""
            store = not fault or rng.random() < 0.5
            status = rng.choice((500, 502, 503)) if fault == "5xx" else 200
            if fault:
                _state.counts[fault] += 1
                if store:
                    _state.counts[f"{fault}_stored"] += 1
            if store:
                self._store(datasource, files)
            _state.counts["uploads_ok" if not fault else "uploads_faulted"] += 1
            upload_id = f"up-{_state.counts['requests']}"
        if fault == "reset":
            self._reset()
        elif fault == "5xx":
            self._json(status, {"detail": "server error (benchmark)"})
        else:
            self._json(
                200,
                {
                    "success": True,
                    "message": f"Uploading {len(files)} file(s)",
                    "datasource_id": datasource,
                    "upload_id": upload_id,
                    "sse_url": f"{PREFIX}/datasources/uploads/{upload_id}/progress",
                    "estimated_files": len(files),
                    "estimated_size": sum(len(part.data) for part in files),
                },
            )

    @staticmethod
    def _store(datasource: str, files: list[Any]) -> None:
        """Keep `files` (under the state's lock)."""
        store = _state.content.setdefault(datasource, {})
        stamp = datetime.now(UTC).isoformat()
        for part in files:
            _state.stored[part.filename] += 1
            store[part.filename] = {
                "name": part.filename.rpartition("/")[2],
                "path": part.filename,
                "size": len(part.data),
                "etag": hashlib.md5(part.data, usedforsecurity=False).hexdigest(),
                "last_modified": stamp,
                "media_type": _media_type(part.filename, part.content_type),
                "type": "file",
            }


def _serve(port: Port) -> None:
    global _state
    _state = _State()  # fresh counters and the same seeds, whatever the parent holds
    server = loopback_httpd(_LimiterHandler)
    port.put(server.server_address[1])
    server.serve_forever()


def _stats(url: str, *, full: bool = False) -> dict[str, Any]:
    with urllib.request.urlopen(f"{url}{STATS}{'?full=1' if full else ''}", timeout=30) as answer:
        stats: dict[str, Any] = json.load(answer)
    return stats


# ----- the uploading child ------------------------------------------------------------------

CHILD = """
import json, os, resource, sys, time
from collections import Counter

url, folder, journal, concurrency = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
from meibel import MeibelClient


def status_kb(field):
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


client = MeibelClient(api_key="k", base_url=url + "/v2")
baseline = status_kb("VmRSS")
try:  # the peak from here on: VmHWM set back to the current RSS (Linux >= 4.0)
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    peak_from_baseline = True
except OSError:
    peak_from_baseline = False
print(json.dumps({"started": True}), flush=True)
started = time.perf_counter()
report = client.file_upload.upload_folder(
    "DATASOURCE", folder, concurrency=concurrency, journal=journal
)
seconds = time.perf_counter() - started
peak = status_kb("VmHWM")
if peak is None:  # no /proc: ru_maxrss (KiB on Linux), the whole life's peak
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    baseline = baseline or 0
errors = Counter(
    type(error).__name__ + (f" {error.status_code}" if hasattr(error, "status_code") else "")
    for _, error in report.failed
)
print(json.dumps({
    "seconds": seconds,
    "uploaded": len(report.uploaded),
    "skipped": len(report.skipped),
    "failed": len(report.failed),
    "errors": dict(errors.most_common()),
    "baseline_kb": baseline,
    "peak_kb": peak,
    "peak_from_baseline": peak_from_baseline,
    "summary": report.summary(),
}), flush=True)
""".replace("DATASOURCE", DATASOURCE)


def _child(script: Path, url: str, folder: Path, journal: Path, concurrency: int) -> list[str]:
    return [sys.executable, str(script), url, str(folder), str(journal), str(concurrency)]


def _env() -> dict[str, str]:
    """The child imports the meibel this process imported (a worktree's, say) first."""
    import meibel_api_v2

    import meibel

    roots = [str(Path(module.__file__ or "").parents[1]) for module in (meibel, meibel_api_v2)]
    given = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([*roots, *([given] if given else [])])}


def _upload(
    script: Path, url: str, folder: Path, journal: Path, concurrency: int
) -> dict[str, Any]:
    try:
        done = subprocess.run(
            _child(script, url, folder, journal, concurrency),
            capture_output=True,
            text=True,
            env=_env(),
            check=False,
            timeout=CHILD_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"still uploading after {CHILD_TIMEOUT:.0f} s: killed"}
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        return {"error": f"child exited {done.returncode}: {done.stderr.strip()[-2000:]}"}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _make_files(folder: Path) -> None:
    rng = random.Random(CONTENT_SEED)
    per = FILES // SUBFOLDERS
    for sub in range(SUBFOLDERS):
        (folder / f"d{sub}").mkdir(parents=True)
        for index in range(sub * per, (sub + 1) * per):
            (folder / f"d{sub}" / f"f{index:05}.bin").write_bytes(rng.randbytes(FILE_SIZE))


def _names() -> set[str]:
    per = FILES // SUBFOLDERS
    return {f"d{index // per}/f{index:05}.bin" for index in range(FILES)}


def _quiet(url: str, timeout: float = 10.0) -> dict[str, Any]:
    """The server's stats once no upload is being handled (what was in flight has landed)."""
    end = time.monotonic() + timeout
    time.sleep(0.3)
    while (stats := _stats(url, full=True))["summary"]["active"] and time.monotonic() < end:
        time.sleep(0.1)
    return stats


def _server_note(summary: dict[str, Any], label: str = "server") -> str:
    get = summary.get
    return (
        f"{label}: {get('requests', 0):,} requests, {get('429', 0):,} answered 429 "
        f"({get('429_retry_after', 0):,} with Retry-After), {get('5xx', 0)} 5xx "
        f"({get('5xx_stored', 0)} after storing), {get('reset', 0)} resets "
        f"({get('reset_stored', 0)} after storing), {get('listings', 0)} listings"
    )


def _one_run(script: Path, folder: Path, work: Path, concurrency: int) -> dict[str, Any]:
    journal = work / f"journal-{concurrency}.jsonl"
    with _in_process(_serve) as url:
        child = _upload(script, url, folder, journal, concurrency)
        stats = _quiet(url)
    stored: dict[str, int] = stats["stored"]
    expected = _names()
    return {
        "child": child,
        "summary": stats["summary"],
        "distinct": len(stored.keys() & expected),
        "lost": len(expected - stored.keys()),
        "twice": sum(1 for count in stored.values() if count > 1),
    }


def _kill_and_resume(script: Path, folder: Path, work: Path) -> dict[str, Any]:
    journal = work / "journal-resume.jsonl"
    with _in_process(_serve) as url:
        command = _child(script, url, folder, journal, CONCURRENCY)
        first = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env()
        )
        started = time.perf_counter()
        killed_at = 0
        while first.poll() is None:
            stored = _stats(url)["summary"]["stored_distinct"]
            if stored >= KILL_AT or time.perf_counter() - started > CHILD_TIMEOUT:
                os.kill(first.pid, signal.SIGKILL)
                killed_at = stored
                break
            time.sleep(0.02)
        first.wait()
        first_seconds = time.perf_counter() - started
        before = _quiet(url)
        journal_lines = journal.read_bytes().count(b"\n") if journal.exists() else 0
        second = _upload(script, url, folder, journal, CONCURRENCY)
        after = _quiet(url)
    expected = _names()
    stored_before = set(before["stored"])
    resent = sum(
        after["bytes"].get(name, 0) - before["bytes"].get(name, 0) for name in stored_before
    )
    return {
        "killed_at": killed_at,
        "first_seconds": first_seconds,
        "stored_before": len(stored_before),
        "journal_lines": journal_lines,
        "second": second,
        "summary": after["summary"],
        "distinct": len(after["stored"].keys() & expected),
        "lost": len(expected - after["stored"].keys()),
        "twice": sum(1 for count in after["stored"].values() if count > 1),
        "resent": resent,
        "received_bytes": after["summary"].get("body_bytes", 0),
    }


# ----- the report ---------------------------------------------------------------------------


def _fail(missed: bool) -> tuple[str, ...]:
    return ("FAIL: target missed",) if missed else ()


def _child_note(child: dict[str, Any]) -> str:
    if "error" in child:
        return f"the uploading child failed: {child['error']}"
    errors = ", ".join(f"{name} x{count}" for name, count in child["errors"].items())
    return f"report: {child['summary']}" + (f"; failed with {errors}" if errors else "")


def _rows_a(run8: dict[str, Any], run16: dict[str, Any]) -> list[Result]:
    child = run8["child"]
    seconds = child.get("seconds") or math.nan
    rate = run8["distinct"] / seconds
    ratio = rate / RATE
    growth = (child["peak_kb"] - child["baseline_kb"]) / 1024 if "peak_kb" in child else math.nan
    setup = (
        f"{FILES:,} files of {FILE_SIZE >> 10} KiB in {SUBFOLDERS} subfolders, "
        f"upload_folder(concurrency={CONCURRENCY}, journal=...) in a child process; server (own "
        f"process): {RATE:.0f} requests/s admitted (burst {BURST:.0f}), {P_5XX:.0%} 5xx, "
        f"{P_RESET:.0%} resets"
    )
    child16 = run16["child"]
    seconds16 = child16.get("seconds") or math.nan
    other = (
        f"concurrency={OTHER_CONCURRENCY}: {run16['distinct']:,} stored, {run16['lost']:,} lost, "
        f"{run16['twice']:,} stored twice, {child16.get('failed', '?')} failed per the report, "
        f"{seconds16:.1f} s, {run16['distinct'] / seconds16:.0f} files/s "
        f"({run16['distinct'] / seconds16 / RATE:.2f}x)"
    )
    throughput = (
        f"{run8['distinct']:,} files stored in {seconds:.1f} s = {rate:.0f} files/s "
        f"(the bucket starts full: {BURST:.0f} more than the rate allows)"
    )
    name = f"bulk upload {FILES // 1000}k x {FILE_SIZE >> 10} KiB"
    return [
        Result(
            f"{name}: files lost",
            run8["lost"],
            None,
            "-",
            "files",
            "0",
            notes=(
                setup,
                _child_note(child),
                _server_note(run8["summary"]),
                *_fail(run8["lost"] > 0),
            ),
        ),
        Result(
            f"{name}: files stored twice",
            run8["twice"],
            None,
            "-",
            "files",
            "0",
            notes=_fail(run8["twice"] > 0),
        ),
        Result(
            f"{name}: throughput / admitted rate",
            ratio,
            None,
            "-",
            "x",
            ">= 0.9x",
            higher_is_better=True,
            notes=(throughput, other, *_fail(not ratio >= 0.9)),
        ),
        Result(
            f"{name}: peak RSS above baseline",
            growth,
            None,
            "-",
            "MiB",
            "< 64 MiB",
            notes=(
                "child's VmHWM (reset after imports and client creation) minus its VmRSS then",
                *_fail(not growth < 64),
            ),
        ),
    ]


def _rows_b(resumed: dict[str, Any]) -> list[Result]:
    name = f"bulk upload killed at ~{KILL_AT:,}, resumed"
    resent_percent = 100 * resumed["resent"] / TOTAL_BYTES
    kill = (
        f"SIGKILL after {resumed['first_seconds']:.1f} s with {resumed['killed_at']:,} stored; "
        f"{resumed['stored_before']:,} stored once in-flight requests landed; the journal "
        f'then held {resumed["journal_lines"]:,} lines (a "sending" line, then a record, '
        "per file)"
    )
    overall = (
        f"over both runs the server received {resumed['received_bytes']:,} body bytes = "
        f"{resumed['received_bytes'] / TOTAL_BYTES:.2f}x the content (429'd bodies are read too, "
        "plus multipart framing)"
    )
    return [
        Result(
            f"{name}: distinct files stored",
            resumed["distinct"],
            None,
            "-",
            "files",
            f"{FILES:,}",
            higher_is_better=True,
            notes=(
                kill,
                f"resumed run: {_child_note(resumed['second'])}",
                _server_note(resumed["summary"], "server, both runs"),
                *_fail(resumed["distinct"] != FILES),
            ),
        ),
        Result(
            f"{name}: files stored twice",
            resumed["twice"],
            None,
            "-",
            "files",
            "0",
            notes=_fail(resumed["twice"] > 0),
        ),
        Result(
            f"{name}: bytes re-sent",
            resent_percent,
            None,
            "-",
            "%",
            "<= 1%",
            notes=(
                f"{resumed['resent']:,} body bytes received in the resumed run for files already "
                f"stored before it, of {FILES:,} x {FILE_SIZE >> 10} KiB",
                overall,
                *_fail(resent_percent > 1),
            ),
        ),
    ]


def run() -> list[Result]:
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as temp:
        work = Path(temp)
        folder = work / "corpus"
        _make_files(folder)
        script = work / "child.py"
        script.write_text(CHILD, encoding="utf-8")
        run8 = _one_run(script, folder, work, CONCURRENCY)
        run16 = _one_run(script, folder, work, OTHER_CONCURRENCY)
        resumed = _kill_and_resume(script, folder, work)
    return _rows_a(run8, run16) + _rows_b(resumed)


if __name__ == "__main__":
    from _report import to_text

    started = time.perf_counter()
    print(to_text(run()))
    print(f"[{time.perf_counter() - started:.0f} s]")
