"""The `[testing]` extra: the one message for using `meibel.testing` without it.

The pytest plugin and the CLI import this before anything optional, so it must stay cheap.
"""

from __future__ import annotations

import importlib.util

INSTALL_TESTING = 'pip install "meibel-sdk[testing]"'
# The top-level modules meibel.testing imports that only the [testing] extra installs.
TESTING_MODULES = ("jsonschema", "python_multipart")


class MissingExtraError(ImportError):
    """`meibel.testing` (its pytest fixtures, `meibel chat --fake`) used without `[testing]`."""


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
