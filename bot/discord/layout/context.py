"""The Context button's reply: the paragraph around each quote on a page of an answer."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.discord.layout.pages import OUTLETS_PER_PAGE, page_outlets
from bot.discord.layout.text import (
    ELLIPSIS,
    EMBED_FIELD_VALUE_LIMIT,
    EMBED_TITLE_LIMIT,
    EMBED_TOTAL_LIMIT,
    Message,
    escape,
    fit,
    measure,
    shorten,
)
from retrieval.models import Answer

PARAGRAPH_CHARS = 900
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


def paragraph_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The offsets of the paragraph holding text[start:end]: from the blank line before to the one after."""
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    before = [m.end() for m in _BLANK_LINE.finditer(text, 0, start)]
    after = _BLANK_LINE.search(text, end)
    return (before[-1] if before else 0), (after.start() if after else len(text))


def paragraph_excerpt(text: str, start: int, end: int, limit: int = PARAGRAPH_CHARS) -> str:
    """The paragraph around a quote, escaped, the quote in bold, cut around it to fit `limit`."""
    p_start, p_end = paragraph_span(text, start, end)
    # Only what can be shown is read: anything past 4 × limit is cut (and marked cut) below anyway.
    reach = 4 * limit
    before, quote = text[max(p_start, start - reach):start], text[start:min(end, start + reach)]
    after = text[end:min(p_end, end + reach)]
    budget = limit
    while True:
        quote_room = max(20, budget * 2 // 3)
        shown_quote = shorten(" ".join(quote.split()), quote_room)
        side = max(0, (budget - measure(shown_quote)) // 2)
        left = _shorten_left(" ".join(before.split()), side)
        right = shorten(" ".join(after.split()), side)
        parts = [_escape_piece(left), f"**{escape(shown_quote)}**" if shown_quote else "", _escape_piece(right)]
        out = " ".join(p for p in parts if p)
        if measure(out) <= limit or budget <= 40:
            return out if measure(out) <= limit else shorten(out, limit)
        budget -= measure(out) - limit


def _shorten_left(text: str, limit: int) -> str:
    """Keep the end of `text` (the words just before a quote), marking the cut at its start."""
    if measure(text) <= limit:
        return text
    kept = shorten(text[::-1], limit)[::-1]  # reversed twice: cuts at a word boundary from the left
    return kept if kept.startswith(ELLIPSIS) else ELLIPSIS + kept.lstrip(ELLIPSIS)


def _escape_piece(text: str) -> str:
    return escape(text) if text.strip() else ""


def context_message(answer: Answer, page: int, texts: Mapping[str, str], per_page: int = OUTLETS_PER_PAGE) -> Message:
    """The paragraph around each quote on a page of an answer: one embed field per outlet, within limits.

    `texts` maps source id to the source's stored text (the quotes' offsets point into it).
    """
    entries = [o for o in page_outlets(answer, page, per_page) if o.covered and o.quotes and o.source_id in texts]
    if not entries:
        return Message(content="None of these outlets is quoted, so there is no paragraph to show.")
    title = fit(f"In context: {answer.question}", EMBED_TITLE_LIMIT)
    room = (EMBED_TOTAL_LIMIT - measure(title) - 100) // len(entries)
    fields = []
    for entry in entries:
        name = fit(entry.outlet, 100) or entry.source_id
        value_limit = min(EMBED_FIELD_VALUE_LIMIT, room - measure(name))
        spans = []
        for quote in entry.quotes:
            span = paragraph_span(texts[entry.source_id], quote.start, quote.end)
            if span not in [s for s, _ in spans]:
                spans.append((span, quote))
        each = value_limit // len(spans) - 2
        value = "\n\n".join(paragraph_excerpt(texts[entry.source_id], q.start, q.end, each) for _, q in spans)
        fields.append({"name": name, "value": value or "(empty)", "inline": False})
    embed = {"title": title, "fields": fields,
             "footer": {"text": "Each quote in bold, in the paragraph the article printed it in."}}
    return Message(embeds=(embed,))
