"""The Discord layout as plain functions: answer models in, payload data out, no discord involved."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from bot.discord.layout.answers import answer_message
from bot.discord.layout.replies import cooldown_text, help_message, source_choices, source_message, sources_message
from bot.discord.layout.text import CONTENT_LIMIT, ELLIPSIS, escape, fit, measure, question_text, shorten
from retrieval.models import Answer, OutletAnswer, Quote, Source, SourceSummary
from retrieval.settings import PROJECT_ROOT
from tests.bot.discord.fake import message_problems, pings

DENIAL = "The French Ministry of Defense denied this a little later."
NO_PINGS = {"parse": []}


def outlet(i: int, *quotes: str, name: str | None = None) -> OutletAnswer:
    return OutletAnswer(
        source_id=f"{i:03d}_src", outlet=name or f"Outlet {i}", title=f"Title {i}", covered=bool(quotes),
        quotes=[Quote(text=q, start=10 * n, end=10 * n + len(q), score=0.9 - n / 10) for n, q in enumerate(quotes)],
    )


def answer(*outlets: OutletAnswer, question: str = "What did Paris deny?") -> Answer:
    return Answer(question=question, story="story", outlets=list(outlets))


def assert_valid(content: str) -> None:
    assert measure(content) <= CONTENT_LIMIT
    assert message_problems({"content": content, "allowed_mentions": NO_PINGS}) == []
    assert pings(content, None, None) == frozenset(), "pings someone even with mentions allowed"


def test_the_layout_and_the_story_rules_do_not_import_discord():
    modules = "bot.discord.layout.answers, bot.discord.layout.context, bot.discord.layout.pages, " \
              "bot.discord.layout.replies, bot.discord.layout.text, bot.discord.stories"
    code = f"import sys, {modules}; sys.exit('discord' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT).returncode == 0


# --- escaping and trimming ---------------------------------------------------------------------


@pytest.mark.parametrize("raw, shown", [
    ("**bold** _it_ ~~gone~~ `code` ||spoiler||", r"\*\*bold\*\* \_it\_ \~\~gone\~\~ \`code\` \|\|spoiler\|\|"),
    ("[click](http://evil.example)", r"\[click\](<http://evil.example>)"),
    ("<@123> <@!123> <@&456> <#789> <t:0:R> <:pog:1>", r"\<@123\> \<@!123\> \<@&456\> \<#789\> \<t:0:R\> \<:pog:1\>"),
    ("# Heading", r"\# Heading"),
    ("- item", r"\- item"),
    ("-# subtext", r"\-# subtext"),
    ("1. first", r"1\. first"),
    ("> quoted", r"\> quoted"),
    ("back\\slash", r"back\\slash"),
    ("line\n\n# two", r"line # two"),
    ("see https://example.com/a_b_(c).", "see <https://example.com/a_b_(c)>."),
])
def test_escape_shows_text_literally(raw, shown):
    assert escape(raw) == shown


def test_escape_breaks_mass_mentions():
    text = escape("hello @everyone and @here and @Everyone")
    assert "@everyone" not in text.lower() and "@here" not in text
    assert text.replace("\u200b", "") == "hello @everyone and @here and @Everyone"


def test_shorten_cuts_at_a_word_boundary_with_an_ellipsis():
    assert shorten("The ministry denied this a little later.", 20) == "The ministry denied" + ELLIPSIS
    assert shorten("short", 20) == "short"
    assert shorten("a" * 50, 10) == "a" * 9 + ELLIPSIS  # one long word is cut, not dropped
    assert shorten("anything", 0) == ""


def test_lengths_count_astral_characters_twice():
    assert measure("🙂") == 2
    assert measure(shorten("🙂" * 30, 11)) <= 11


def test_fit_keeps_the_escaped_form_within_the_limit():
    for text in ("*" * 3000, "_a" * 1000, "<@1> " * 400, "plain words " * 300):
        out = fit(text, 500)
        assert measure(out) <= 500 and out.endswith(ELLIPSIS)


# --- answers ---------------------------------------------------------------------------------------


def test_an_answer_lists_each_outlet_with_quotes_citations_or_not_reported():
    content = answer_message(answer(outlet(0, DENIAL, "Paris said no."), outlet(4))).content
    assert content.splitlines() == [
        "**Q:** What did Paris deny?",
        "",
        "**Outlet 0**",
        f"> {DENIAL}",
        "> — `000_src`, chars 0–58",
        "> Paris said no.",
        "> — `000_src`, chars 10–24",
        "",
        "Not reported by **Outlet 4** (`004_src`).",
    ]
    assert_valid(content)


def test_an_answer_too_long_is_trimmed_at_word_boundaries_and_keeps_every_outlet():
    long_quote = " ".join(f"word{n}" for n in range(400))
    big = answer(*(outlet(i, long_quote, long_quote) for i in range(5)), outlet(9))
    content = answer_message(big).content
    assert_valid(content)
    for i in (0, 1, 2, 3, 4, 9):
        assert f"Outlet {i}" in content
    quotes = [line for line in content.splitlines() if line.startswith("> ") and not line.startswith("> — ")]
    assert quotes and all(q.endswith(ELLIPSIS) and re.search(r"word\d+…$", q) for q in quotes)
    assert content.count("> — ") == len(quotes), "every quote keeps its citation"


def test_short_quotes_stay_whole_when_long_ones_are_trimmed():
    long_quote = "x " * 1500
    content = answer_message(answer(outlet(0, long_quote), outlet(1, DENIAL))).content
    assert f"> {DENIAL}" in content and measure(content) <= CONTENT_LIMIT


def test_too_many_outlets_for_one_message_are_counted_not_dropped_silently():
    many = answer(*(outlet(i, "A quote of some length. " * 10, name="N" * 200) for i in range(60)))
    content = answer_message(many).content
    assert_valid(content)
    shown = content.count("> — ")
    hidden = int(re.search(r"… and (\d+) more outlets not shown", content).group(1))
    assert shown + hidden == 60 and shown > 0


def test_markdown_and_mentions_in_articles_and_questions_are_inert():
    hostile = "**Breaking** @everyone <@&1> <@2> [link](https://x.example) ```code``` # Title"
    entry = outlet(0, hostile, name="@here **Outlet**")
    content = answer_message(answer(entry, question=f"@everyone {hostile}")).content
    assert_valid(content)
    for markup in (r"\*\*Breaking", r"\[link\]\(", r"<@", r"`", r"^#", r"@everyone", r"@here"):
        assert not re.search(r"(?<!\\)" + markup, content.replace("`000_src`", ""), re.MULTILINE), markup


def test_an_answer_with_no_outlets_or_only_uncovered_ones_is_still_a_message():
    assert answer_message(answer()).content == "**Q:** What did Paris deny?"
    assert "Not reported by **Outlet 1**" in answer_message(answer(outlet(1))).content


# --- sources, source, help, choices ------------------------------------------------------------


def summary(i: int, *, outlet_name: str | None = None, title: str | None = None) -> SourceSummary:
    return SourceSummary(source_id=f"{i:03d}_src", story_id="story", outlet=outlet_name or f"Outlet {i}",
                         title=title or f"Title {i}", date="2024-04-03", passages=10 + i)


def test_sources_are_one_embed_with_outlet_title_id_and_passages():
    (embed,) = sources_message("The story", [summary(0), summary(4)]).embeds
    assert embed["title"] == "Sources · The story"
    assert [f["name"] for f in embed["fields"]] == ["Outlet 0", "Outlet 4"]
    assert embed["fields"][1]["value"] == "Title 4\n`004_src` · 14 passages · 2024-04-03"
    assert message_problems({"embeds": [embed]}) == []


def test_many_long_sources_fit_the_embed_limits():
    sources = [summary(i, outlet_name="O" * 500, title="T " * 400) for i in range(40)]
    (embed,) = sources_message("S" * 400, sources).embeds
    assert message_problems({"embeds": [embed]}) == []
    assert len(embed["fields"]) == 25 and embed["fields"][-1]["name"] == "… and 16 more"


def test_a_source_shows_its_details_an_excerpt_and_a_link():
    source = Source(source_id="004_src", story_id="story", outlet="Outlet *4*", title="A title",
                    text="First paragraph.\n\nSecond @everyone paragraph. " + "More words. " * 1000,
                    url="https://news.example/a", date="2024-04-03", credit="")
    (embed,) = source_message(source, 16).embeds
    assert embed["url"] == "https://news.example/a" and embed["title"] == "A title"
    assert embed["description"].startswith("> First paragraph.\n> Second @\u200beveryone")
    assert {f["name"]: f["value"] for f in embed["fields"]} == {
        "Outlet": r"Outlet \*4\*", "Id": "`004_src`", "Passages": "16", "Date": "2024-04-03"}
    assert message_problems({"embeds": [embed]}) == []


def test_a_source_without_a_web_url_has_no_link():
    source = Source(source_id="x", story_id="s", outlet="", title="", text="", url="file:///etc/passwd")
    (embed,) = source_message(source, 0).embeds
    assert "url" not in embed and message_problems({"embeds": [embed]}) == []


def test_help_says_what_the_bot_does_with_an_example():
    content = help_message("storybot").content
    assert "What did Paris deny?" in content and "/ask" in content and "/sources" in content
    assert_valid(content)


def test_source_choices_match_id_outlet_or_title():
    sources = [summary(0, outlet_name="AFP/AP wire report"), summary(4, outlet_name="Unnamed outlet")]
    assert [v for _, v in source_choices(sources, "unnamed")] == ["004_src"]
    assert [v for _, v in source_choices(sources, "")] == ["000_src", "004_src"]
    assert source_choices([summary(i, outlet_name="X" * 300) for i in range(40)], "x")[0][0].endswith(ELLIPSIS)
    assert len(source_choices([summary(i) for i in range(40)], "")) == 25


def test_question_text_removes_the_bots_mention_and_every_other_ping():
    assert question_text("<@42> what did Paris deny?") == "what did Paris deny?"
    assert question_text("so <@!42>, <@7> asks: why?") == "so , asks: why?"


def test_question_text_drops_pings_that_would_skew_retrieval():
    assert question_text("@everyone what did Paris deny? <@&9> <#5> @here") == "what did Paris deny?"


def test_cooldown_text_says_when_to_retry():
    assert cooldown_text(11.2) == "You're asking quickly; please try again in 12 s."


# --- links, pages, buttons, context ---------------------------------------------------------------

from urllib.parse import unquote  # noqa: E402

from bot.discord.layout.answers import text_fragment_url  # noqa: E402
from bot.discord.layout.context import context_message, paragraph_excerpt, paragraph_span  # noqa: E402
from bot.discord.layout.pages import (  # noqa: E402
    OUTLETS_PER_PAGE,
    Action,
    answer_page,
    custom_id,
    parse_custom_id,
    thread_name,
    vote_text,
)


def test_a_text_fragment_encodes_the_directive_syntax():
    url = text_fragment_url("https://news.example/a?x=1", "Paris, then Moscow - and Kyiv & Minsk denied it")
    assert url == ("https://news.example/a?x=1#:~:text=Paris%2C%20then%20Moscow%20%2D%20and%20Kyiv%20%26%20Minsk"
                   "%20denied%20it")


def test_a_long_quote_is_a_start_and_end_fragment_and_whitespace_is_one_space():
    quote = "The French Ministry of Defense\n denied this a little later, said sources close to the ministry in Paris."
    url = text_fragment_url("https://news.example/a#top", quote)
    base, directive = url.split(":~:text=")
    assert base == "https://news.example/a#top"
    start, end = directive.split(",")
    assert unquote(start) == "The French Ministry of" and unquote(end) == "the ministry in Paris."


def test_a_megabyte_quote_gives_a_short_fragment_from_its_ends():
    quote = "Alpha beta gamma delta " + "filler " * 200_000 + "omega psi chi phi."
    url = text_fragment_url("https://news.example/a", quote)
    assert url.endswith(":~:text=Alpha%20beta%20gamma%20delta,omega%20psi%20chi%20phi.") and len(url) < 120


@pytest.mark.parametrize("url", [None, "", "ftp://x.example/a", "file:///etc/passwd", "javascript:alert(1)"])
def test_no_fragment_without_a_web_url(url):
    assert text_fragment_url(url, "some quote") is None


def test_parentheses_in_the_url_cannot_end_a_masked_link():
    url = text_fragment_url("https://en.example/wiki/Talks_(2024)", "Paris (France) denied it")
    assert "(" not in url and ")" not in url and unquote(url.split(":~:text=")[1]) == "Paris (France) denied it"


def test_each_quote_links_to_its_article_scrolled_to_the_quote():
    entry = outlet(0, DENIAL).model_copy(update={"url": "https://news.example/denial"})
    content = answer_message(answer(entry, outlet(1, "Paris said no."))).content
    assert f"[read it there](<{text_fragment_url('https://news.example/denial', DENIAL)}>)" in content
    assert content.count("read it there") == 1, "a source without a URL gets no link"
    assert_valid(content)


def test_links_give_way_before_outlets_when_space_runs_out():
    url = "https://news.example/" + "a" * 500
    many = answer(*(outlet(i, "A quote of some length. " * 10).model_copy(update={"url": url}) for i in range(5)))
    content = answer_message(many).content
    assert_valid(content)
    assert all(f"Outlet {i}" in content for i in range(5))


def seven() -> Answer:
    return answer(*(outlet(i, f"Quote number {i} from the outlet.") for i in range(7)))


def test_a_story_with_more_than_five_outlets_is_paged_with_previous_and_next():
    first = answer_page(seven(), "abc123", 0)
    assert [f"Outlet {i}" in first.content for i in range(7)] == [True] * 5 + [False] * 2
    assert "Outlets 1–5 of 7" in first.content
    buttons, pager = first.components
    ids = [b["custom_id"] for b in buttons["components"]]
    assert ids == ["storybot:context:abc123:0", "storybot:vote:abc123:up", "storybot:vote:abc123:down",
                   "storybot:thread:abc123"]
    previous, following = pager["components"]
    assert previous["disabled"] and not following["disabled"] and following["custom_id"] == "storybot:page:abc123:1"
    second = answer_page(seven(), "abc123", 1, thread_button=False)
    assert "Outlet 5" in second.content and "Outlet 6" in second.content and "Outlet 4" not in second.content
    assert "Outlets 6–7 of 7" in second.content
    buttons, pager = second.components
    assert len(buttons["components"]) == 3 and pager["components"][1]["disabled"]
    assert buttons["components"][0]["custom_id"] == "storybot:context:abc123:1"
    for message in (first, second):
        assert_valid(message.content)
        assert message_problems({"content": message.content, "components": list(message.components)}) == []


def test_five_outlets_or_fewer_have_no_pager():
    (buttons,) = answer_page(answer(outlet(0, DENIAL), outlet(1)), "x1").components
    assert len(buttons["components"]) == 4


def test_custom_ids_round_trip_and_strangers_are_ignored():
    for action in (Action("context", "a1", "2"), Action("vote", "a1", "up"), Action("vote", "a1", "down"),
                   Action("thread", "a1"), Action("page", "a1", "10")):
        assert parse_custom_id(custom_id(action)) == action
    for stranger in ("", "other:vote:a1:up", "storybot:vote:a1:sideways", "storybot:page:a1:x",
                     "storybot:drop:a1", "storybot:vote:a b:up", "storybot:context:a1"):
        assert parse_custom_id(stranger) is None, stranger


def test_vote_notes_say_recorded_changed_or_confirmed():
    assert "recorded" in vote_text(1, None) and "👍" in vote_text(1, None)
    assert vote_text(-1, 1) == "Changed your vote to 👎."
    assert "already recorded" in vote_text(-1, -1)


def test_thread_names_fit_and_carry_no_pings():
    name = thread_name(f"<@123> @everyone {'why ' * 60}")
    assert len(name) <= 100 and name.startswith("Follow-up: why") and "<@" not in name


ARTICLE = ("Headline\n\nWeather was mild.\n\nFirst sentence here. The ministry denied it. Then more.\n  \n"
           "Last paragraph.")


def test_the_paragraph_is_the_text_between_blank_lines_around_the_quote():
    start = ARTICLE.index("The ministry")
    end = start + len("The ministry denied it.")
    p_start, p_end = paragraph_span(ARTICLE, start, end)
    assert ARTICLE[p_start:p_end] == "First sentence here. The ministry denied it. Then more."
    assert paragraph_excerpt(ARTICLE, start, end) == "First sentence here. **The ministry denied it.** Then more."
    assert paragraph_span("one paragraph only", 4, 13) == (0, 18)


def test_a_long_paragraph_is_cut_around_the_quote():
    text = ("word " * 2000) + "THE QUOTE ITSELF." + (" tail" * 2000)
    start = text.index("THE QUOTE")
    excerpt = paragraph_excerpt(text, start, start + len("THE QUOTE ITSELF."), 300)
    assert measure(excerpt) <= 300 and "**THE QUOTE ITSELF.**" in excerpt
    assert excerpt.startswith(ELLIPSIS) and excerpt.endswith(ELLIPSIS)


HOSTILE = ("Intro.\n\nSee [x](http://evil.example) and ```fence``` @everyone <@&1> **bold** — "
           "the ministry denied it. More @here text.\n\nEnd.")


def test_context_is_an_embed_per_outlet_with_markdown_and_mentions_inert():
    start = HOSTILE.index("the ministry")
    quote = Quote(text="the ministry denied it.", start=start, end=start + 23, score=1.0)
    entry = OutletAnswer(source_id="000_src", outlet="@here **Outlet**", title="T", covered=True, quotes=[quote])
    message = context_message(answer(entry, outlet(1)), 0, {"000_src": HOSTILE})
    (embed,) = message.embeds
    (field,) = embed["fields"]
    assert "**the ministry denied it.**" in field["value"]
    for markup in (r"\[x\]\(", "```", "@everyone", "@here", "<@&", r"\*\*bold"):
        assert not re.search(r"(?<![\\\u200b])" + markup, field["value"] + field["name"]), markup
    assert message_problems({"embeds": [embed]}) == [] and pings(field["value"], None, None) == frozenset()


def test_context_of_many_long_paragraphs_fits_the_embed_limits():
    text = "Intro.\n\n" + ("long words " * 800) + "the quote. " + ("more words " * 800)
    start = text.index("the quote.")
    quotes = [Quote(text="the quote.", start=start, end=start + 10, score=1.0),
              Quote(text="Intro.", start=0, end=6, score=0.5)]
    entries = [OutletAnswer(source_id=f"{i:03d}", outlet="O" * 300, title="T", covered=True, quotes=quotes)
               for i in range(7)]
    message = context_message(answer(*entries), 0, {f"{i:03d}": text for i in range(7)})
    (embed,) = message.embeds
    assert len(embed["fields"]) == OUTLETS_PER_PAGE
    assert message_problems({"embeds": [embed]}) == []
    assert context_message(answer(outlet(1)), 0, {}).content.startswith("None of these outlets")
