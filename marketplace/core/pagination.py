"""Keyset ("cursor") pagination on (created_at, id), newest first.

A page is one indexed range scan however deep it is: no OFFSET, no COUNT. The cursor is
opaque to visitors (urlsafe base64 of "<created_at ISO>|<id>") and a cursor that does not
decode is treated as the first page rather than an error, since it only ever comes from a URL.
"""

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet


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
        return (when, int(pk)) if when.tzinfo else None
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def cursor_page(queryset: QuerySet, cursor: str | None, *, per_page: int) -> CursorPage:
    position = decode_cursor(cursor) if cursor else None
    if position:
        created_at, pk = position
        # The redundant `created_at <= x` gives the planner a plain range on the (created_at, ...) index.
        queryset = queryset.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=pk)).filter(
            created_at__lte=created_at
        )
    rows = list(queryset.order_by("-created_at", "-id")[: per_page + 1])
    more = len(rows) > per_page
    rows = rows[:per_page]
    return CursorPage(object_list=rows, next_cursor=encode_cursor(rows[-1]) if more else None, is_first=not position)
