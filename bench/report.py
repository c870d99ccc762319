"""docs/performance.md, written by the benchmarks: each owns one "## " section, found by its heading."""

from __future__ import annotations

from pathlib import Path

REPORT = Path(__file__).resolve().parents[1] / "docs" / "performance.md"


def read_section(heading: str) -> str:
    """The section under `heading` (the heading included), or "" when there is none yet."""
    text = REPORT.read_text() if REPORT.exists() else ""
    start = text.find(heading)
    if start == -1:
        return ""
    end = text.find("\n## ", start + len(heading))
    return text[start:] if end == -1 else text[start:end + 1]


def write_section(heading: str, section: str) -> None:
    """Replace the section under `heading` with `section` (which starts with it), or append it."""
    text = REPORT.read_text() if REPORT.exists() else "# Performance\n"
    old = read_section(heading)
    if not old:
        REPORT.write_text(text.rstrip("\n") + "\n\n" + section)
        return
    new = section.rstrip("\n") + "\n"
    if not text.endswith(old):
        new += "\n"  # the blank line before the next section's heading
    REPORT.write_text(text.replace(old, new, 1))
