"""The development question sets are sound: every gold phrase is really in its article."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from evaluation.harness import load_questions, normalize
from index.models import Source
from index.sentences import split_passages
from tests.conftest import (BASIL, DEV_QUESTIONS, NEWSWCL50, PROJECT_ROOT, SEEDS, needs_basil, needs_dev_questions,
                            needs_newswcl50, read_folder)

BASIL_DEV = PROJECT_ROOT / "tests" / "data" / "basil_dev_questions.jsonl"
SEED_DEV = PROJECT_ROOT / "tests" / "data" / "seed_dev_questions.jsonl"


@pytest.fixture(scope="module")
def basil_questions():
    return load_questions(BASIL_DEV)


@pytest.fixture(scope="module")
def basil():
    return read_folder(BASIL)


def test_basil_dev_set_size(basil_questions):
    assert len(basil_questions) >= 40
    assert len({q.story for q in basil_questions}) >= 5
    assert all(q.story for q in basil_questions)
    assert len({q.q for q in basil_questions}) == len(basil_questions), "a question is repeated"


def test_basil_dev_set_has_answers_and_abstentions(basil_questions):
    pairs = [phrases for q in basil_questions for phrases in q.gold.values()]
    assert any(p is None for p in pairs) and any(p for p in pairs)
    assert all(p is None or (p and all(phrase.strip() for phrase in p)) for p in pairs), "an empty gold list or phrase"


@needs_basil
@pytest.mark.basil
def test_every_basil_question_lists_all_three_sources_of_its_story(basil, basil_questions):
    for question in basil_questions:
        story = sorted(sid for sid, d in basil.items() if d.story_id == question.story)
        assert sorted(question.gold) == story, question.q
        assert len(question.gold) == 3


@needs_basil
@pytest.mark.basil
def test_every_basil_gold_phrase_is_in_its_article(basil, basil_questions):
    missing = [
        (question.q, source_id, phrase)
        for question in basil_questions
        for source_id, phrases in question.gold.items()
        for phrase in phrases or []
        if normalize(phrase) not in normalize(basil[source_id].text)
    ]
    assert not missing


@pytest.mark.parametrize("path", [pytest.param(DEV_QUESTIONS, marks=needs_dev_questions, id="shared"),
                                  pytest.param(SEED_DEV, id="ours")])
def test_every_seed_gold_phrase_is_in_its_seed(path):
    seeds = read_folder(SEEDS)
    questions = load_questions(path)
    assert questions
    missing = []
    for question in questions:
        assert set(question.gold) <= set(seeds), question.q
        for source_id, phrases in question.gold.items():
            for phrase in phrases or []:
                if normalize(phrase) not in normalize(seeds[source_id].text):
                    missing.append((question.q, source_id, phrase))
    assert not missing


def test_our_seed_set_lists_both_seeds_and_has_answers_and_abstentions():
    questions = load_questions(SEED_DEV)
    sources = set(read_folder(SEEDS))
    assert len(questions) >= 20
    assert all(set(q.gold) == sources for q in questions)
    pairs = [phrases for q in questions for phrases in q.gold.values()]
    assert any(p is None for p in pairs) and any(p for p in pairs)


# --- the five-outlet dev stories (newswcl50) -----------------------------------------------------

FIVE_DEV = PROJECT_ROOT / "tests" / "data" / "newswcl50_dev_questions.jsonl"


def test_five_outlet_dev_set_size_and_mix():
    questions = load_questions(FIVE_DEV)
    assert len(questions) >= 150
    per_story = Counter(q.story for q in questions)
    assert len(per_story) == 7 and min(per_story.values()) >= 15, per_story
    assert len({(q.story, q.q) for q in questions}) == len(questions), "a question is repeated"
    pairs = [phrases for q in questions for phrases in q.gold.values()]
    assert sum(p is None for p in pairs) / len(pairs) >= 0.40
    answering = Counter(sum(p is not None for p in q.gold.values()) for q in questions)
    assert answering[0] >= 7 and answering[1] >= 7, answering  # questions no outlet answers, and only one


@needs_newswcl50
def test_every_five_outlet_gold_phrase_lies_in_one_sentence_of_its_article():
    drafts = read_folder(NEWSWCL50)
    sentences = {sid: [normalize(p.text) for p in split_passages(Source(source_id=sid, story_id=d.story_id,
                                                                          outlet="o", title=d.title, text=d.text))]
                 for sid, d in drafts.items()}
    outside = []
    for question in load_questions(FIVE_DEV):
        assert sorted(question.gold) == sorted(sid for sid, d in drafts.items() if d.story_id == question.story), question.q
        for source_id, phrases in question.gold.items():
            for phrase in phrases or []:
                if not any(normalize(phrase) in sentence for sentence in sentences[source_id]):
                    outside.append((question.q, source_id, phrase))
    assert not outside
