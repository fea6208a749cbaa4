"""Discord message layout: answers, sources and help as plain payloads that fit Discord's limits.

Pure: no discord import. The Discord layer sends `Message.content` as is and turns each embed dict
into a `discord.Embed` with `Embed.from_dict`.

Everything taken from an article or a user is escaped, so it shows literally: no markdown, no
mention, no masked link. Lengths are counted in UTF-16 code units, which is never fewer than what
Discord counts, so a payload measured here is valid there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from retrieval.comparison import Comparison
from retrieval.models import Answer, OutletAnswer, Source, SourceSummary

CONTENT_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELDS_LIMIT = 25
EMBED_FIELD_NAME_LIMIT = 256
EMBED_FIELD_VALUE_LIMIT = 1024
EMBED_FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
CHOICES_LIMIT = 25
CHOICE_NAME_LIMIT = 100

ELLIPSIS = "…"
QUESTION_CHARS = 300
EXCERPT_CHARS = 700
EXAMPLE_QUESTION = "What did Paris deny?"


@dataclass(frozen=True)
class Message:
    """What to send: content and/or embeds (as Discord's embed JSON)."""

    content: str = ""
    embeds: tuple[dict, ...] = field(default_factory=tuple)


# --- text primitives -------------------------------------------------------------------------

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


# --- answers -----------------------------------------------------------------------------------

NAME_CHARS = 120
SHORT_NAME_CHARS = 40
MIN_QUOTE_CHARS = 160
MIN_SHORT_QUOTE_CHARS = 40
# Each stage gives up a little more to fit: quotes per outlet, outlet name length, shortest quote.
_STAGES = (
    (2, NAME_CHARS, MIN_QUOTE_CHARS),
    (1, NAME_CHARS, MIN_QUOTE_CHARS),
    (1, SHORT_NAME_CHARS, MIN_SHORT_QUOTE_CHARS),
)


def answer_message(answer: Answer, limit: int = CONTENT_LIMIT) -> Message:
    """Each outlet under its name with its quotes and citations, or 'not reported by'; fits `limit`.

    Long quotes are shortened first (all to the same cap, so short ones stay whole); then second
    quotes go, then outlet names shorten. Every outlet stays listed.
    """
    longest = max((len(q.text) for o in answer.outlets for q in o.quotes), default=0)
    for max_quotes, name_chars, min_quote in _STAGES:
        full = _answer_text(answer, max_quotes, name_chars, longest)
        if measure(full) <= limit:
            return Message(content=full)
        low = min(min_quote, longest)
        if measure(_answer_text(answer, max_quotes, name_chars, low)) > limit:
            continue
        high = longest
        while low < high:  # the largest quote cap that fits; length grows with the cap
            mid = (low + high + 1) // 2
            if measure(_answer_text(answer, max_quotes, name_chars, mid)) <= limit:
                low = mid
            else:
                high = mid - 1
        return Message(content=_answer_text(answer, max_quotes, name_chars, low))
    return Message(content=_answer_overflow(answer, limit))


def _answer_text(answer: Answer, max_quotes: int, name_chars: int, quote_chars: int) -> str:
    blocks = [_question_line(answer)]
    blocks += [_outlet_block(o, max_quotes, name_chars, quote_chars) for o in answer.outlets]
    return "\n\n".join(blocks)


def _question_line(answer: Answer) -> str:
    return f"**Q:** {fit(answer.question, QUESTION_CHARS)}"


def _outlet_block(entry: OutletAnswer, max_quotes: int, name_chars: int, quote_chars: int) -> str:
    name = fit(entry.outlet, name_chars)
    if not entry.covered or not entry.quotes:
        return f"Not reported by **{name}** ({code(entry.source_id)})."
    lines = [f"**{name}**"]
    for quote in entry.quotes[:max_quotes]:
        lines.append(f"> {fit(quote.text, quote_chars)}")
        said = f", attributed to {fit(quote.attribution.speaker, 60)}" if quote.attribution else ""
        lines.append(f"> — {code(entry.source_id)}, chars {quote.start}–{quote.end}{said}")
    return "\n".join(lines)


def _answer_overflow(answer: Answer, limit: int) -> str:
    """Too many outlets for one message: as many as fit, then how many more there are."""
    blocks = [_question_line(answer)]
    for shown, entry in enumerate(answer.outlets):
        rest = len(answer.outlets) - shown  # this one included
        block = _outlet_block(entry, 1, SHORT_NAME_CHARS, MIN_SHORT_QUOTE_CHARS)
        candidate = [*blocks, block] + ([_more_outlets(rest - 1)] if rest > 1 else [])
        if measure("\n\n".join(candidate)) > limit:
            blocks.append(_more_outlets(rest))
            break
        blocks.append(block)
    return shorten("\n\n".join(blocks), limit)


def _more_outlets(count: int) -> str:
    return f"… and {count} more outlet{'s' if count > 1 else ''} not shown here; `/sources` lists them all."


# --- sources, one source, help -----------------------------------------------------------------


def compare_message(comparison: Comparison, limit: int = CONTENT_LIMIT, quote_chars: int = 220) -> Message:
    """The comparison's groups, conflicts first, each quote shortened; as many groups as fit in `limit`."""
    titles = {"conflict": "Differ", "shared": "Shared", "only": "Only one outlet"}
    head = f"**Comparing the outlets** — {len(comparison.groups)} groups"
    blocks = []
    for group in comparison.groups:
        lines = [f"**{titles[group.kind]}**: {fit(group.note, 300)}"]
        for quote in group.quotes:
            lines.append(f"> {fit(quote.text, quote_chars)}")
            lines.append(f"> — {fit(quote.outlet, 60)} ({code(quote.source_id)})")
        blocks.append("\n".join(lines))
    if not blocks:
        return Message(content=head + "\nNothing to compare on that topic.")
    shown: list[str] = []
    for block in blocks:
        rest = len(blocks) - len(shown) - 1
        tail = f"\n\n…and {rest} more groups (`storybot compare` lists them all)." if rest else ""
        if measure("\n\n".join([head, *shown, block]) + tail) > limit:
            break
        shown.append(block)
    more = len(blocks) - len(shown)
    tail = f"\n\n…and {more} more groups (`storybot compare` lists them all)." if more else ""
    return Message(content="\n\n".join([head, *shown]) + tail)


def sources_message(story_title: str, sources: Sequence[SourceSummary]) -> Message:
    """The story's sources as one embed: a field per source with outlet, title, id and passages."""
    for title_chars in (300, 150, 80, 40, 0):
        embed = _sources_embed(story_title, sources, title_chars)
        if embed_size(embed) <= EMBED_TOTAL_LIMIT:
            return Message(embeds=(embed,))
    raise AssertionError("unreachable: 25 minimal fields fit in an embed")  # pragma: no cover


def _sources_embed(story_title: str, sources: Sequence[SourceSummary], title_chars: int) -> dict:
    shown = sources if len(sources) <= EMBED_FIELDS_LIMIT else sources[: EMBED_FIELDS_LIMIT - 1]
    fields = []
    for s in shown:
        facts = [code(s.source_id), f"{s.passages} passages"] + ([fit(s.date, 40)] if s.date else [])
        value = " · ".join(facts)
        if title_chars:
            value = f"{fit(s.title, title_chars)}\n{value}"
        name = fit(s.outlet, min(EMBED_FIELD_NAME_LIMIT, max(title_chars, 60)))
        fields.append({"name": name or "(no outlet)", "value": value, "inline": False})
    hidden = sources[len(shown):]
    if hidden:
        more = fit(", ".join(s.source_id for s in hidden), EMBED_FIELD_VALUE_LIMIT)
        fields.append({"name": f"… and {len(hidden)} more", "value": more, "inline": False})
    count = len(sources)
    return {
        "title": fit(f"Sources · {story_title}", EMBED_TITLE_LIMIT),
        "description": f"{count} source{'s' if count != 1 else ''}. `/source` shows one; `/ask` asks them all.",
        "fields": fields,
    }


def source_message(source: Source, passages: int) -> Message:
    """One source's details: title (linked when it has a URL), an excerpt, outlet, id, date, credit."""
    embed: dict = {
        "title": fit(source.title, EMBED_TITLE_LIMIT) or source.source_id,
        "description": _excerpt(source.text, EXCERPT_CHARS),
        "fields": [
            {"name": "Outlet", "value": fit(source.outlet, EMBED_FIELD_VALUE_LIMIT) or "(unknown)", "inline": True},
            {"name": "Id", "value": code(source.source_id), "inline": True},
            {"name": "Passages", "value": str(passages), "inline": True},
        ],
        "footer": {"text": fit(f"Story: {source.story_id}", EMBED_FOOTER_LIMIT)},
    }
    if source.date and source.date.strip():
        embed["fields"].append({"name": "Date", "value": fit(source.date, 100), "inline": True})
    if source.credit and source.credit.strip():
        embed["fields"].append({"name": "Credit", "value": fit(source.credit, EMBED_FIELD_VALUE_LIMIT),
                                "inline": False})
    if _is_link(source.url):
        embed["url"] = source.url
    return Message(embeds=(embed,))


def _excerpt(text: str, limit: int) -> str:
    """The article's opening paragraphs as a block quote, shortened to about `limit` characters."""
    lines: list[str] = []
    for paragraph in (p for p in text.splitlines() if p.strip()):
        room = limit - measure("\n".join(lines)) - 3  # "> " and a newline
        if room < 40:
            break
        lines.append("> " + fit(paragraph, room))
        if lines[-1].endswith(ELLIPSIS):
            break
    return "\n".join(lines) or "> (empty)"


def help_message(bot_name: str = "storybot", example: str = EXAMPLE_QUESTION) -> Message:
    """What the bot does and how to ask, with an example question."""
    name = fit(bot_name, 80)
    lines = [
        f"**{name}** answers questions about a news story with each outlet's own words: the exact "
        "sentences it used, cited by source id and character offsets, or *not reported by …* when an "
        "outlet did not cover it.",
        "",
        f"• Mention me with a question: @{name} {fit(example, QUESTION_CHARS)}",
        f"• {code('/ask question:' + shorten(example, QUESTION_CHARS))} asks the same as a slash command.",
        "• `/sources` lists the story's sources; `/source id:` shows one of them.",
    ]
    return Message(content="\n".join(lines))


def cooldown_text(retry_after: float) -> str:
    """The polite note for someone asking faster than the cooldown allows."""
    seconds = max(1, round(retry_after + 0.5))
    return f"You're asking quickly; please try again in {seconds} s."


def source_choices(sources: Iterable[SourceSummary], typed: str) -> list[tuple[str, str]]:
    """Autocomplete for a source id: (label, id) pairs whose id, outlet or title contains what was typed."""
    needle = typed.strip().lower()
    matches = [s for s in sources if needle in f"{s.source_id} {s.outlet} {s.title}".lower()]
    return [(shorten(f"{s.source_id} · {s.outlet}", CHOICE_NAME_LIMIT), s.source_id)
            for s in matches[:CHOICES_LIMIT] if len(s.source_id) <= CHOICE_NAME_LIMIT]


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


def _is_link(url: str | None) -> bool:
    return bool(url) and re.fullmatch(r"https?://\S{1,2000}", url) is not None  # type: ignore[arg-type]
