"""The `meibel` logger: one line per HTTP attempt, never the API key.

Set `MEIBEL_LOG=debug` (or `info`) to print them on stderr; or configure the `meibel` logger like
any other. The API key is never put in a message, and a filter on the logger redacts anything that
looks like the key header should a message ever carry one.
"""

from __future__ import annotations

import logging
import os
import re

__all__ = ["logger", "setup_logging"]

logger = logging.getLogger("meibel")

_KEY_HEADER = re.compile(r"(?i)(meibel-api-key['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+")


class _RedactKey(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _KEY_HEADER.sub(r"\1***", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def setup_logging() -> None:
    """Apply `MEIBEL_LOG` once: attach a stderr handler at that level."""
    if any(isinstance(f, _RedactKey) for f in logger.filters):
        return
    logger.addFilter(_RedactKey())
    level = os.environ.get("MEIBEL_LOG", "").strip().upper()
    if level in ("DEBUG", "INFO", "WARNING", "ERROR"):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(level)
