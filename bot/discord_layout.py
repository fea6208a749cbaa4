"""Discord message layout: answers, sources and help as plain payloads that fit Discord's limits.

Pure: no discord import. The Discord layer sends `Message.content` as is and turns each embed dict
into a `discord.Embed` with `Embed.from_dict`.

Everything taken from an article or a user is escaped, so it shows literally: no markdown, no
mention, no masked link. Lengths are counted in UTF-16 code units, which is never fewer than what
Discord counts, so a payload measured here is valid there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import quote as percent_encode

from bot.wording import plural
from retrieval.comparison import Comparison
from retrieval.models import Answer, OutletAnswer, Source, SourceSummary

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
EXCERPT_CHARS = 700
EXAMPLE_QUESTION = "What did Paris deny?"


@dataclass(frozen=True)
class Message:
    """What to send: content and/or embeds (as Discord's embed JSON), and action rows of buttons."""

    content: str = ""
    embeds: tuple[dict, ...] = field(default_factory=tuple)
    components: tuple[dict, ...] = field(default_factory=tuple)


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
LINK_CHARS = 600  # a quote's link longer than this is left out rather than crowd out the quotes
# Each stage gives up a little more to fit: quotes per outlet, outlet name length, shortest quote, links.
_STAGES = (
    (2, NAME_CHARS, MIN_QUOTE_CHARS, True),
    (1, NAME_CHARS, MIN_QUOTE_CHARS, True),
    (1, SHORT_NAME_CHARS, MIN_SHORT_QUOTE_CHARS, True),
    (1, SHORT_NAME_CHARS, MIN_SHORT_QUOTE_CHARS, False),
)


def answer_message(answer: Answer, limit: int = CONTENT_LIMIT, *, footer: str = "") -> Message:
    """Each outlet under its name with its quotes and citations, or 'not reported by'; fits `limit`.

    Each quote links to its article, scrolled to the quote, where the source has a web URL. Long
    quotes are shortened first (all to the same cap, so short ones stay whole); then second quotes
    go, then outlet names shorten, then links go. Every outlet stays listed.
    """
    longest = max((len(q.text) for o in answer.outlets for q in o.quotes), default=0)
    for max_quotes, name_chars, min_quote, links in _STAGES:
        def text(quote_chars: int) -> str:
            return _answer_text(answer, max_quotes, name_chars, quote_chars, links, footer)

        full = text(longest)
        if measure(full) <= limit:
            return Message(content=full)
        low = min(min_quote, longest)
        if measure(text(low)) > limit:
            continue
        high = longest
        while low < high:  # the largest quote cap that fits; length grows with the cap
            mid = (low + high + 1) // 2
            if measure(text(mid)) <= limit:
                low = mid
            else:
                high = mid - 1
        return Message(content=text(low))
    return Message(content=_answer_overflow(answer, limit))


def _answer_text(answer: Answer, max_quotes: int, name_chars: int, quote_chars: int, links: bool = False,
                 footer: str = "") -> str:
    blocks = [_question_line(answer)]
    blocks += [_outlet_block(o, max_quotes, name_chars, quote_chars, links) for o in answer.outlets]
    return "\n\n".join(blocks + ([footer] if footer else []))


def _question_line(answer: Answer) -> str:
    return f"**Q:** {fit(answer.question, QUESTION_CHARS)}"


def _outlet_block(entry: OutletAnswer, max_quotes: int, name_chars: int, quote_chars: int,
                  links: bool = False) -> str:
    name = fit(entry.outlet, name_chars)
    if not entry.covered or not entry.quotes:
        return f"Not reported by **{name}** ({code(entry.source_id)})."
    lines = [f"**{name}**"]
    for quote in entry.quotes[:max_quotes]:
        lines.append(f"> {fit(quote.text, quote_chars)}")
        said = f", attributed to {fit(quote.attribution.speaker, 60)}" if quote.attribution else ""
        link = text_fragment_url(entry.url, quote.text) if links else None
        # `<…>` inside a masked link keeps Discord from unfurling a preview of the article.
        read = f" · [read it there](<{link}>)" if link and len(link) <= LINK_CHARS else ""
        lines.append(f"> — {code(entry.source_id)}, chars {quote.start}–{quote.end}{said}{read}")
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


# --- links to the quote in its article ---------------------------------------------------------

FRAGMENT_EXACT_CHARS = 80
FRAGMENT_EDGE_WORDS = 4


def text_fragment_url(url: str | None, quote: str) -> str | None:
    """The article's URL with a text fragment (`#:~:text=…`) that scrolls to and highlights the quote.

    Per the Text Fragments spec, each term is percent-encoded with `-`, `&` and `,` encoded too (they
    are the directive's syntax). A quote longer than FRAGMENT_EXACT_CHARS is given as
    `textStart,textEnd` (its first and last words), which stays short and still spans the quote.
    None when there is no http(s) URL or no words to find.
    """
    if not _is_link(url) or not quote.strip():
        return None
    base, _, fragment = url.partition("#")  # type: ignore[union-attr]
    base = base.replace("(", "%28").replace(")", "%29")  # a bare `)` would end a Discord masked link
    fragment = _encode_fragment(fragment.split(":~:", 1)[0])  # a fragment already there is kept
    # Browsers match rendered text, where any run of whitespace is one space. Only the ends of a very
    # long quote are split into words: a quote can be megabytes long.
    words = quote.split() if len(quote) <= 2000 else []
    if words and (len(" ".join(words)) <= FRAGMENT_EXACT_CHARS or len(words) <= 2 * FRAGMENT_EDGE_WORDS):
        directive = _fragment_term(" ".join(words))
    else:
        start = " ".join(quote[:1000].split()[:FRAGMENT_EDGE_WORDS])
        end = " ".join(quote[-1000:].split()[-FRAGMENT_EDGE_WORDS:])
        directive = f"{_fragment_term(start)},{_fragment_term(end)}"
    return f"{base}#{fragment}:~:text={directive}"


def _fragment_term(text: str) -> str:
    """A text directive's term: percent-encoded, with the directive's own syntax (`-`, `&`, `,`) encoded."""
    return percent_encode(text, safe="").replace("-", "%2D")


def _encode_fragment(fragment: str) -> str:
    return percent_encode(fragment, safe="%!$'*+;=:@/?_.~-").replace("(", "%28").replace(")", "%29")


# --- answers in pages, with buttons --------------------------------------------------------------

OUTLETS_PER_PAGE = 5
CUSTOM_ID_PREFIX = "storybot"
BUTTON_PRIMARY, BUTTON_SECONDARY, BUTTON_SUCCESS, BUTTON_DANGER = 1, 2, 3, 4


class Action(NamedTuple):
    """What a button asks for: `kind` (context, vote, thread, page), the answer's id and an argument."""

    kind: str
    answer_id: str
    arg: str = ""


def page_count(answer: Answer, per_page: int = OUTLETS_PER_PAGE) -> int:
    return max(1, -(-len(answer.outlets) // per_page))


def page_outlets(answer: Answer, page: int, per_page: int = OUTLETS_PER_PAGE) -> list[OutletAnswer]:
    page = min(max(page, 0), page_count(answer, per_page) - 1)
    return answer.outlets[page * per_page:(page + 1) * per_page]


def answer_page(answer: Answer, answer_id: str, page: int = 0, *, thread_button: bool = True,
                per_page: int = OUTLETS_PER_PAGE, limit: int = CONTENT_LIMIT) -> Message:
    """One page of an answer (at most `per_page` outlets) with its buttons; fits `limit`.

    Buttons: Context, 👍, 👎, Follow up (left out where a thread cannot be started) and, when the
    story has more outlets than a page holds, Previous / Next. Their custom ids carry the answer's
    id and the page, so they work for as long as the answer is stored, across restarts.
    """
    pages = page_count(answer, per_page)
    page = min(max(page, 0), pages - 1)
    shown = page_outlets(answer, page, per_page)
    footer = ""
    if pages > 1:
        first = page * per_page + 1
        footer = (f"*Outlets {first}–{first + len(shown) - 1} of {len(answer.outlets)}* "
                  "· Previous / Next show the others.")
    text = answer_message(answer.model_copy(update={"outlets": shown}), limit, footer=footer).content
    return Message(content=text, components=answer_components(answer_id, page, pages, thread_button=thread_button))


def answer_components(answer_id: str, page: int, pages: int, *, thread_button: bool = True) -> tuple[dict, ...]:
    """The action rows under an answer, as Discord's component JSON."""
    row = [
        _button("Context", custom_id(Action("context", answer_id, str(page))), BUTTON_SECONDARY, "📖"),
        _button("", custom_id(Action("vote", answer_id, "up")), BUTTON_SECONDARY, "👍"),
        _button("", custom_id(Action("vote", answer_id, "down")), BUTTON_SECONDARY, "👎"),
    ]
    if thread_button:
        row.append(_button("Follow up", custom_id(Action("thread", answer_id)), BUTTON_PRIMARY, "🧵"))
    rows = [{"type": 1, "components": row}]
    if pages > 1:
        # Ids in one message must differ: with two or more pages, previous and next never coincide.
        previous, following = max(page - 1, 0), min(page + 1, pages - 1)
        rows.append({"type": 1, "components": [
            _button("Previous", custom_id(Action("page", answer_id, str(previous))), BUTTON_SECONDARY, "◀",
                    disabled=page == 0),
            _button("Next", custom_id(Action("page", answer_id, str(following))), BUTTON_SECONDARY, "▶",
                    disabled=page + 1 >= pages),
        ]})
    return tuple(rows)


def _button(label: str, cid: str, style: int, emoji: str, *, disabled: bool = False) -> dict:
    button: dict = {"type": 2, "style": style, "custom_id": cid, "emoji": {"name": emoji}, "disabled": disabled}
    if label:
        button["label"] = label
    return button


def custom_id(action: Action) -> str:
    """`storybot:<kind>:<answer id>[:<arg>]`, at most Discord's 100 characters."""
    parts = [CUSTOM_ID_PREFIX, action.kind, action.answer_id] + ([action.arg] if action.arg else [])
    made = ":".join(parts)
    if len(made) > 100:
        raise ValueError(f"custom id too long: {made!r}")
    return made


_CUSTOM_ID = re.compile(rf"{CUSTOM_ID_PREFIX}:(context|vote|thread|page):([A-Za-z0-9_-]{{1,64}})(?::([a-z0-9]{{1,8}}))?")


def parse_custom_id(value: str) -> Action | None:
    """The action a button's custom id names, or None when it is not one of storybot's buttons."""
    match = _CUSTOM_ID.fullmatch(value or "")
    if match is None:
        return None
    kind, answer_id, arg = match.group(1), match.group(2), match.group(3) or ""
    if kind == "vote" and arg not in ("up", "down"):
        return None
    if kind in ("context", "page") and not arg.isdigit():
        return None
    return Action(kind, answer_id, arg)


def vote_text(vote: int, previous: int | None) -> str:
    """The ephemeral note after a 👍 / 👎 click: recorded, changed or confirmed."""
    mark = "👍" if vote > 0 else "👎"
    if previous is None:
        return f"Thanks: your {mark} is recorded."
    if previous == vote:
        return f"Your {mark} was already recorded; it still counts once."
    return f"Changed your vote to {mark}."


def thread_name(question: str) -> str:
    """A follow-up thread's name: the question, within Discord's 100 characters."""
    return shorten(f"Follow-up: {question_text(question) or 'the story'}", 100)


def thread_intro(story_title: str) -> Message:
    """The bot's first message in a follow-up thread."""
    return Message(content=f"Ask follow-up questions here, no mention needed: they are answered from "
                           f"**{fit(story_title, 200)}**.")


# --- the paragraph around each quote ----------------------------------------------------------

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


# --- sources, one source, help -----------------------------------------------------------------


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
