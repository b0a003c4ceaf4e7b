"""UploadReport.merge(*reports): the reports of an upload's shards as the report of one run."""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import Any

from meibel import UploadReport
from meibel._folder_walk import InFlightFile, SkippedFile
from meibel.testing import FakeMeibel

DATASOURCE = "ds_merge"


def test_shards_merge_into_what_one_run_reports(tmp_path: Path) -> None:
    fake = FakeMeibel()
    fake.seed("datasources", DATASOURCE, name="Merge")
    (tmp_path / "folder").mkdir()
    files: list[Any] = [(f"doc{index:02}.txt", f"doc {index}".encode()) for index in range(30)]
    files += [tmp_path / "missing.txt", tmp_path / "folder"]  # a failure, a skipped directory
    with fake.client() as client:
        whole = client.file_upload.upload_files(DATASOURCE, files)
        shards = [
            client.file_upload.upload_files(DATASOURCE, files[start::3], trigger_ingest=True)
            for start in range(3)
        ]
    merged = UploadReport.merge(*shards)

    assert [path for path, _ in merged.uploaded] == [path for path, _ in whole.uploaded]
    assert len(merged.uploaded) == 30
    assert merged.skipped == whole.skipped == ((tmp_path / "folder", "directory"),)
    assert [path for path, _ in merged.failed] == [tmp_path / "missing.txt"]
    assert [path for path, _ in whole.failed] == [tmp_path / "missing.txt"]
    assert merged.ingest is shards[-1].ingest is not None
    assert not merged.ok


def test_merge_joins_every_list_in_path_order() -> None:
    first = UploadReport(
        (), (SkippedFile(PurePath("b/.env"), "hidden"),), (),
        in_flight=(InFlightFile(PurePath("z.txt"), True),),
        not_started=(PurePath("y.txt"),),
    )  # fmt: skip
    second = UploadReport(
        (), (SkippedFile(PurePath("a/.env"), "hidden"),), (),
        in_flight=(InFlightFile(PurePath("c.txt"), False),),
        not_started=(PurePath("x.txt"),),
        ingest_error=RuntimeError("ingest is down"),
    )  # fmt: skip
    merged = UploadReport.merge(first, second)
    assert [path for path, _ in merged.skipped] == [PurePath("a/.env"), PurePath("b/.env")]
    assert merged.in_flight == (
        InFlightFile(PurePath("c.txt"), False),
        InFlightFile(PurePath("z.txt"), True),
    )
    assert merged.not_started == (PurePath("x.txt"), PurePath("y.txt"))
    assert isinstance(merged.ingest_error, RuntimeError)
    assert not merged.ok
    assert UploadReport.merge() == UploadReport((), (), ())
