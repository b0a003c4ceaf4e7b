"""Whether the server stored a file whose upload's answer was lost, asked before sending it again.

An upload sent in full whose answer never came (connection reset, read timeout, a 5xx) may or
may not have been stored; so may one in flight when an earlier run was killed (its journal says
it was being sent). Sending it again blindly could store it twice. Instead the folder upload
lists the datasource's content under the file's name (`listContent`, `prefix=` the name) and
looks for the item whose `path` is exactly that name:

- listed with the same size and an ETag that is the MD5 of the file's content: stored, and
  reported as uploaded (its UploadedFile's response is that ContentItem);
- not listed, or listed with another size or another MD5: not stored (or an older file of that
  name): sent again;
- listed with the same size and an ETag that is no plain MD5 (a multipart upload's, or none):
  the listing cannot tell this content from another of that size. The file is not sent again
  and is reported failed with an UploadUndecidedError saying so; likewise when the listing
  itself fails.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ._exceptions import UploadUndecidedError

if TYPE_CHECKING:
    from ._folder_walk import _Found
    from ._generated import ContentItem

__all__ = ["compare", "md5_of", "undecided"]

_MD5 = re.compile(r"[0-9a-f]{32}")


def md5_of(found: _Found) -> str:
    """The MD5 of `found`'s content (what object storage gives as a single-part ETag)."""
    return found.digest("md5")


def undecided(found: _Found, doubt: str, item: Any, why: str) -> UploadUndecidedError:
    """The error of a file the server may or may not have: `doubt` says why it may."""
    return UploadUndecidedError(
        f"{found.name}: {doubt}; {why}, so whether the server stored it is unknown. It was not "
        "sent again: check the datasource's content, then upload it again if it is missing",
        listed=item,
    )


def compare(found: _Found, item: ContentItem | None, doubt: str) -> str | bool:
    """False: `item` (what the server lists under `found`'s name) is not `found`; else the MD5
    it has, to compare with the file's. Raises UploadUndecidedError when it cannot tell."""
    if item is None or (
        item.size is not None and found.size is not None and item.size != found.size
    ):
        return False
    etag = (item.etag or "").strip('"').lower()
    if _MD5.fullmatch(etag):
        return etag
    if item.size is None:
        why = "the server lists a file of that name with neither size nor content hash"
    else:
        why = f"the server lists a file of that name and size whose ETag {item.etag!r} is no MD5"
    raise undecided(found, doubt, item, why)
