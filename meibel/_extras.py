"""The `[testing]` extra: the one message for using `meibel.testing` without it (and the error
an fsspec URL raises without `[fsspec]`).

The pytest plugin and the CLI import this before anything optional, so it must stay cheap.
"""

from __future__ import annotations

import importlib.util

INSTALL_TESTING = 'pip install "meibel-sdk[testing]"'
INSTALL_FSSPEC = 'pip install "meibel-sdk[fsspec]"'
# The top-level modules meibel.testing imports that only the [testing] extra installs.
TESTING_MODULES = ("jsonschema", "python_multipart")


class MissingExtraError(ImportError):
    """An optional part used without what it needs: `meibel.testing` (its pytest fixtures,
    `meibel chat --fake`) without `[testing]`, an fsspec URL without `[fsspec]` (or without the
    filesystem's own package, s3fs...)."""


def missing_testing_extra() -> MissingExtraError | None:
    """The error naming the modules of `[testing]` that are not installed, if any."""
    missing = [name for name in TESTING_MODULES if importlib.util.find_spec(name) is None]
    if not missing:
        return None
    return MissingExtraError(
        f"meibel.testing needs {' and '.join(missing)}, which meibel-sdk installs only with its "
        f"[testing] extra: {INSTALL_TESTING}",
        name=missing[0],
    )
