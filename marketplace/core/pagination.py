"""Keyset ("cursor") pagination on (created_at, id), newest first.

A page is one indexed range scan however deep it is: no OFFSET, no COUNT. The cursor is
opaque to visitors (urlsafe base64 of "<created_at ISO>|<id>") and a cursor that does not
decode is treated as the first page rather than an error, since it only ever comes from a URL.
"""

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleLessThan

MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class CursorPage:
    object_list: list
    next_cursor: str | None
    is_first: bool

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


def encode_cursor(row) -> str:
    raw = f"{row.created_at.isoformat()}|{row.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, pk = raw.split("|")
        when = datetime.fromisoformat(created_at)
        pk = int(pk)
        # An id past bigint would make PostgreSQL refuse the query rather than find nothing.
        return (when, pk) if when.tzinfo and 0 < pk <= MAX_ID else None
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def cursor_page(queryset: QuerySet, cursor: str | None, *, per_page: int) -> CursorPage:
    position = decode_cursor(cursor) if cursor else None
    if position:
        # A row comparison (as the feed's), not `a < x OR (a = x AND id < y)` nor a redundant `a <= x`: with
        # those the planner guessed 2 rows and sorted all of the owner's; with this one it walks the
        # (owner, created_at) index backwards from the cursor and stops after a page.
        queryset = queryset.filter(TupleLessThan(Tuple(F("created_at"), F("id")), position))
    rows = list(queryset.order_by("-created_at", "-id")[: per_page + 1])
    more = len(rows) > per_page
    rows = rows[:per_page]
    return CursorPage(object_list=rows, next_cursor=encode_cursor(rows[-1]) if more else None, is_first=not position)
