"""The commands: each takes a client and its arguments, prints, and returns an exit status.

Results go to stdout (a table or a few lines; one JSON document under `--json`), progress to
stderr (see _progress.py). Errors are raised and printed as one line by `main`.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from .._client import MeibelClient
from .._download import DEFAULT_FILENAME, Download
from .._files import check_destination, resolve_destination
from .._folder_walk import UploadInterrupted
from .._generated import known
from ._output import Output, TerminalBytes, jsonable, table, write
from ._progress import Progress, size
from ._text import one_line, plural

if TYPE_CHECKING:
    from .._folder_walk import UploadReport
    from ..models import DocumentStatus, IngestStatusResponse

__all__ = [
    "CommandFailed",
    "Output",
    "UsageError",
    "existing",
    "jsonable",
    "one_line",
    "output_destination",
    "save",
]

# The waiters' polling pace against the fake, whose jobs move on at every poll.
FAKE_POLL_INTERVAL = 0.05
# `-o -`: the file goes to stdout; `--from-file -`: the list comes from stdin.
STDOUT = "-"
STDIN = "-"


class CommandFailed(Exception):
    """The command ran but did not succeed (a job ended failed, files did not upload): exit 1."""


class UsageError(Exception):
    """The command cannot run as asked or configured (no API key, a bad pattern): exit 2."""


def existing(path: str, *, folder: bool) -> Path:
    """`path`, checked before anything is sent: a missing file fails in one clear line."""
    target = Path(path).expanduser()
    if not target.exists():
        raise FileNotFoundError(errno.ENOENT, "no such file or directory", path)
    if folder and not target.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", path)
    if not folder and target.is_dir():
        raise IsADirectoryError(errno.EISDIR, "a folder, not a file", path)
    return target


def _wait_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if args.timeout is not None:
        options["timeout"] = args.timeout
    if args.poll_interval is not None:
        options["poll_interval"] = args.poll_interval
    elif args.fake:
        options["poll_interval"] = FAKE_POLL_INTERVAL
    return options


# ----- agents, datasources ------------------------------------------------------------------


def agents_list(client: MeibelClient, args: argparse.Namespace, out: Output) -> int:
    pages = (page.items for page in client.agents.list_agents().iter_pages())
    headers = ["ID", "NAME", "TYPE", "VERSION"]
    out.rows(headers, pages, lambda a: [a.id, a.name, a.type_, a.version], empty="no agents")
    return 0


def datasources_list(client: MeibelClient, args: argparse.Namespace, out: Output) -> int:
    listing = client.datasources.list_datasources()
    rows = []
    for datasource in listing.datasources:
        files = known(datasource.files)
        total = "" if files is None else str(files.total)
        rows.append([datasource.id, datasource.name, total, datasource.updated_at])
    headers = ["ID", "NAME", "FILES", "UPDATED"]
    out.result(listing, lambda: table(headers, rows) if rows else ["no datasources"])
    return 0


def datasources_create(client: MeibelClient, args: argparse.Namespace, out: Output) -> int:
    from ..models import CreateDatasourceRequest

    request = CreateDatasourceRequest(name=args.name)
    if args.description:
        request.description = args.description
    datasource = client.datasources.create_datasource(body=request)
    out.result(datasource, lambda: [f"created {datasource.id} ({datasource.name})"])
    return 0


# ----- upload, ingest ---------------------------------------------------------------------------


def _ingest_lines(status: IngestStatusResponse) -> list[str]:
    lines = [f"ingest {status.datasource_id}: {status.status}"]
    for method in known(status.methods) or []:
        total = known(method.total_files) or 0
        counts = [f"{known(method.processed_files) or 0}/{plural(total, 'file')}"]
        counts += [
            plural(count, name[:-1])
            for name in ("adds", "updates", "warnings", "errors")
            if (count := known(getattr(method, name)))
        ]
        lines.append(f"  {method.method}: {', '.join(counts)}")
    return lines


def _ingest_progress(bar: Progress) -> Callable[[Any], None]:
    def report(status: IngestStatusResponse) -> None:
        methods = known(status.methods) or []
        done = sum(known(m.processed_files) or 0 for m in methods)
        total = sum(known(m.total_files) or 0 for m in methods)
        files = f", {done}/{plural(total, 'file')}" if total else ""
        bar.update(f"ingest {status.datasource_id}: {status.status}{files}", done, total or None)

    return report


def _wait_for_ingest(
    client: MeibelClient, datasource_id: str, args: argparse.Namespace, out: Output
) -> IngestStatusResponse:
    bar = out.progress()
    try:
        status = client.ingest.wait(
            datasource_id, on_progress=_ingest_progress(bar), **_wait_options(args)
        )
    finally:
        bar.close()
    return status


def ingest_status(client: MeibelClient, args: argparse.Namespace, out: Output) -> int:
    status = client.ingest.get_ingest_status(args.datasource)
    out.result(status, lambda: _ingest_lines(status))
    return 0


def ingest_wait(client: MeibelClient, args: argparse.Namespace, out: Output) -> int:
    # The waiter rides out connection errors until its timeout; a server that cannot be reached
    # (or a datasource that does not exist) at the start should fail at once instead.
    client.ingest.get_ingest_status(args.datasource)
    status = _wait_for_ingest(client, args.datasource, args, out)
    out.result(status, lambda: _ingest_lines(status))
    return 0


def _journal_of(args: argparse.Namespace, folder: Path | str) -> Path | None:
    if args.journal:
        return Path(args.journal)
    if args.resume:
        from .._journal import default_path

        return default_path(args.datasource, folder)
    return None


def _listed(name: str) -> Iterator[str]:
    """The paths listed in file `name` ('-': stdin), one a line, read as the upload takes them."""
    if name == STDIN:
        yield from _paths(sys.stdin)
        return
    with open(name, encoding="utf-8", errors="surrogateescape") as lines:
        yield from _paths(lines)


def _paths(lines: Iterable[str]) -> Iterator[str]:
    for line in lines:
        if path := line.rstrip("\r\n"):
            yield path


def _upload_source(args: argparse.Namespace) -> tuple[Path | str, PurePath | None]:
    """What `upload` reads (a folder, a URL, or a list file) and what its paths are shown under."""
    from .._fsspec_files import is_url

    if (args.folder is None) == (args.from_file is None):
        raise UsageError("give a FOLDER or --from-file LIST (one of them)")
    if args.from_file is not None:
        if args.pattern != "**/*" or args.include_hidden:
            raise UsageError("--pattern and --include-hidden choose files of a FOLDER")
        if args.resume and not args.journal and args.from_file == STDIN:
            raise UsageError("--resume: a list read from stdin has no place: give --journal PATH")
        if args.from_file == STDIN:
            return STDIN, None
        return existing(args.from_file, folder=False), None
    if is_url(args.folder):
        return args.folder, PurePath(args.folder.split("://", 1)[1])
    folder = existing(args.folder, folder=True)
    return folder, folder


def upload(client: MeibelClient, args: argparse.Namespace, out: Output) -> int:
    source, folder = _upload_source(args)
    bar = out.progress()
    sent = 0

    def report_bytes(done: int, total: int | None, current_file: str | None) -> None:
        nonlocal sent
        if not done:  # nothing sent yet: nothing to say (a dead server says it in one line)
            return
        sent = done
        of = f" of {size(total)}" if total is not None else ""
        current = f", {current_file}" if current_file else ""
        bar.update(f"uploaded {size(done)}{of}{current}", done, total)

    journal = _journal_of(args, source)
    try:
        if args.from_file is not None:
            report = client.file_upload.upload_files(
                args.datasource,
                _listed(os.fspath(source)),
                trigger_ingest=args.ingest or args.wait,
                on_progress=report_bytes,
                journal=journal,
            )
        else:
            report = client.file_upload.upload_folder(
                args.datasource,
                source,
                pattern=args.pattern,
                include_hidden=args.include_hidden,
                trigger_ingest=args.ingest or args.wait,
                on_progress=report_bytes,
                journal=journal,
            )
    except ValueError as error:  # raised before any upload: the arguments are wrong
        from .._journal import JournalError

        option = "--journal" if isinstance(error, JournalError) else "--pattern"
        raise UsageError(f"{option}: {error}") from error
    except UploadInterrupted as interrupted:  # Ctrl-C: say what was done, then exit 130
        bar.close()
        stopped = interrupted.report
        out.result(
            {"upload": stopped, "interrupted": True},
            lambda: _upload_lines(stopped, folder, sent, args.datasource, interrupted=True),
        )
        raise
    finally:
        bar.close()
    ingest = None
    if args.wait and report.ingest is not None:
        ingest = _wait_for_ingest(client, args.datasource, args, out)

    def lines() -> list[str]:
        summary = _upload_lines(report, folder, sent, args.datasource)
        return [*summary, *(_ingest_lines(ingest) if ingest is not None else [])]

    out.result({"upload": report, "ingest": ingest}, lines)
    if report.failed:
        count = len(report.uploaded) + len(report.failed)
        first, reason = report.failed[0]
        raise CommandFailed(
            f"{len(report.failed)} of {plural(count, 'file')} failed to upload "
            f"(first {_shown(first, folder)}: {one_line(reason)})"
        )
    if report.ingest_error is not None:
        raise CommandFailed(f"the ingest was not started: {one_line(report.ingest_error)}")
    return 0


def _upload_lines(
    report: UploadReport,
    folder: PurePath | None,
    sent: int,
    datasource: str,
    *,
    interrupted: bool = False,
) -> list[str]:
    """The summary of a folder upload, and a line per file that failed or was cut short."""
    count = len(report.uploaded)
    summary = f"uploaded {plural(count, 'file')} ({size(sent)}) to {datasource}"
    if interrupted:  # what was sent includes files in flight
        summary = (
            f"interrupted: uploaded {plural(count, 'file')} to {datasource} ({size(sent)} sent)"
        )
    if report.skipped:
        summary += f", skipped {len(report.skipped)}"
    if report.failed:
        summary += f", {len(report.failed)} failed"
    if report.in_flight:
        summary += f", {len(report.in_flight)} in flight"
    if report.not_started:
        summary += f", {len(report.not_started)} not started"
    lines = [summary]
    lines += [f"  failed {_shown(path, folder)}: {one_line(e)}" for path, e in report.failed]
    lines += [
        f"  in flight {_shown(path, folder)}: "
        + ("sent in full, the server may have stored it" if whole else "not sent in full")
        for path, whole in report.in_flight
    ]
    return lines


def _shown(path: PurePath, folder: PurePath | None) -> str:
    if folder is not None and path.is_relative_to(folder):
        return str(path.relative_to(folder))
    return str(path)


# ----- documents, downloads ---------------------------------------------------------------------


def _document_line(status: DocumentStatus) -> str:
    details = [
        f"{value} {name[:-1] if value == 1 else name}"
        for name in ("pages", "elements", "tables")
        if (value := known(getattr(status, name))) is not None
    ]
    if (elapsed := known(status.processing_time_ms)) is not None:
        details.append(f"{elapsed} ms")
    if error := known(status.error):
        details.append(f"error: {error}")
    line = f"parse {status.job_id}: {status.status}"
    return f"{line} ({', '.join(details)})" if details else line


def _job_progress(bar: Progress, label: str) -> Callable[[Any], None]:
    """Report a job's status models and progress events as `label: state`."""

    def report(update: object) -> None:
        state = getattr(update, "status", None)
        data = getattr(update, "data", None)
        percent = None
        if isinstance(data, dict):
            state = data.get("status", state)
            percent = data.get("progress")
        if not isinstance(state, str):
            state = str(getattr(update, "type", "working"))
        if isinstance(percent, int | float) and not isinstance(percent, bool):
            bar.update(f"{label}: {state}, {percent:g}%", percent, 100)
        else:
            bar.update(f"{label}: {state}")

    return report


