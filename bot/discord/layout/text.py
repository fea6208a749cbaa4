"""Discord's limits, the `Message` payload, and text made safe to show: escaped, shortened, measured.

Pure: no discord import. Everything taken from an article or a user is escaped, so it shows
literally: no markdown, no mention, no masked link. Lengths are counted in UTF-16 code units, which
is never fewer than what Discord counts, so a payload measured here is valid there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CONTENT_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_FIELDS_LIMIT = 25
EMBED_FIELD_NAME_LIMIT = 256
EMBED_FIELD_VALUE_LIMIT = 1024
EMBED_FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
CHOICES_LIMIT = 25
CHOICE_NAME_LIMIT = 100

ELLIPSIS = "…"
QUESTION_CHARS = 300


@dataclass(frozen=True)
class Message:
    """What to send: content and/or embeds (as Discord's embed JSON), and action rows of buttons."""

    content: str = ""
    embeds: tuple[dict, ...] = field(default_factory=tuple)
    components: tuple[dict, ...] = field(default_factory=tuple)


_MARKUP = re.compile(r"([\\*_~`|<>\[\]])")
_LIST_OR_HEADING = re.compile(r"^([#+-])")
_NUMBERED = re.compile(r"^(\d+)\.(?=\s)")
_MASS_MENTION = re.compile(r"@(everyone|here)", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_URL = re.compile(r"https?://[^\s<>]+")


def measure(text: str) -> int:
    """Length as Discord counts it, at most: characters outside the BMP count twice (UTF-16)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def escape(text: str) -> str:
    """Show text literally: markdown escaped, mentions, emoji and timestamps inert, whitespace collapsed.

    `<` is escaped, so `<@id>`, `<@&id>`, `<#id>` and `<t:…>` stay text; a zero-width space keeps
    `@everyone` and `@here` from being mentions even where allowed_mentions is not honoured. Links
    stay clickable but are wrapped in `<…>`, so an article's link does not unfurl a preview.
    """
    text = _SPACES.sub(" ", text).strip()
    parts, last = [], 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?'\"")
        while url[-1] in ")]" and url.count(url[-1]) > url.count("(" if url[-1] == ")" else "["):
            url = url[:-1].rstrip(".,;:!?'\"")  # a closing bracket of the sentence, not the link
        parts += [_escape_plain(text[last:match.start()]), f"<{url}>"]
        last = match.start() + len(url)
    parts.append(_escape_plain(text[last:]))
    return "".join(parts)


def _escape_plain(text: str) -> str:
    text = _MARKUP.sub(r"\\\1", text)
    # At the start of a line, '#', '-', '+' and '1.' would make a heading or a list.
    text = _LIST_OR_HEADING.sub(r"\\\1", text)
    text = _NUMBERED.sub(r"\1\\.", text)
    return _MASS_MENTION.sub("@\u200b\\1", text)


def shorten(text: str, limit: int) -> str:
    """Cut text to `limit` (as measured) at a word boundary, marking the cut with an ellipsis."""
    if measure(text) <= limit:
        return text
    if limit < 1:
        return ""
    end, used = 0, 0
    for ch in text:
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit - 1:
            break
        end += 1
    cut = text[:end]
    if not text[end].isspace():
        boundary = max(cut.rfind(" "), cut.rfind("\n"))
        # A single overlong word is cut mid-word rather than dropped.
        if boundary > end // 2:
            cut = cut[:boundary]
    return cut.rstrip(" \n,;:-–—") + ELLIPSIS


def fit(text: str, limit: int) -> str:
    """Escape text and shorten it so that its escaped form fits in `limit`."""
    raw_limit = limit
    while True:
        out = escape(shorten(text, raw_limit))
        over = measure(out) - limit
        if over <= 0:
            return out
        raw_limit -= over


def code(text: str) -> str:
    """An inline code span (ids), which cannot be broken out of."""
    return f"`{text.replace('`', 'ʼ')}`"


_PINGS = re.compile(r"<@[!&]?\d+>|<#\d+>|@everyone\b|@here\b")


def question_text(content: str) -> str:
    """The words of a question without Discord pings (users, roles, channels, @everyone, @here).

    A ping is addressing, not content: left in, it would change what retrieval matches.
    """
    return " ".join(_PINGS.sub(" ", content).split())


def embed_size(embed: dict) -> int:
    """The characters Discord counts toward an embed's 6,000 total."""
    parts = [embed.get("title", ""), embed.get("description", ""), embed.get("footer", {}).get("text", ""),
             embed.get("author", {}).get("name", "")]
    parts += [f["name"] + f["value"] for f in embed.get("fields", [])]
    return sum(measure(p) for p in parts)


def is_link(url: str | None) -> bool:
    """Whether `url` is an http(s) link Discord will show as one."""
    return bool(url) and re.fullmatch(r"https?://\S{1,2000}", url) is not None  # type: ignore[arg-type]
