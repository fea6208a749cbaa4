"""Sentence passages: exact offsets, abbreviations, quotations, paragraphs and page furniture."""

from __future__ import annotations

import pytest

from retrieval.models import Passage, Source
from index.sentences import classify_paragraphs, looks_like_credit, sentence_spans, split_passages
from tests.conftest import BASIL, SEEDS, needs_basil, read_folder

SEED_000 = "000_5ace3053a7754062"
SEED_004 = "004_c92dd615dfce2fa4"


def _source(text: str, source_id: str = "s") -> Source:
    return Source(source_id=source_id, story_id="story", outlet="Outlet", title="Title", text=text)


def _assert_well_formed(text: str, passages: list[Passage]) -> None:
    """Every passage is an exact, stripped, non-empty span of one line; spans are ordered and disjoint."""
    previous_end = 0
    for passage in passages:
        assert isinstance(passage.start, int) and isinstance(passage.end, int)
        assert text[passage.start : passage.end] == passage.text
        assert passage.text and passage.text == passage.text.strip()
        assert "\n" not in passage.text, f"passage spans a paragraph break: {passage.text!r}"
        assert passage.start >= previous_end
        previous_end = passage.end
    covered = set()
    for passage in passages:
        covered.update(range(passage.start, passage.end))
    missing = [i for i, char in enumerate(text) if not char.isspace() and i not in covered]
    assert not missing, f"characters outside every passage: {[text[i] for i in missing][:20]}"


def split(text: str) -> list[str]:
    passages = split_passages(_source(text))
    _assert_well_formed(text, passages)
    return [p.text for p in passages]


@pytest.fixture(scope="module")
def seeds():
    return {sid: Source(source_id=sid, story_id="seeds", outlet="o", title="t", text=d.text)
            for sid, d in read_folder(SEEDS).items()}


# --- offsets round-trip on the seeds --------------------------------------------------------------


@pytest.mark.parametrize("source_id", [SEED_000, SEED_004])
def test_seed_passages_round_trip(seeds, source_id):
    source = seeds[source_id]
    passages = split_passages(source)
    assert passages
    _assert_well_formed(source.text, passages)
    assert all(p.source_id == source_id for p in passages)


def test_seed_passage_paragraph_numbers_match_lines(seeds):
    """`paragraph` counts the text's non-empty lines, so blank separator lines do not shift it."""
    source = seeds[SEED_000]
    lines = [line for line in source.text.split("\n") if line]
    for passage in split_passages(source):
        assert passage.text in lines[passage.paragraph]


# --- abbreviations and initials ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Smith met Dr. Jones in the U.S. on Monday. They talked.",
            ["Mr. Smith met Dr. Jones in the U.S. on Monday.", "They talked."],
        ),
        ("President George W. Bush spoke. He left.", ["President George W. Bush spoke.", "He left."]),
        ("The U.S. Army arrived. Troops followed.", ["The U.S. Army arrived.", "Troops followed."]),
        ("At 10 a.m. Monday he spoke. Done.", ["At 10 a.m. Monday he spoke.", "Done."]),
        ("Sen. Bernie Sanders spoke. Gov. Brown agreed.", ["Sen. Bernie Sanders spoke.", "Gov. Brown agreed."]),
        ("Prices rose 3.5 percent. Then they fell.", ["Prices rose 3.5 percent.", "Then they fell."]),
        ("He was ranked No. 5 in the world. He won.", ["He was ranked No. 5 in the world.", "He won."]),
        ("Asked again, he said no. Then he left.", ["Asked again, he said no.", "Then he left."]),
        ("No. That is wrong.", ["No.", "That is wrong."]),
    ],
)
def test_abbreviations_and_initials(text, expected):
    assert split(text) == expected


def test_every_terminal_mark_ends_a_sentence():
    assert split("Is it? Yes! Wow… Indeed.") == ["Is it?", "Yes!", "Wow…", "Indeed."]


def test_lower_case_after_a_stop_does_not_split():
    assert split("He said no. then he left.") == ["He said no. then he left."]


# --- quotations ------------------------------------------------------------------------------------


def test_curly_quote_closing_after_the_full_stop_stays_with_its_sentence():
    text = "Otherwise, France would “have problems of its own.” French President Emmanuel Macron caused a stir."
    assert split(text) == [
        "Otherwise, France would “have problems of its own.”",
        "French President Emmanuel Macron caused a stir.",
    ]