def _saver(bar: Progress, verb: str) -> Callable[[int, int | None, str | None], None]:
    def report(done: int, total: int | None, name: str | None) -> None:
        if not done:
            return
        of = f" of {size(total)}" if total else ""
        bar.update(f"{verb} {size(done)}{of}" + (f", {name}" if name else ""), done, total)

    return report


def output_destination(args: argparse.Namespace) -> str | None:
    """`-o OUT`, checked before anything is sent: what would make saving fail once the job is
    done (a file in the way, a FIFO or link, a missing or read-only directory) fails now."""
    given: str | None = args.output
    if given is None:
        return None
    if given == STDOUT:
        if args.json or getattr(args, "output_format", None) in ("json", "jsonl"):
            raise UsageError("-o - writes the file to stdout, where --json prints: choose one")
        return STDOUT
    output = os.path.expanduser(given)
    check_destination(output, overwrite=args.overwrite)
    return output


def save_and_report(download: Download, output: str, overwrite: bool, out: Output) -> None:
    """Save a Download (see `save`), then say where: a JSON document, or one line (on stderr
    when the file itself went to stdout)."""
    where, written = save(download, output, overwrite, out)
    document = {
        "path": where,
        "bytes": written,
        "filename": download.filename,
        "content_type": download.content_type,
    }
    out.result(document, lambda: [f"saved {where} ({size(written)})"], to_stderr=output == STDOUT)


