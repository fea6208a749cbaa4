"""Comparing outlets: the seed story's groups with the real models, a topic, reworded quotations."""

from __future__ import annotations

import pytest

from evaluation.compare_eval import load_labels, read_labels, score
from retrieval.comparison import CompareQuote, _reworded_quotes
from tests.conftest import PROJECT_ROOT

S0, S4 = "000_5ace3053a7754062", "004_c92dd615dfce2fa4"


@pytest.fixture(scope="module")
def seed_comparison(seed_engine):
    return seed_engine.compare()


@pytest.mark.integration
def test_seed_must_reach(seed_engine, seed_comparison):
    groups = seed_comparison.groups
    kiev = [g for g in groups if g.kind in ("shared", "conflict")
            and any("Western henchmen" in q.text for q in g.quotes) and any("Western curators" in q.text for q in g.quotes)]
    assert kiev, "the two renderings of the Kiev regime statement are not in one group"
    assert kiev[0].kind == "conflict" and "quoted words differ" in kiev[0].note

    def only_of(source_id, phrase):
        return [g for g in groups if g.kind == "only" and g.quotes[0].source_id == source_id and phrase in g.quotes[0].text]

    assert only_of(S4, "peace summit planned by Kiev in Switzerland")

    spans = {}
    for group in groups:
        for quote in group.quotes:
            spans.setdefault(group.kind == "only", []).append((quote.source_id, quote.start, quote.end))
    for sid, start, end in spans.get(True, []):
        assert not any(s == sid and start < e and b < end for s, b, e in spans.get(False, [])), \
            "a sentence sits in a shared group and in an only group"
    view, _ = seed_engine.view()
    not_body = [p for p in view.passages if p.kind != "body"]
    for group in groups:
        for quote in group.quotes:
            source = seed_engine.source(quote.source_id)
            assert source.text[quote.start : quote.end] == quote.text
            assert not any(p.source_id == quote.source_id and quote.start <= p.start < quote.end for p in not_body)


@pytest.mark.integration
def test_labelled_groups_floors(seed_engine, seed_comparison):
    raw = [item for item in read_labels(PROJECT_ROOT / "tests" / "data" / "compare_groups.jsonl")
           if item["corpus"] == "seeds"]
    labels = load_labels(raw, {s.source_id: s.text for s in seed_engine.view()[0].story.sources})
    figures = score(labels, {"shoigu-lecornu-call-2024": seed_comparison})
    print(f"\ncompare on the seeds: {figures}")
    assert figures.alignment_precision >= 0.8 and figures.alignment_recall >= 0.75
    assert figures.conflict_precision >= 0.9 and figures.only_recall >= 0.8


@pytest.mark.integration
def test_a_topic_keeps_only_groups_about_it(seed_engine, seed_comparison):
    narrowed = seed_engine.compare(topic="the Kiev regime and its Western backers")
    assert 0 < len(narrowed.groups) < len(seed_comparison.groups)
    assert any("Kiev regime" in q.text for g in narrowed.groups for q in g.quotes)
    toll = seed_engine.compare(topic="death toll")
    assert 0 < len(toll.groups) < len(seed_comparison.groups)
    assert any("139 dead" in q.text for g in toll.groups[:3] for q in g.quotes), "the 139-dead group is found"


def _quotes(*items):
    return [CompareQuote(source_id=sid, outlet=sid, text=text, start=0, end=len(text)) for sid, text in items]


def test_reworded_quotes_ignore_spacing_editors_insertions_and_short_phrases():
    assert _reworded_quotes(_quotes(
        ("a", "“The Kiev regime does nothing without the consent of its Western henchmen”"),
        ("b", "“The Kiev regime does nothing without the approval of Western curators”")))
    assert not _reworded_quotes(_quotes(
        ("a", "he said “there’s a lot of goodwill going into it”"),
        ("b", "“I really believe there’s a lot of good will going into it,” he said")))
    assert not _reworded_quotes(_quotes(("a", "“[Trump] paused and said that’s what he wants, honest loyalty.”"),
                                        ("b", "“He paused and said that’s what he wants, honest loyalty.”")))
    assert not _reworded_quotes(_quotes(("a", "he had “serious reservations” about Flynn"),
                                        ("b", "“The guy has serious judgment issues”")))


def test_two_different_statements_that_share_words_are_not_one_reworded_quotation():
    assert not _reworded_quotes(_quotes(
        ("a", "“It’s possible things won’t go well and we won’t have the meetings,” said Trump."),
        ("b", "“We'll either have a very good meeting or we won't have a good meeting,” Trump told reporters.")))


def _story(**texts):
    from index.embedding import FakeEmbedder
    from index.library import StoryPassages
    from index.models import Source, Story
    from index.sentences import split_passages

    sources = [Source(source_id=sid, story_id="fire", outlet=sid, title=sid, text=text) for sid, text in texts.items()]
    passages = [p for s in sources for p in split_passages(s)]
    for pid, passage in enumerate(passages):
        passage.pid = pid
    vectors = dict(zip(range(len(passages)), FakeEmbedder().embed([p.text for p in passages])))
    return StoryPassages(story=Story(story_id="fire", title="fire", sources=sources), passages=passages), vectors


def test_differing_figures_in_one_fact_make_a_conflict_and_an_own_fact_is_only_once():
    from retrieval.comparison import compare_story

    view, vectors = _story(
        courier="Plant fire\n\nThe fire forced about 2,300 residents of Millbrook from their homes overnight. "
                "Investigators have not yet named a cause for the chemical blaze.",
        gazette="Millbrook evacuated\n\nAbout 2,500 Millbrook residents were forced from their homes overnight by "
                "the fire. A shelter opened at the high school gym for the displaced families.")
    groups = compare_story(view, vectors).groups
    conflict = [g for g in groups if g.kind == "conflict"]
    assert len(conflict) == 1
    assert conflict[0].note == "the outlets give different figures: 2,300 residents (courier) vs 2,500 Millbrook " \
                               "residents (gazette)"
    only = [g.quotes[0].text for g in groups if g.kind == "only"]
    assert any("shelter opened" in text for text in only) and any("not yet named a cause" in text for text in only)
    assert not any("2,300" in text or "2,500" in text for text in only)
    assert all(g.note.count("courier") <= 1 for g in groups), "an outlet named after its file is named once"