def test_straight_quote_closing_after_the_full_stop_stays_with_its_sentence():
    assert split('He said "it is over." Then he left.') == ['He said "it is over."', "Then he left."]


def test_single_quote_and_bracket_closing_after_the_stop():
    assert split("He said 'yes.' Then he left.") == ["He said 'yes.'", "Then he left."]
    assert split("Bush (R.) spoke. Then he left.") == ["Bush (R.) spoke.", "Then he left."]


def test_question_mark_inside_quote_then_capital():
    assert split("“Why?” He asked again.") == ["“Why?”", "He asked again."]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "“It is over. We are done,” he said. Then he left.",
            ["“It is over. We are done,” he said.", "Then he left."],
        ),
        (
            '"We will not yield. Never," the minister said. He left.',
            ['"We will not yield. Never," the minister said.', "He left."],
        ),
        (
            'He said "it is over. We are done." Then he left.',
            ['He said "it is over. We are done."', "Then he left."],
        ),
        (
            "He said “yes.” She said “no way. Not now.” Then he left.",
            ["He said “yes.”", "She said “no way. Not now.”", "Then he left."],
        ),
    ],
)
def test_quotation_spanning_sentence_ends_is_one_passage(text, expected):
    assert split(text) == expected


def test_seed_004_quote_keeps_its_attribution(seeds):
    texts = [p.text for p in split_passages(seeds[SEED_004])]
    assert (
        '"The Kiev regime does nothing without the approval of Western curators. We trust that in this case French '
        'special services are not involved in it," Shoigu was quoted as saying in a Russian Defence Ministry statement.'
    ) in texts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('He said "it is over. We are done. Then he left.', ['He said "it is over.', "We are done.", "Then he left."]),
        ("“It is over. We are done. Then he left.", ["“It is over.", "We are done.", "Then he left."]),
    ],
)
def test_unclosed_quotation_does_not_merge(text, expected):
    assert split(text) == expected


def test_quotation_closing_in_the_next_paragraph_does_not_merge_across_it():
    text = "“One thing. Two things.\n\n“Three things,” he said."
    assert split(text) == ["“One thing.", "Two things.", "“Three things,” he said."]


# --- datelines, paragraphs, whitespace ------------------------------------------------------------


def test_dateline_stays_with_the_first_sentence():
    assert split("WASHINGTON — The president spoke on Monday. He left.") == [
        "WASHINGTON — The president spoke on Monday.",
        "He left.",
    ]


def test_multiple_paragraphs_are_numbered_by_line():
    text = "First one. Second one.\n\nThird one.\nFourth one."
    passages = split_passages(_source(text))
    _assert_well_formed(text, passages)
    assert [(p.text, p.paragraph) for p in passages] == [
        ("First one.", 0),
        ("Second one.", 0),
        ("Third one.", 1),
        ("Fourth one.", 2),
    ]


def test_a_sentence_never_runs_on_across_a_line_break():
    assert split("A sentence without a stop\nThe next line starts here.") == [
        "A sentence without a stop",
        "The next line starts here.",
    ]


def test_leading_and_trailing_whitespace_is_trimmed_but_offsets_stay_exact():
    text = "   First para. Second sentence.  \n\n\t Another para here.  \n"
    passages = split_passages(_source(text))
    _assert_well_formed(text, passages)
    assert [p.text for p in passages] == ["First para.", "Second sentence.", "Another para here."]
    assert passages[0].start == 3


def test_crlf_line_endings():
    assert split("Line one.\r\nLine two.") == ["Line one.", "Line two."]


@pytest.mark.parametrize("text", ["", "   ", "\n\n", " \n \t\n "])
def test_empty_or_blank_text_has_no_passages(text):
    assert split_passages(_source(text)) == []
    assert list(sentence_spans(text)) == []


def test_text_without_terminal_punctuation_is_one_passage():
    assert split("  just some words  ") == ["just some words"]


# --- page furniture -------------------------------------------------------------------------------


def test_seed_000_furniture(seeds):
    passages = split_passages(seeds[SEED_000])
    furniture = [p.text for p in passages if p.kind == "furniture"]
    assert furniture == [
        "Enlarge image",
        "Russian Defense Minister Sergei Shoigu",
        "Photo:",
        "Uncredited / dpa",
        "vet/AFP/AP",
    ]
    assert all(p.kind == "body" for p in passages if p.text not in furniture)
    assert not any(p.kind == "headline" for p in passages)


