"""Writing files the server names: safe base names, and writes that replace nothing by accident."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import unicodedata
from collections.abc import Callable
from pathlib import Path, PurePath
from typing import BinaryIO

from ._exceptions import UnsafeFilenameError

__all__ = [
    "EXISTS",
    "AtomicFile",
    "check_destination",
    "check_target",
    "exists_error",
    "is_control",
    "replace_controls",
    "resolve_destination",
    "safe_name",
]

# The strerror of the one refusal `overwrite=True` lifts: a regular file is in the way.
EXISTS = "not saved: the file exists (pass overwrite=True to replace it)"

# Unicode categories of characters that act on text instead of showing: controls (C0, DEL,
# C1), format characters (bidi overrides such as U+202E, zero-width spaces), line and paragraph
# separators, lone surrogates.
_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# Format characters that are parts of words (Persian, Indic scripts) and of emoji sequences.
_JOINERS = frozenset("\u200c\u200d")
# What a name may not start or end with: dots (hidden files, "." and "..") and white space.
_EDGES = re.compile(r"^[\s.]+|[\s.]+$")
# NAME_MAX of Linux and macOS, in bytes; a longer name is cut, keeping a short extension.
_MAX_NAME_BYTES = 255
_MAX_SUFFIX_BYTES = 16


def is_control(char: str) -> bool:
    """Whether `char` moves, hides or reorders text rather than showing itself."""
    return unicodedata.category(char) in _CONTROL_CATEGORIES and char not in _JOINERS


def replace_controls(text: str, replace: Callable[[str], str]) -> str:
    """`text` with each control character (see is_control) replaced by `replace(char)`."""
    if text.isprintable():  # the usual case, in C: nothing to replace
        return text
    return "".join(replace(char) if is_control(char) else char for char in text)


def safe_name(filename: str) -> str:
    """The name a server-chosen `filename` is saved under, or UnsafeFilenameError.

    Only its base name is kept ("/" and "\\" both separate); control characters become "_";
    dots and white space at either end are removed, so ".bashrc" is saved as "bashrc" (what
    Chromium does, "to avoid tricks with hidden files, '..', and '.'"); a name longer than 255
    bytes is cut to fit, its extension kept.
    """
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = _EDGES.sub("", replace_controls(base, lambda _: "_"))
    visible = _EDGES.sub("", replace_controls(base, lambda _: ""))
    if not visible or PurePath(name).anchor:  # nothing left, or a drive ("C:x" on Windows)
        raise UnsafeFilenameError(
            f"the server's filename {filename!r} does not name a file: pass save(path) to "
            "choose one",
            filename=filename,
        )
    return _shortened(name)


def _shortened(name: str) -> str:
    """`name` cut to _MAX_NAME_BYTES of UTF-8 (at a character), a short extension kept."""
    if len(name.encode()) <= _MAX_NAME_BYTES:
        return name
    stem, dot, extension = name.rpartition(".")
    suffix = dot + extension
    if not stem or len(suffix.encode()) > _MAX_SUFFIX_BYTES:
        stem, suffix = name, ""
    kept = stem.encode()[: _MAX_NAME_BYTES - len(suffix.encode())].decode(errors="ignore")
    return _EDGES.sub("", kept) + suffix


_SEPARATORS = tuple(filter(None, ("/", os.sep, os.altsep)))


def _folder(text: str) -> tuple[Path, bool] | None:
    """The directory `text` names, and whether it is missing; None when it names a file.

    A path ending in a separator, or naming an existing directory (or a link to one), is a
    directory.
    """
    folder = Path(text)
    if folder.is_dir():
        return folder, False
    if not text.endswith(_SEPARATORS):
        return None
    if os.path.lexists(folder):
        raise NotADirectoryError(
            errno.ENOTDIR, "not a directory (a path ending in / names one)", text
        )
    return folder, True


def resolve_destination(path: str | os.PathLike[str], name: Callable[[], str]) -> tuple[Path, bool]:
    """The file `save(path)` writes, and whether its directory is yet to be created.

    In a directory, the file is named `safe_name(name())`. Nothing is created here.
    """
    text = os.fspath(path)
    found = _folder(text)
    if found is None:
        return Path(text), False
    folder, missing = found
    return folder / safe_name(name()), missing


def check_destination(path: str | os.PathLike[str], *, overwrite: bool) -> None:
    """Raise now what saving to `path` would raise once the answer is there, as far as that
    does not depend on the answer (the server's filename): something in the way, a missing
    directory, one where no file can be created."""
    text = os.fspath(path)
    found = _folder(text)
    if found is None:
        target = Path(text)
        check_target(target, overwrite=overwrite)
        directory = target.parent
        if not directory.is_dir():
            raise FileNotFoundError(errno.ENOENT, "no such directory", str(directory))
    else:
        directory, _ = found
        while not directory.is_dir():  # the directories to create: the first that exists
            if os.path.lexists(directory):
                raise NotADirectoryError(errno.ENOTDIR, "not a directory", str(directory))
            directory = directory.parent
    probe = directory / f".meibel-{secrets.token_hex(8)}.part"
    try:
        probe.open("xb").close()
    except OSError as error:
        raise _cannot_create(error, directory) from error
    probe.unlink()


def _cannot_create(error: OSError, directory: Path) -> OSError:
    """`error` (creating a file in `directory`) as one that names the directory."""
    if isinstance(error, FileNotFoundError) and not directory.is_dir():
        reason = "no such directory"
    else:
        reason = f"cannot create a file in this directory ({error.strerror})"
    return type(error)(error.errno, reason, str(directory))


def _kind(mode: int) -> str | None:
    """What a file of `mode` is, when save() must never replace it."""
    for test, kind in (
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a directory"),
    ):
        if test(mode):
            return kind
    return None if stat.S_ISREG(mode) else "not a regular file"


def exists_error(target: Path) -> FileExistsError:
    return FileExistsError(errno.EEXIST, EXISTS, str(target))


def check_target(target: Path, *, overwrite: bool) -> None:
    """Raise FileExistsError if something is at `target` that save() may not replace.

    A regular file is replaced with `overwrite=True`; a link, FIFO, device, socket or directory
    never is (writing through a link or into a FIFO is not saving a file).
    """
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return
    kind = _kind(mode)
    if kind is not None:
        raise FileExistsError(
            errno.EEXIST, f"not saved: it is {kind}, which save() never replaces", str(target)
        )
    if not overwrite:
        raise exists_error(target)


class AtomicFile:
    """A temporary file beside `target` that becomes `target` only once fully written.

    With `make_dirs`, the missing directories of `target` are created, and removed again if
    the write fails.
    """

    def __init__(self, target: Path, *, overwrite: bool, make_dirs: bool = False) -> None:
        check_target(target, overwrite=overwrite)
        self.target = target
        self.overwrite = overwrite
        self._made: list[Path] = _make_dirs(target.parent) if make_dirs else []
        # Mode "x" creates the file with the umask's permissions, as a plain write would.
        self.temp = target.with_name(f".meibel-{secrets.token_hex(8)}.part")
        try:
            self.file = self.temp.open("xb")
        except OSError as error:
            self._remove_made()
            raise _cannot_create(error, target.parent) from error

    def __enter__(self) -> BinaryIO:
        return self.file

    def __exit__(self, error: type[BaseException] | None, *rest: object) -> None:
        self.file.close()
        committed = False
        try:
            if error is None:
                self._commit()
                committed = True
        finally:
            with contextlib.suppress(FileNotFoundError):
                self.temp.unlink()
            if not committed:
                self._remove_made()

    def _remove_made(self) -> None:
        for directory in reversed(self._made):
            with contextlib.suppress(OSError):  # not empty: someone else writes there now
                directory.rmdir()

    def _commit(self) -> None:
        if self.overwrite:
            check_target(self.target, overwrite=True)  # what may have appeared meanwhile
            os.replace(self.temp, self.target)
            return
        try:
            # Unlike a rename, a hard link never replaces: no window for another writer to lose.
            os.link(self.temp, self.target)
            return
        except FileExistsError:
            linkable = True
        except OSError:  # a filesystem without hard links
            linkable = False
        check_target(self.target, overwrite=False)  # raises when anything is there now
        if linkable:  # it was, and is gone again: say so rather than race on
            raise exists_error(self.target)
        os.replace(self.temp, self.target)


def _make_dirs(directory: Path) -> list[Path]:
    """Create `directory` and its missing parents; the ones created, outermost first."""
    missing: list[Path] = []
    while not directory.is_dir():
        missing.append(directory)
        if directory.parent == directory:
            break
        directory = directory.parent
    made: list[Path] = []
    try:
        for folder in reversed(missing):
            folder.mkdir()
            made.append(folder)
    except BaseException:
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    return made
