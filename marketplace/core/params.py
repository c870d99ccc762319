"""Numbers a client sent (a query parameter, a form value that is not a bound field), read without a 500.

str.isdigit() accepts "²" and str.isdecimal() accepts "١" (Arabic-Indic one): both pass a digit check and
then fail in int() or in the database. Only ASCII digits are numbers here, and never more than a bigint holds
(int() also refuses strings over 4,300 digits).
"""

from __future__ import annotations

MAX_DIGITS = 18  # 10**18 - 1 fits PostgreSQL's bigint


def ascii_int(value: str | int | None) -> int | None:
    """A non-negative integer written in ASCII digits, or None for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not 0 < len(value) <= MAX_DIGITS:
        return None
    return int(value) if value.isascii() and value.isdigit() else None


def parse_id(value: str | int | None) -> int | None:
    """A database id (a positive integer) from `value`, or None: `?style=²` is no style, not a server error."""
    number = ascii_int(value)
    return number or None
