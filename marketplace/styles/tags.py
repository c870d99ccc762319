"""Tag names: lowercase, trimmed, inner whitespace collapsed, de-duplicated in order."""

import re

MAX_TAG_LENGTH = 50
_SPACES = re.compile(r"\s+")


def normalise_tag(name: str) -> str:
    return _SPACES.sub(" ", name).strip().lower()


def parse_tags(raw: str) -> list[str]:
    """Turn "Ink, ink,Water  color" into ["ink", "water color"]."""
    return list(dict.fromkeys(tag for tag in (normalise_tag(part) for part in raw.split(",")) if tag))
