"""Who said it: rules on plain sentences, offsets into the source, and the labelled set's floors."""

from __future__ import annotations

import pytest

from evaluation.attribution_eval import evaluate
from retrieval.attribution import attribute, attribute_sentence
from tests.conftest import PROJECT_ROOT, SHARED


@pytest.mark.parametrize(
    ("sentence", "speaker"),
    [
        ("The Russian Defense Ministry said after the call that Shoigu warned Lecornu.", "The Russian Defense Ministry"),
        ("According to Paris, the minister condemned the war.", "Paris"),
        ('"We trust that," Shoigu was quoted as saying in a Russian Defence Ministry statement.', "Shoigu"),
        ("“France has not accepted anything,” it was said shortly afterwards from those close to the ministry.",
         "those close to the ministry"),
        ("“We will see,” said Lecornu.", "Lecornu"),
        ("Talks could resume in May, the ministry said.", "the ministry"),
        ("But Shoigu insisted that Moscow had information.", "Shoigu"),
        ("The basis could be the Istanbul plan, he said.", "he"),
        ("Shoigu is said to have mentioned the plan.", None),
        ("The ministry did not elaborate on what it meant.", None),
        ("It was a cold day in Moscow.", None),
        ("Analysts who said nothing were right.", None),
    ],
)
def test_rules(sentence, speaker):
    found = attribute_sentence(sentence, 0, len(sentence))
    assert (found.speaker if found else None) == speaker
    if found:
        assert sentence[found.start : found.end] == found.speaker


def test_offsets_are_into_the_source_and_a_leaning_sentence_takes_its_neighbours_speaker():
    parts = ["The ministry said Shoigu warned Lecornu.", "Otherwise, France would “have problems.”", "Rain fell."]
    text = "Head\n\n" + " ".join(parts)
    sentences = [(text.index(p), text.index(p) + len(p)) for p in parts]
    found = attribute(text, sentences[1], sentences)
    assert found is not None and text[found.start : found.end] == "The ministry" == found.speaker
    assert found.start == sentences[0][0]
    assert attribute(text, sentences[2], sentences) is None


@pytest.mark.skipif(not (SHARED / "corpora" / "newswcl50").is_dir(), reason=f"the five-outlet corpus is not in {SHARED}")
def test_labelled_sentences_floors():
    figures = evaluate(PROJECT_ROOT / "tests" / "data" / "attribution_labels.jsonl", SHARED)
    print(f"\nattribution: precision {figures.precision:.3f}, recall {figures.recall:.3f} on {figures.sentences}")
    assert figures.sentences >= 60
    assert figures.precision >= 0.9
    assert figures.recall >= 0.75
