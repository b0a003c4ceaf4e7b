"""One file of a folder upload, to its outcome: sent until stored, never stored twice.

Each call already retries what the client's policy allows (meibel/_retry.py). What it gives up on,
a file's rounds take up again, at most `ROUNDS` sends in all:

- not stored for certain (429 Too Many Requests, or a request never sent in full): sent again,
  after the client's rate gate opens (meibel/_rate_gate.py);
- maybe stored (sent in full, then the connection broke, the read timed out, or a 5xx or 408
  came): the server is asked first (meibel/_reconcile.py); sent again only if it does not have
  the file, reported failed with an UploadUndecidedError when it cannot tell;
- anything else (a 4xx, a file that changed while sent, an interrupt): reported failed as is.

After the last send, a file that may be stored is still checked: reported uploaded if the server
has it, failed with the last error if it does not.

A file the journal says an earlier run was sending is checked with the server the same way
before its first send; found stored, it is skipped ("already on the server").

`FileRounds` decides; `upload_sync` and `upload_async` do the I/O, blocking or awaited.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from ._delivery import watching
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    RateLimitError,
    UploadUndecidedError,
)
from ._folder_walk import FailedFile, SkippedFile, UploadedFile
from ._reconcile import compare, md5_of, undecided

if TYPE_CHECKING:
    from ._download import ProgressCallback
    from ._folder_walk import _Found
    from ._generated import ContentItem, ListContentResponse, UploadContentResponse
    from ._journal import Journal
    from ._multipart import FileInput
    from ._pagination import AsyncPage, SyncPage
    from ._rate_gate import Concurrency

__all__ = ["ALREADY_LISTED", "ROUNDS", "FileRounds", "Outcome", "upload_async", "upload_sync"]

ROUNDS = 4
ALREADY_LISTED = "already on the server (its content listing has it)"
Outcome = UploadedFile | SkippedFile | FailedFile
# Seconds between looks for a free send slot, while throttling has lowered the limit.
_SLOT_POLL = 0.005
_EARLIER_RUN = "it was being sent when an earlier run stopped"


class _Uploads(Protocol):
    """What FolderUploads needs of the namespace it is mixed into (FileUpload)."""

    @property
    def _client(self) -> Any: ...

    def upload_content(
        self, datasource_id: str, *, files: FileInput | Sequence[FileInput] | None = None
    ) -> UploadContentResponse: ...

    def list_content(
        self, datasource_id: str, *, prefix: str | None = None
    ) -> SyncPage[ListContentResponse, ContentItem]: ...


class _AsyncUploads(Protocol):
    @property
    def _client(self) -> Any: ...

    async def upload_content(
        self, datasource_id: str, *, files: FileInput | Sequence[FileInput] | None = None
    ) -> UploadContentResponse: ...

    def list_content(
        self, datasource_id: str, *, prefix: str | None = None
    ) -> AsyncPage[ListContentResponse, ContentItem]: ...


def sent_as(found: _Found) -> list[FileInput]:
    """The `files=` of one file's upload: its content, named by its path in the folder."""
    return [found.part()]


def _maybe_stored(error: Exception) -> bool | None:
    """True: the server may have stored the file; False: it did not; None: a final failure."""
    if isinstance(error, RateLimitError):
        return False
    if isinstance(error, APIConnectionError):
        return error.request_sent
    if isinstance(error, APIStatusError) and (error.status_code >= 500 or error.status_code == 408):
        return True
    return None


class FileRounds:
    """What to do next with one file: check with the server, send, or stop with an outcome."""

    __slots__ = ("doubt", "found", "journal", "last_error", "progress", "rounds")

    def __init__(
        self, found: _Found, journal: Journal | None, progress: ProgressCallback | None
    ) -> None:
        self.found = found
        self.journal = journal
        self.progress = progress  # one callback for every round: bytes are counted once
        self.rounds = 0
        self.last_error: Exception | None = None  # set when no send is left: the outcome if absent
        # Why the server may have the file already (checked before the next send), or None.
        self.doubt: str | None = (
            _EARLIER_RUN if journal is not None and journal.maybe_sent(found) else None
        )

    @staticmethod
    def go_on() -> None:
        """Raises Stopped if the folder upload was interrupted: no check and no send after it."""
        watch = watching.get()
        if watch is not None:
            watch.check()

    def before_send(self) -> None:
        """Notes the send in the journal."""
        self.rounds += 1
        if self.journal is not None:
            self.journal.sending(self.found)

    def failed(self, error: Exception) -> FailedFile | None:
        """After a send failed with `error`: the outcome, or None to go on (check first when
        `doubt` is set)."""
        maybe = _maybe_stored(error)
        if maybe is None or (not maybe and self.rounds >= ROUNDS):
            return FailedFile(self.found.path, error)
        if maybe and self.rounds >= ROUNDS:  # no send left, but the server may have it: ask
            self.last_error = error
        self.doubt = f"sent in full, but the answer was lost ({error})" if maybe else None
        return None

    def listing_failed(self, error: Exception) -> FailedFile:
        why = f"listing the datasource's content failed ({error})"
        return FailedFile(self.found.path, undecided(self.found, self.doubt or "", None, why))

    def unreadable(self, item: Any, error: Exception) -> FailedFile:
        why = f"its content cannot be read again to compare with the server's ({error})"
        return FailedFile(self.found.path, undecided(self.found, self.doubt or "", item, why))

    def needs_md5(self, item: Any) -> str | bool:
        """False: not stored; else the MD5 the listed `item` has (compare the file's to it).
        Raises UploadUndecidedError when the listing cannot tell."""
        return compare(self.found, item, self.doubt or "")

    def checked(self, item: Any, stored: bool) -> Outcome | None:
        """After the check: the outcome when the server has the file, else None (send it)."""
        self.doubt = None
        if not stored:
            return None if self.last_error is None else FailedFile(self.found.path, self.last_error)
        found = self.found
        if self.rounds == 0:  # an earlier run stored it
            if self.journal is not None:
                self.journal.record(found, item)
            return SkippedFile(found.path, ALREADY_LISTED)
        return journaled(self.journal, found, item)


