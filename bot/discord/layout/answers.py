"""An answer as one Discord message: each outlet's quotes with citations and links, fitted to the limit."""

from __future__ import annotations

from urllib.parse import quote as percent_encode

from bot.discord.layout.text import CONTENT_LIMIT, QUESTION_CHARS, Message, code, fit, is_link, measure, shorten
from retrieval.models import Answer, OutletAnswer

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
    if not is_link(url) or not quote.strip():
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
