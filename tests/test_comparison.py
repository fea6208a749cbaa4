"""Comparing outlets: quantities and differing values on plain text; the seed story's groups with the real model."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from evaluation.compare_eval import body_scope, load_labels, read_labels, score
from retrieval.comparison import (CompareQuote, Comparison, Group, _aligned_pairs, _cluster, _reworded_quotes,
                                  differing_values, quantities)
from tests.conftest import NEWSWCL50, PROJECT_ROOT, needs_newswcl50, read_folder

S0, S4 = "000_5ace3053a7754062", "004_c92dd615dfce2fa4"


def test_quantities_pair_numbers_with_their_unit_and_skip_years():
    found = quantities("The attack left at least 139 dead and 182 injured in 2024; tariffs rose 25% and 10 percent.")
    assert found["dead"] == {"139"} and found["injured"] == {"182"} and found["%"] == {"25", "10"}
    assert "in" not in found and all("2024" not in v for v in found.values())


def test_differing_values_names_each_outlet():
    assert differing_values({"004": ["which left at least 139 dead"], "005": ["killing 137 dead, officials said"]}) == \
        ["139 dead (004) vs 137 dead (005)"]
    assert differing_values({"a": ["139 dead"], "b": ["139 dead"]}) == []
    assert differing_values({"a": ["139 dead"]}) == []


def _group(kind, *quotes):
    return Group(kind=kind, note="", quotes=[CompareQuote(source_id=sid, outlet=sid, text="", start=start, end=end)
                                             for sid, start, end in quotes])


def test_score_counts_only_pairs_that_hold_an_anchor():
    texts = {"a": "Anchor one. Anchor two.", "b": "Match one. Other. Near one.", "c": "Match two. Stray."}
    labels = load_labels([
        {"story": "s", "kind": "shared", "anchor": {"a": ["Anchor one"]},
         "matches": {"b": ["Match one"], "c": ["Match two"]}, "related": {"b": ["Near one"]}},
        {"story": "s", "kind": "only", "anchor": {"a": ["Anchor two"]}, "matches": {}},
    ], texts)
    comparison = Comparison(story="s", groups=[
        _group("shared", ("a", 0, 11), ("b", 0, 10)),  # right
        _group("shared", ("b", 11, 17), ("c", 11, 17)),  # no anchor: not scored, whatever it is
        _group("shared", ("a", 12, 23), ("c", 0, 10)),  # an only-in anchor paired: wrong
        _group("only", ("a", 12, 23)),
    ])
    figures = score(labels, {"s": comparison})
    assert (figures.pairs_right, figures.pairs_scored) == (1, 2)
    assert (figures.labelled_found, figures.labelled_pairs) == (1, 2)
    assert (figures.only_found, figures.only_right, figures.only_groups) == (1, 1, 1)
    related = score(labels, {"s": Comparison(story="s", groups=[_group("shared", ("a", 0, 11), ("b", 18, 27))])})
    assert (related.pairs_scored, related.pairs_related) == (0, 1)


def test_labels_leave_out_what_compare_may_not_group():
    texts = {"a": "Head line.\nAnchor one. Anchor two.", "b": "Match head.\nMatch one.", "c": "Only head.\nStray."}
    labels = load_labels([
        {"story": "s", "kind": "shared", "anchor": {"a": ["Anchor one"]}, "matches": {"b": ["Match head", "Match one"]}},
        {"story": "s", "kind": "shared", "anchor": {"a": ["Head line"]}, "matches": {"b": ["Match one"]}},
        {"story": "s", "kind": "shared", "anchor": {"a": ["Anchor two"]}, "matches": {"c": ["Only head"]}},
        {"story": "s", "kind": "only", "anchor": {"a": ["Anchor two"]}, "matches": {}},
    ], texts)
    kinds = {sid: [(0, text.index("\n"), "headline"), (text.index("\n") + 1, len(text), "body")]
             for sid, text in texts.items()}
    kept, dropped = body_scope(labels, kinds)
    assert dropped == 2, "a headline anchor, and a fact another outlet states only in its headline"
    assert [label.anchor for label in kept] == [[("a", 11)], [("a", 23)]]
    assert kept[0].matches == {"b": [("b", 12)]} and kept[1].matches == {}


@pytest.mark.integration
def test_every_label_phrase_is_found_in_its_source(seed_engine):
    raw = [item for item in read_labels(PROJECT_ROOT / "tests" / "data" / "compare_groups.jsonl")
           if item["corpus"] == "seeds"]
    texts = {s.source_id: s.text for s in seed_engine.view()[0].story.sources}
    assert len(load_labels(raw, texts)) == len(raw)


@needs_newswcl50
def test_every_five_outlet_label_phrase_is_found_in_its_source():
    raw = [item for item in read_labels(PROJECT_ROOT / "tests" / "data" / "compare_groups.jsonl")
           if item["corpus"] == "newswcl50"]
    texts = {sid: d.text for sid, d in read_folder(NEWSWCL50).items()}
    assert len(load_labels(raw, texts)) == len(raw)
    assert {"newswcl50-event-3", "newswcl50-event-8"} <= {item["story"] for item in raw}


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

    assert only_of(S0, "The French Ministry of Defense denied this")
    assert only_of(S4, "peace summit planned by Kiev in Switzerland")
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


def _passages(**outlets):
    return {sid: [SimpleNamespace(pid=pid) for pid in pids] for sid, pids in outlets.items()}


def _symmetric(pairs):
    return {**pairs, **{(q, p): s for (p, q), s in pairs.items()}}


def test_a_pair_aligns_only_when_mutual_best_and_clear_of_the_runner_up():
    candidates = _passages(a=[1, 2], b=[3, 4])
    clear = _symmetric({(1, 3): 0.6, (1, 4): 0.1, (2, 3): 0.1, (2, 4): 0.2})
    assert [(p, q) for _, p, q in _aligned_pairs(candidates, ["a", "b"], clear)] == [(1, 3)]
    crowded = _symmetric({(1, 3): 0.6, (1, 4): 0.5, (2, 3): 0.5, (2, 4): 0.2})  # 1 is as near to 4 as to 3, 3 to 2 as to 1
    assert _aligned_pairs(candidates, ["a", "b"], crowded) == []
    sure = _symmetric({(1, 3): 0.9, (1, 4): 0.8, (2, 3): 0.1, (2, 4): 0.55})
    assert [(p, q) for _, p, q in _aligned_pairs(candidates, ["a", "b"], sure)] == [(1, 3)]


def test_a_sentence_reporting_two_facts_pairs_with_each_sentence_whose_clear_best_it_is():
    candidates = _passages(a=[1, 2], b=[3, 4])
    lead = _symmetric({(1, 3): 0.65, (1, 4): 0.7, (2, 3): 0.1, (2, 4): 0.2})  # 1 is the best of 3 and of 4
    assert sorted((p, q) for _, p, q in _aligned_pairs(candidates, ["a", "b"], lead)) == [(1, 3), (1, 4)]
    weak = _symmetric({(1, 3): 0.55, (1, 4): 0.7, (2, 3): 0.1, (2, 4): 0.2})  # 3's best is 1, but not by enough
    assert sorted((p, q) for _, p, q in _aligned_pairs(candidates, ["a", "b"], weak)) == [(1, 4)]


def test_a_newcomer_must_fit_most_of_the_group_and_a_sentence_sits_in_at_most_three_groups():
    outlet_of = {1: "a", 2: "b", 3: "c", 4: "d", 5: "b", 6: "e"}
    scores = _symmetric({(1, 2): 1.0, (1, 3): 0.9, (2, 3): 0.2, (1, 4): 0.8, (2, 4): 0.9, (3, 4): 0.9,
                         (1, 5): 0.8, (3, 5): 0.0, (4, 5): 0.0, (2, 5): -1.0,
                         (1, 6): 0.7, (2, 6): 0.0, (3, 6): 0.0, (5, 6): 0.0})
    groups = _cluster([(1.0, 1, 2), (0.9, 1, 3), (0.8, 1, 5), (0.7, 1, 6)], scores, outlet_of)
    # 3 fits 1 but not 2: it does not join their group; 1 reports a second fact with 3, a third with 5, and a
    # fourth with 6 is refused
    assert sorted(map(sorted, groups)) == [[1, 2], [1, 3], [1, 5]]


def test_two_different_statements_that_share_words_are_not_one_reworded_quotation():
    assert not _reworded_quotes(_quotes(
        ("a", "“It’s possible things won’t go well and we won’t have the meetings,” said Trump."),
        ("b", "“We'll either have a very good meeting or we won't have a good meeting,” Trump told reporters.")))
