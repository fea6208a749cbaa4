"""The other replies: the comparison, the story's sources, one source, help, the cooldown note, autocomplete."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.discord.layout.text import (
    CHOICE_NAME_LIMIT,
    CHOICES_LIMIT,
    CONTENT_LIMIT,
    ELLIPSIS,
    EMBED_FIELD_NAME_LIMIT,
    EMBED_FIELD_VALUE_LIMIT,
    EMBED_FIELDS_LIMIT,
    EMBED_FOOTER_LIMIT,
    EMBED_TITLE_LIMIT,
    EMBED_TOTAL_LIMIT,
    QUESTION_CHARS,
    Message,
    code,
    embed_size,
    fit,
    is_link,
    measure,
    shorten,
)
from bot.wording import plural
from retrieval.comparison import Comparison
from retrieval.models import Source, SourceSummary

EXCERPT_CHARS = 700
EXAMPLE_QUESTION = "What did Paris deny?"


def compare_message(comparison: Comparison, limit: int = CONTENT_LIMIT, quote_chars: int = 220) -> Message:
    """The comparison's groups, conflicts first, each quote shortened; as many groups as fit in `limit`."""
    titles = {"conflict": "Differ", "shared": "Shared", "only": "Only one outlet"}
    head = f"**Comparing the outlets** — {plural(len(comparison.groups), 'group')}"
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
    if is_link(source.url):
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
