"""Writing files the server names: safe base names, and writes that replace nothing by accident."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from pathlib import Path, PurePath
from typing import BinaryIO

from ._exceptions import UnsafeFilenameError

__all__ = ["AtomicFile", "exists_error", "safe_name"]


def safe_name(filename: str) -> str:
    """The base name of a server-chosen filename ("/" and "\\" both separate), or an error."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    pure = PurePath(name)
    if name in ("", ".", "..") or "\0" in name or pure.name != name or pure.anchor:
        raise UnsafeFilenameError(
            f"the server's filename {filename!r} does not name a file: pass save(path) to "
            "choose one",
            filename=filename,
        )
    return name


def exists_error(target: Path) -> FileExistsError:
    return FileExistsError(
        errno.EEXIST, "not saved: the file exists (pass overwrite=True to replace it)", str(target)
    )


class AtomicFile:
    """A temporary file beside `target` that becomes `target` only once fully written."""

    def __init__(self, target: Path, *, overwrite: bool) -> None:
        if not overwrite and os.path.lexists(target):
            raise exists_error(target)
        self.target = target
        self.overwrite = overwrite
        # Mode "x" creates the file with the umask's permissions, as a plain write would.
        self.temp = target.with_name(f".meibel-{secrets.token_hex(8)}.part")
        self.file = self.temp.open("xb")

    def __enter__(self) -> BinaryIO:
        return self.file

    def __exit__(self, error: type[BaseException] | None, *rest: object) -> None:
        self.file.close()
        try:
            if error is None:
                self._commit()
        finally:
            with contextlib.suppress(FileNotFoundError):
                self.temp.unlink()

    def _commit(self) -> None:
        if self.overwrite:
            os.replace(self.temp, self.target)
            return
        try:
            # Unlike a rename, a hard link never replaces: no window for another writer to lose.
            os.link(self.temp, self.target)
        except FileExistsError:
            raise exists_error(self.target) from None
        except OSError:  # a filesystem without hard links
            if os.path.lexists(self.target):
                raise exists_error(self.target) from None
            os.replace(self.temp, self.target)
