"""Reading an upload journal in tests: its records of stored files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def stored_records(journal: Path) -> list[dict[str, Any]]:
    """The journal's records of stored files: not its "sending" lines, nor a torn last line."""
    records = []
    for line in journal.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not record.get("sending"):
            records.append(record)
    return records