def test_seed_004_first_line_is_the_headline(seeds):
    passages = split_passages(seeds[SEED_004])
    assert passages[0].kind == "headline"
    assert passages[0].text == "French and Russian defence ministers discuss Ukraine war, terrorism"
    assert all(p.kind == "body" for p in passages[1:])


@pytest.mark.parametrize("line", ["Uncredited / dpa", "vet/AFP/AP", "John Doe/AP", "dpa/reuters"])
def test_credit_lines(line):
    assert looks_like_credit(line)


@pytest.mark.parametrize(
    "line",
    ["The French Ministry of Defense denied this a little later.", "Photo:", "Russian Defense Minister Sergei Shoigu"],
)
def test_non_credit_lines(line):
    assert not looks_like_credit(line)


def test_classify_plain_article():
    assert classify_paragraphs(["A short headline", "A body sentence.", "Another one."]) == ["headline", "body", "body"]


def test_first_line_that_is_a_sentence_is_body():
    assert classify_paragraphs(["It rained all day in Paris.", "More text."]) == ["body", "body"]


@pytest.mark.parametrize("dateline", ["WASHINGTON — ", "WEST PALM BEACH, Fla. — ", "TEL AVIV (Reuters) - ",
                                      "SAN DIEGO ― ", "MOSCOW, April 3 (Reuters) - ", "ST. LOUIS – ",
                                      "April 29 (UPI) — ", "(CNN) — ", "Sept. 3, 2018 (AP) - "])
def test_what_stands_above_a_dateline_is_headline_matter(dateline):
    """A headline that ends with a full stop, a standfirst and a caption, all above the report's dateline."""
    paragraphs = ["Migrant Caravan of Asylum Seekers Reaches U.S. Border.",
                  "The White House mobilized the National Guard. They're coming anyway.",
                  "Members of the migrant caravan at the border wall on Sunday.",
                  dateline + "A long journey gave way to an uncertain asylum process.", "More text."]
    assert classify_paragraphs(paragraphs) == ["headline"] * 3 + ["body", "body"]


@pytest.mark.parametrize("first", ["U.S. - China talks resumed on Monday.", "It is — as ever — raining.",
                                   "NATO allies met in Brussels.", "(Updated) The vote was held on Monday.",
                                   "On April 29 (a Sunday) — the day they arrived — it rained."])
def test_a_first_sentence_that_is_no_dateline_changes_nothing(first):
    assert classify_paragraphs(["It rained all day in Paris.", first, "More text."]) == ["body"] * 3


def test_a_dateline_below_report_text_changes_nothing():
    long_paragraph = " ".join(["The council met again on Tuesday and argued about the bridge."] * 6)
    assert classify_paragraphs([long_paragraph, "MOSCOW — Meanwhile, in Russia.", "More."]) == ["body"] * 3


def test_a_dateline_far_down_the_page_is_just_a_sentence():
    paragraphs = [f"Body sentence number {n}." for n in range(6)] + ["WASHINGTON — Late in the report."]
    assert classify_paragraphs(paragraphs) == ["body"] * 7


# --- the BASIL corpus -------------------------------------------------------------------------------


@needs_basil
@pytest.mark.basil
def test_basil_passages_round_trip():
    for sid, draft in read_folder(BASIL).items():
        source = Source(source_id=sid, story_id="b", outlet="o", title="t", text=draft.text)
        _assert_well_formed(source.text, split_passages(source))


def test_a_run_on_paragraph_is_cut_into_bounded_passages_quickly():
    import time

    from index.sentences import MAX_PASSAGE_CHARS

    words = ("the council said that the bridge plan would cost more than expected and the mayor " * 30_000).split()
    text = "Headline\n\n" + " ".join(words)  # about 2.5 MB with no sentence break
    started = time.perf_counter()
    spans = list(sentence_spans(text))
    assert time.perf_counter() - started < 5
    assert len(spans) > 2000
    for start, end, _ in spans:
        assert 0 < end - start <= MAX_PASSAGE_CHARS
        assert text[start:end] == text[start:end].strip()
    body = [text[s:e] for s, e, n in spans if n > 0]
    assert " ".join(body) == text.split("\n\n", 1)[1]  # nothing lost, nothing doubled


def test_many_sentences_in_one_paragraph_split_in_linear_time():
    import time

    text = " ".join(f"Sentence “number {i}” ends here." for i in range(50_000))
    started = time.perf_counter()
    assert len(list(sentence_spans(text))) == 50_000
    assert time.perf_counter() - started < 10
