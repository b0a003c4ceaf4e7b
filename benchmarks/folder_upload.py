"""Uploading a 50-file folder to a server that takes 20 ms per request: concurrent against
one by one (ours with concurrency=1, and the vendor SDK, which has no folder upload)."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _measure import run_script
from _report import Result
from _servers import _Handler, threaded_server
from _vendor import VENDOR_NAME, vendor_python

FILES = 50
FILE_SIZE = 64 << 10
LATENCY = 0.020
CONCURRENCY = 8
ROUNDS = 5

SCRIPT = """
import json, os, sys, time

url, folder, how = sys.argv[1], sys.argv[2], sys.argv[3]
from meibel import MeibelClient
if how == "vendor":
    client = MeibelClient(api_key="k", base_url=url + "/v2", timeout=600)
    def upload():
        for name in sorted(os.listdir(folder)):
            with open(os.path.join(folder, name), "rb") as f:
                client.datasources.file_uploads.upload_content("d", files=f, files_name=name)
        return len(os.listdir(folder))
else:
    client = MeibelClient(api_key="k", base_url=url + "/v2")
    concurrency = int(how)
    def upload():
        report = client.file_upload.upload_folder("d", folder, concurrency=concurrency)
        assert not report.failed, report.failed
        return len(report.uploaded)
started = time.perf_counter()
uploaded = upload()
elapsed = time.perf_counter() - started
print(json.dumps({"seconds": elapsed, "uploaded": uploaded}))
"""


class _SlowHandler(_Handler):
    """The loopback server's answers, each LATENCY seconds after the request was read."""

    def _drain(self) -> None:
        super()._drain()
        time.sleep(LATENCY)


def run() -> list[Result]:
    vendor = vendor_python()
    hows: dict[str, str | Path] = {str(CONCURRENCY): sys.executable, "1": sys.executable}
    if vendor:
        hows["vendor"] = vendor
    runs: dict[str, list[float]] = {how: [] for how in hows}
    with tempfile.TemporaryDirectory() as folder, threaded_server(_SlowHandler) as url:
        for index in range(FILES):
            with open(os.path.join(folder, f"doc{index:02}.pdf"), "wb") as handle:
                handle.write(os.urandom(FILE_SIZE))
        for _ in range(ROUNDS):  # alternating, so machine drift hits each alike
            for how, python in hows.items():
                result = run_script(python, SCRIPT, url, folder, how)
                assert result["uploaded"] == FILES, result
                runs[how].append(result["seconds"])
    seconds = {how: statistics.median(samples) for how, samples in runs.items()}
    concurrent = seconds[str(CONCURRENCY)]
    setup = (
        f"{FILES} files of {FILE_SIZE >> 10} KiB, one uploadContent call each; the server "
        f"answers {LATENCY * 1000:.0f} ms after reading a request (its own process)"
    )
    vendor_note = (
        "vendor: client.datasources.file_uploads.upload_content(...) per file, in a loop "
        "(it has no folder upload)"
        if vendor
        else f"{VENDOR_NAME} skipped: no scratch venv"
    )
    return [
        Result(
            f"{FILES}-file folder upload, concurrency {CONCURRENCY} vs 1",
            concurrent,
            seconds["1"],
            "ours, concurrency=1",
            "s",
            "<= 0.25x (4x faster)",
            notes=(setup,),
        ),
        Result(
            f"{FILES}-file folder upload vs vendor one by one",
            concurrent,
            seconds.get("vendor"),
            VENDOR_NAME,
            "s",
            "<= 0.25x (4x faster)",
            notes=(vendor_note,),
        ),
        Result(
            f"{FILES}-file folder upload one by one vs vendor",
            seconds["1"],
            seconds.get("vendor"),
            VENDOR_NAME,
            "s",
            "-",
            notes=("ours with concurrency=1: the cost per request, beside the vendor's",),
        ),
    ]
