"""What ingestion yields and the library stores: an article draft, or an input skipped with its reason."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Draft:
    """One article ready to be stored. `text` is the stored text: every offset later refers to it."""

    text: str  # headline as the first line, then paragraphs; "\n" line endings, no BOM
    origin: str  # the path or URL it came from
    raw_sha256: str  # of the raw input bytes: a cheap test for "unchanged" on re-import
    source_id: str | None = None
    title: str | None = None
    outlet: str | None = None
    url: str | None = None
    date: str | None = None
    author: str | None = None
    language: str | None = None
    credit: str | None = None
    story_id: str | None = None
    story_title: str | None = None


@dataclass
class Skipped:
    """An input that gave no article, and why, in words a user can act on."""

    path: str
    reason: str
    duplicate: bool = False  # its article is there already (in the library, or earlier in the same batch)


@dataclass
class IngestLimits:
    max_article_bytes: int = 5_000_000
    fetch_timeout_s: float = 15.0
    max_fetch_bytes: int = 10_000_000


def human_size(n: int) -> str:
    """Bytes for people: "15.0 kB", "5.0 MB"."""
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB"