def save(download: Download, output: str, overwrite: bool, out: Output) -> tuple[str, int]:
    """Save a Download to `output`: a file, a folder (for the server's filename) or stdout.

    Returns where it went, as shown, and the number of bytes written.
    """
    sink = TerminalBytes(out.stdout) if output == STDOUT else None
    # A file shown on the terminal shows how far it got; a bar drawn beside it would garble it.
    bar = out.progress(quiet=sink is not None and sink.terminal)
    try:
        if sink is not None:
            written = download.save(sink, on_progress=_saver(bar, "downloaded"))
            sink.finish()
            return "to stdout", written
        target, _ = resolve_destination(output, lambda: download.filename or DEFAULT_FILENAME)
        written = download.save(output, overwrite=overwrite, on_progress=_saver(bar, "downloaded"))
    finally:
        bar.close()
    return str(target), written


def parse(client: MeibelClient, args: argparse.Namespace, out: Output) -> int:
    path = existing(args.file, folder=False)
    output = output_destination(args)
    job = client.documents.parse_document(file=path)
    if not (args.wait or output):
        out.result(job, lambda: [f"parse {job.job_id}: {job.status}"])
        return 0
    bar = out.progress()
    try:
        status = client.documents.wait(
            job.job_id, on_progress=_job_progress(bar, f"parse {job.job_id}"), **_wait_options(args)
        )
    finally:
        bar.close()
    saved: list[str] = []
    if output:
        download = client.documents.get_document_result(job.job_id, format_=args.format)
        where, written = save(download, output, args.overwrite, out)
        saved.append(f"saved {where} ({size(written)})")
    lines = [_document_line(status), *saved]
    out.result(status, lambda: lines, to_stderr=output == STDOUT)
    return 0


def download(client: MeibelClient, args: argparse.Namespace, out: Output) -> int:
    output = output_destination(args)
    assert output is not None  # required by the parser
    file = client.datasource_downloads.download_file(args.job, datasource_id=args.datasource)
    save_and_report(file, output, args.overwrite, out)
    return 0


def chat(client: MeibelClient, args: argparse.Namespace, out: Output) -> int:
    from ._chat import chat

    return chat(client, args.agent, sys.stdin, out.stdout)


def completion(client: None, args: argparse.Namespace, out: Output) -> int:
    """`meibel completion SHELL`: argcomplete's script, which asks `meibel` for completions."""
    try:
        from argcomplete.shell_integration import shellcode
    except ImportError:
        raise UsageError(
            'completion needs argcomplete, in the [cli] extra: pip install "meibel-sdk[cli]"'
        ) from None
    write(out.stdout, shellcode(["meibel"], shell=args.shell))
    return 0