def journaled(journal: Journal | None, found: _Found, response: Any) -> UploadedFile | FailedFile:
    """The outcome of an upload that succeeded, recorded in `journal` when there is one."""
    if journal is not None:
        try:
            journal.record(found, response)
        except Exception as error:  # the server has it; the next run would check first
            message = f"uploaded, but not recorded in the journal {journal.path}: {error}"
            return FailedFile(found.path, OSError(message))
    return UploadedFile(found.path, response)


def upload_sync(
    resource: _Uploads,
    datasource_id: str,
    rounds: FileRounds,
    pace: Concurrency | None = None,
) -> Outcome:
    """Upload `rounds.found` (see the module docstring), blocking."""
    from ._multipart import upload_progress

    found = rounds.found
    while True:
        try:
            rounds.go_on()
            if rounds.doubt is not None:
                outcome = _check_sync(resource, datasource_id, rounds)
                if outcome is not None:
                    return outcome
            rounds.before_send()
            while pace is not None and not pace.try_enter():
                rounds.go_on()
                time.sleep(_SLOT_POLL)
            try:
                with upload_progress(rounds.progress):
                    response = resource.upload_content(datasource_id, files=sent_as(found))
            finally:
                if pace is not None:
                    pace.leave()
        except UploadUndecidedError as error:
            return FailedFile(found.path, error)
        except Exception as error:  # recorded: one file's failure never stops the others
            if (failure := rounds.failed(error)) is not None:
                return failure
            continue
        if pace is not None:
            pace.succeeded()
        return journaled(rounds.journal, found, response)


def _check_sync(resource: _Uploads, datasource_id: str, rounds: FileRounds) -> Outcome | None:
    found = rounds.found
    try:
        page = resource.list_content(datasource_id, prefix=found.name)
        item = next((item for item in page if item.path == found.name), None)
    except Exception as error:
        return rounds.listing_failed(error)
    etag = rounds.needs_md5(item)
    if etag is False:
        return rounds.checked(item, False)
    try:
        local = md5_of(found)
    except (OSError, ValueError) as error:  # a stream that cannot seek back, a file gone
        return rounds.unreadable(item, error)
    return rounds.checked(item, etag == local)


async def upload_async(
    resource: _AsyncUploads,
    datasource_id: str,
    rounds: FileRounds,
    pace: Concurrency | None = None,
) -> Outcome:
    """Upload `rounds.found` (see the module docstring), awaited; file reads off the loop."""
    import anyio
    from anyio.to_thread import run_sync

    from ._multipart import upload_progress

    found = rounds.found
    while True:
        try:
            rounds.go_on()
            if rounds.doubt is not None:
                outcome = await _check_async(resource, datasource_id, rounds)
                if outcome is not None:
                    return outcome
            rounds.before_send()  # a short journal line: not worth a thread hop
            while pace is not None and not pace.try_enter():
                await anyio.sleep(_SLOT_POLL)
            try:
                with upload_progress(rounds.progress):
                    response = await resource.upload_content(datasource_id, files=sent_as(found))
            finally:
                if pace is not None:
                    pace.leave()
        except UploadUndecidedError as error:
            return FailedFile(found.path, error)
        except Exception as error:  # recorded: one file's failure never stops the others
            if (failure := rounds.failed(error)) is not None:
                return failure
            continue
        if pace is not None:
            pace.succeeded()
        if rounds.journal is None:
            return UploadedFile(found.path, response)
        return await run_sync(journaled, rounds.journal, found, response)  # hashes the file


async def _check_async(
    resource: _AsyncUploads, datasource_id: str, rounds: FileRounds
) -> Outcome | None:
    from anyio.to_thread import run_sync

    found = rounds.found
    try:
        item = None
        async for listed in resource.list_content(datasource_id, prefix=found.name):
            if listed.path == found.name:
                item = listed
                break
    except Exception as error:
        return rounds.listing_failed(error)
    etag = rounds.needs_md5(item)
    if etag is False:
        return await run_sync(rounds.checked, item, False)
    try:
        local = await run_sync(md5_of, found)
    except (OSError, ValueError) as error:  # a stream that cannot seek back, a file gone
        return rounds.unreadable(item, error)
    return await run_sync(rounds.checked, item, etag == local)
