"""Uploading a 1 GiB attachment: peak RSS above baseline, and throughput against raw httpx2."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

from _measure import run_script
from _report import Result
from _servers import loopback_server
from _vendor import VENDOR_NAME, vendor_python

SIZE = 1 << 30
ROUNDS = 5
# ours; a generator of 64 KiB reads (sent chunked); a file object (sent with Content-Length).
# 64 KiB is httpx's own read size, and raw httpx2's fastest: 256 KiB chunked runs at half speed.
HOW = ("ours", "raw", "raw-file")
_VENDOR_CALL = (
    "client.datasources.file_uploads.upload_content(files=<open file>): one file per call, "
    "64 KiB reads, sent chunked"
)

SCRIPT = """
import json, sys, time
try:
    import httpx2 as http  # our venv: the raw peer is httpx2, what MeibelClient runs on
except ImportError:
    import httpx as http  # the vendor SDK's venv: its own HTTP client

def rss_kib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))

url, path, how = sys.argv[1], sys.argv[2], sys.argv[3]
if how == "ours":
    from meibel import MeibelClient
    client = MeibelClient(api_key="k", base_url=url + "/v2")
    client.file_upload.upload_content  # load the namespace before the baseline
    def upload():
        client.file_upload.upload_content("d", files=[path])
elif how == "vendor":
    from meibel import MeibelClient
    client = MeibelClient(api_key="k", base_url=url + "/v2", timeout=600)
    client.datasources.file_uploads.upload_content  # load the resource before the baseline
    def upload():
        with open(path, "rb") as f:
            client.datasources.file_uploads.upload_content("d", files=f, files_name="a.bin")
elif how == "raw-file":
    client = http.Client(timeout=None)
    def upload():
        # httpx2 reads a file object in 64 KiB chunks and sends its Content-Length
        with open(path, "rb") as f:
            client.post(url + "/v2/datasources/d/content", content=f,
                        headers={"Content-Type": "application/octet-stream"})
else:
    client = http.Client(timeout=None)
    def chunks():
        with open(path, "rb") as f:
            while chunk := f.read(65536):
                yield chunk
    def upload():
        client.post(url + "/v2/datasources/d/content", content=chunks(),
                    headers={"Content-Type": "application/octet-stream"})
baseline = rss_kib("VmRSS:")
started = time.perf_counter()
upload()
elapsed = time.perf_counter() - started
print(json.dumps({"seconds": elapsed, "rss_growth_kib": rss_kib("VmHWM:") - baseline}))
"""


def run() -> list[Result]:
    vendor = vendor_python()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "attachment.bin")
        with open(path, "wb") as handle:
            handle.truncate(SIZE)  # sparse: read at memory speed, no disk needed
        with loopback_server() as url:
            pythons: dict[str, str | Path] = dict.fromkeys(HOW, sys.executable)
            if vendor:
                pythons["vendor"] = vendor
            runs: dict[str, list[dict[str, float]]] = {how: [] for how in pythons}
            for _ in range(ROUNDS):  # alternating, so machine drift hits each alike
                for how, python in pythons.items():
                    runs[how].append(run_script(python, SCRIPT, url, path, how))
            small = os.path.join(tmp, "small.bin")
            with open(small, "wb") as handle:
                handle.truncate(1 << 20)
            small_growth = statistics.median(
                run_script(sys.executable, SCRIPT, url, small, "ours")["rss_growth_kib"] / 1024
                for _ in range(ROUNDS)
            )
    mib_per_s = {
        how: statistics.median(SIZE / r["seconds"] / (1 << 20) for r in samples)
        for how, samples in runs.items()
    }
    growth = {
        how: statistics.median(r["rss_growth_kib"] / 1024 for r in samples)
        for how, samples in runs.items()
    }
    return [
        Result(
            "1 GiB upload throughput",
            mib_per_s["ours"],
            mib_per_s["raw"],
            "raw httpx2 stream",
            "MiB/s",
            ">= 0.8x",
            higher_is_better=True,
            notes=("raw httpx2 stream: a generator of 64 KiB file reads, sent chunked",),
        ),
        Result(
            "1 GiB upload throughput vs file object",
            mib_per_s["ours"],
            mib_per_s["raw-file"],
            "raw httpx2 file",
            "MiB/s",
            ">= 0.8x",
            higher_is_better=True,
            notes=("raw httpx2 file: `content=open(path, 'rb')`, 64 KiB reads, Content-Length",),
        ),
        Result(
            "1 GiB upload: peak RSS above baseline",
            growth["ours"],
            growth["raw"],
            "raw httpx2 stream",
            "MiB",
            "< 64 MiB",
            notes=(
                f"ours uploading 1 MiB instead: {small_growth:.2f} MiB, so the growth does not "
                "scale with the file (first-use imports and mimetypes' table, chunk buffers)",
            ),
        ),
        Result(
            "1 GiB upload throughput vs vendor",
            mib_per_s["ours"],
            mib_per_s.get("vendor"),
            VENDOR_NAME,
            "MiB/s",
            "-",
            higher_is_better=True,
            notes=(_VENDOR_CALL if vendor else f"{VENDOR_NAME} skipped: no scratch venv",),
        ),
        Result(
            "1 GiB upload: peak RSS above baseline vs vendor",
            growth["ours"],
            growth.get("vendor"),
            VENDOR_NAME,
            "MiB",
            "-",
        ),
    ]
