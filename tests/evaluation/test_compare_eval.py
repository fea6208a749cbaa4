"""Scoring `storybot compare` against the labelled groups: what counts as a right, wrong or related pair."""

from __future__ import annotations

import pytest

from evaluation.compare_eval import _source_id, body_scope, load_labels, read_labels, score
from retrieval.comparison import CompareQuote, Comparison, Group
from tests.conftest import ALLSIDES, NEWSWCL50, PROJECT_ROOT, needs_allsides, needs_newswcl50, read_folder


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


LABELS = PROJECT_ROOT / "tests" / "data" / "compare_groups.jsonl"
TRAINING_GROUPS = PROJECT_ROOT / "evaluation" / "data" / "compare_train_groups.jsonl"


def _labels_of(path, corpus):
    return [item for item in read_labels(path) if item["corpus"] == corpus]


@pytest.mark.integration
def test_every_seed_label_phrase_is_found_in_its_source(seed_engine):
    raw = _labels_of(LABELS, "seeds")
    assert len(load_labels(raw, {s.source_id: s.text for s in seed_engine.view()[0].story.sources})) == len(raw)


@needs_newswcl50
def test_every_five_outlet_label_phrase_is_found_in_its_source():
    raw = _labels_of(LABELS, "newswcl50")
    assert len(load_labels(raw, {sid: d.text for sid, d in read_folder(NEWSWCL50).items()})) == len(raw)
    assert {"newswcl50-event-3", "newswcl50-event-8"} <= {item["story"] for item in raw}


@needs_allsides
@pytest.mark.parametrize("path", [LABELS, TRAINING_GROUPS], ids=["evaluation", "training"])
def test_every_allsides_label_phrase_is_found_in_its_source(path):
    raw = _labels_of(path, "allsides")
    stories = sorted({item["story"] for item in raw})
    assert len(stories) >= 2
    for story in stories:
        texts = {sid: d.text for sid, d in read_folder(ALLSIDES / story).items()}
        assert len(load_labels([item for item in raw if item["story"] == story], texts)) == \
            sum(item["story"] == story for item in raw)


def test_no_story_is_both_trained_on_and_scored():
    assert not {item["story"] for item in read_labels(TRAINING_GROUPS)} & {item["story"] for item in read_labels(LABELS)}


def test_a_label_article_resolves_to_the_source_a_library_suffixed():
    assert _source_id("cnn", ["ap", "cnn-2", "fox"]) == "cnn-2"
    assert _source_id("cnn", ["cnn", "cnn-2"]) == "cnn"
    with pytest.raises(ValueError, match="no single source"):
        _source_id("npr", ["ap", "cnn"])
