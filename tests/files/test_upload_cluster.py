"""One upload across processes: a file list sharded over Dask workers or a process pool.

Each shard runs `upload_files` in another process with the pickled client (its settings: the
fake's URL, a dummy key) and a journal of its own; the shards' reports are merged into one. The
fake serves over real HTTP on 127.0.0.1 from a thread of this process, so the workers reach it as
they would reach the API. What the fake stored is the truth each test checks the report against.
"""

from __future__ import annotations

import collections
import multiprocessing
import os
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from distributed import Client, LocalCluster

from meibel import MeibelClient, UploadReport
from meibel._journal import ALREADY_UPLOADED
from meibel.testing import FakeMeibel

DATASOURCE = "ds_cluster"
SHARDS = 4
Pair = tuple[str, Path]
# Runs one shard in a worker and gives back its future: (client, shard, journal) -> Future.
Submit = Callable[[MeibelClient, list[Pair], Path], "Future[UploadReport]"]


@pytest.fixture
def corpus(tmp_path: Path) -> list[Pair]:
    """60 files in a folder and its subfolders, as (name relative to the folder, path) pairs."""
    root = tmp_path / "corpus"
    files = []
    for index in range(60):
        name = f"{['', 'a/', 'a/b/'][index % 3]}doc{index:02}.txt"
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(f"document {index}\n".encode() * (index + 1))
        files.append((name, root / name))
    return files


@pytest.fixture
def served() -> Iterator[tuple[FakeMeibel, MeibelClient]]:
    fake = FakeMeibel()
    fake.seed("datasources", DATASOURCE, name="Cluster")
    with fake.serve() as base_url, MeibelClient(api_key="dummy", base_url=base_url) as client:
        yield fake, client


def shards(files: Sequence[Pair]) -> list[list[Pair]]:
    """By a hash of the name: a file stays in its shard (and journal) from run to run."""
    parts: list[list[Pair]] = [[] for _ in range(SHARDS)]
    for name, path in files:
        parts[zlib.crc32(name.encode()) % SHARDS].append((name, path))
    return parts


def run_sharded(
    client: MeibelClient, files: Sequence[Pair], journals: Path, submit: Submit
) -> UploadReport:
    futures = [
        submit(client, part, journals / f"shard-{index}.jsonl")
        for index, part in enumerate(shards(files))
    ]
    return UploadReport.merge(*(future.result(timeout=120) for future in futures))


def check_uploaded_once(
    fake: FakeMeibel, client: MeibelClient, merged: UploadReport, files: Sequence[Pair]
) -> None:
    names = sorted(name for name, _ in files)
    assert merged.ok, merged.summary()
    assert sorted(path.as_posix() for path, _ in merged.uploaded) == names
    listed = [item.path for item in client.file_upload.list_content(DATASOURCE)]
    assert sorted(listed) == names
    copies = collections.Counter(part.filename for up in fake.uploads for part in up.files)
    assert set(copies.values()) == {1}  # each once: no shard sent another's file


def check_rerun_skips_everything(
    fake: FakeMeibel, rerun: UploadReport, files: Sequence[Pair]
) -> None:
    assert rerun.uploaded == ()
    assert [reason for _, reason in rerun.skipped] == [ALREADY_UPLOADED] * len(files)
    assert len(fake.uploads) == len(files)


def test_shards_on_dask_workers(
    served: tuple[FakeMeibel, MeibelClient], corpus: list[Pair], tmp_path: Path
) -> None:
    fake, client = served
    with (
        LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        Client(cluster) as dask,
    ):
        assert os.getpid() not in dask.run(os.getpid).values()  # the workers are processes

        def submit(client: MeibelClient, part: list[Pair], journal: Path) -> Any:
            # pure=False: a rerun with the same arguments runs again, not from dask's cache.
            uploads = client.file_upload.upload_files
            return dask.submit(uploads, DATASOURCE, part, journal=journal, pure=False)

        merged = run_sharded(client, corpus, tmp_path, submit)
        check_uploaded_once(fake, client, merged, corpus)
        rerun = run_sharded(client, corpus, tmp_path, submit)
    check_rerun_skips_everything(fake, rerun, corpus)


@pytest.mark.parametrize("method", ["spawn", "fork"])
@pytest.mark.filterwarnings("ignore:.*use of fork\\(\\) may lead to deadlocks:DeprecationWarning")
def test_shards_on_a_process_pool(
    served: tuple[FakeMeibel, MeibelClient], corpus: list[Pair], tmp_path: Path, method: str
) -> None:
    """spawn: fresh interpreters; fork: copies of this one, forked while the fake's threads run."""
    fake, client = served
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:

        def submit(client: MeibelClient, part: list[Pair], journal: Path) -> Any:
            return pool.submit(client.file_upload.upload_files, DATASOURCE, part, journal=journal)

        merged = run_sharded(client, corpus, tmp_path, submit)
        check_uploaded_once(fake, client, merged, corpus)
        rerun = run_sharded(client, corpus, tmp_path, submit)
    check_rerun_skips_everything(fake, rerun, corpus)


def test_a_failed_file_comes_back_from_its_worker(
    served: tuple[FakeMeibel, MeibelClient], corpus: list[Pair], tmp_path: Path
) -> None:
    fake, client = served
    fake.fail_next(400, "not a file we take")  # final: a 5xx would be checked and sent again
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        future = pool.submit(client.file_upload.upload_files, DATASOURCE, corpus[:3])
        report = future.result(timeout=120)
    ((path, error),) = report.failed
    assert path.as_posix() in {name for name, _ in corpus[:3]}
    assert (type(error).__name__, error.status_code) == ("BadRequestError", 400)
    assert "not a file we take" in str(error)
