"""Who said it: rules on plain sentences, offsets into the source, and the labelled set's floors."""

from __future__ import annotations

import pytest

from evaluation.attribution_eval import evaluate, names_the_speaker
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


def _sentences(*parts: str) -> tuple[str, list[tuple[int, int]]]:
    """A one-paragraph source of `parts` and their spans."""
    text = " ".join(parts)
    return text, [(text.index(p), text.index(p) + len(p)) for p in parts]


@pytest.mark.parametrize(
    ("sentence", "speaker"),
    [
        ("COLUMBUS, Ohio — State environmental officials said the water was safe to drink.",
         "State environmental officials"),
        ("DALLAS (AP) — The county said on Monday that the shelter would stay open.", "The county"),
        ("SPRINGFIELD, Ill. -- Fire crews worked through the night, the city said.", "the city"),
        ("(Wire) — Dana Cole said the tests came back clean.", "Dana Cole"),
        ("AKRON — Residents were told to boil their water.", None),
    ],
)
def test_a_dateline_never_leaks_into_the_speaker(sentence, speaker):
    found = attribute_sentence(sentence, 0, len(sentence))
    assert (found.speaker if found else None) == speaker


def test_a_pronoun_becomes_the_named_person_before_it_with_that_mention_s_offsets():
    text, spans = _sentences("Mayor Ana Ruiz said the plant would close for a week.",
                             "The pumps will be replaced first, she said.",
                             "“We had no choice,” she said.")
    for span in spans[1:]:
        found = attribute(text, span, spans)
        assert found is not None and found.speaker == "Mayor Ana Ruiz" == text[found.start : found.end]
        assert found.start == 0


@pytest.mark.parametrize(
    "parts",
    [
        ("The pumps will be replaced first, he said.",),  # nobody named before
        ("The water agency said the plant would close.", "It will reopen on Friday, she said."),  # no person
        ("Mayor Ana Ruiz said the plant would close.", "Inspectors met Tom Beck at the gate.",
         "The pumps are old, he said."),  # someone else named in between
        ("Officials said the plant would close.", "“We had no choice,” they said."),  # not a person's pronoun
    ],
)
def test_a_pronoun_without_a_clear_named_antecedent_gets_no_attribution(parts):
    text, spans = _sentences(*parts)
    assert attribute(text, spans[-1], spans) is None


@pytest.mark.parametrize(
    ("sentence", "speaker"),
    [
        ("Ohio Gov. Ellen Marsh declared a state of emergency in three counties on Tuesday.", None),
        ("Ohio Gov. Ellen Marsh announced a curfew for the riverside neighbourhoods.", None),
        ("Marsh called an emergency meeting of the cabinet.", None),
        ("The reporter has reported living near the plant for a decade.", None),
        ("Ohio Gov. Ellen Marsh declared on Tuesday that the water was safe.", "Ohio Gov. Ellen Marsh"),
        ("Ohio Gov. Ellen Marsh announced a curfew, calling the looting “a disgrace.”", "Ohio Gov. Ellen Marsh"),
        ("Marsh called the spill “the worst in a generation.”", "Marsh"),
        ("The curfew begins at nine, the governor announced.", "the governor"),
        ("“As Ruiz said, the plant is old,” Tom Beck told reporters.", "Tom Beck"),
    ],
)
def test_only_reported_speech_names_a_speaker(sentence, speaker):
    found = attribute_sentence(sentence, 0, len(sentence))
    assert (found.speaker if found else None) == speaker


def test_a_sentence_that_opens_with_a_pronoun_but_reports_nothing_is_the_reporter_s():
    text, spans = _sentences("Ohio Gov. Ellen Marsh said the spill was contained.",
                             "She has ordered flags flown at half-staff and issued an emergency declaration.")
    assert attribute(text, spans[1], spans) is None


@pytest.mark.parametrize(
    ("sentence", "speaker"),
    [
        ("Dana Cole, a spokeswoman for the Ohio EPA, said the tests came back clean.", "Dana Cole"),
        ("Dana Cole, spokeswoman for the incident team charged with the cleanup, said the tests were clean.",
         "Dana Cole"),
        ("The tests came back clean, Dana Cole, the agency's spokeswoman, said on Monday.", "Dana Cole"),
        ("“The tests came back clean,” said agency spokeswoman Dana Cole.", "agency spokeswoman Dana Cole"),
        ("“The tests came back clean,” said press secretary Dana Cole.", "press secretary Dana Cole"),
        ("Sen. Tom Beck, R-Ohio, speaking on local radio, said the agency moved too slowly.", "Sen. Tom Beck"),
        ("Tom Beck, who lives by the river, told reporters the water smelled of solvent.", "Tom Beck"),
    ],
)
def test_a_named_spokeswoman_is_the_speaker_across_her_title(sentence, speaker):
    found = attribute_sentence(sentence, 0, len(sentence))
    assert (found.speaker if found else None) == speaker
    if found:
        assert sentence[found.start : found.end] == found.speaker


@pytest.mark.parametrize(
    ("sentence", "speaker"),
    [
        ("“It was chaos,” Tom Beck told the Daily Herald after the fire.", "Tom Beck"),  # not the listener
        ("“Zero is a fair estimate,” countered agency chairman Tom Beck.", "agency chairman Tom Beck"),
        ("Fire crews responded within minutes to the call, officials said.", "officials"),
        ("The economy added 171,000 jobs in October.", None),
        ("Canada announced it was expelling four diplomats.", "Canada"),
        ("They've vowed to wait for the election.", None),
        ("Tom Beck, standing beside his wife, Ana, said the plant must close.", "Tom Beck"),
        ("At dawn a tearful Tom Beck, standing beside his wife, Ana, said the plant must close.", None),  # not "Ana"
        ("Chairman of the water board, Ana Ruiz, said the plant must close.", "Ana Ruiz"),
        ("The judge didn't close the plant but instead told the agency to test the water.", None),
        ("On Monday, the board voted to close the plant, said Ana Ruiz, its chair.", "Ana Ruiz"),
        ("A city official initially said the water was safe.", "A city official"),
    ],
)
def test_corpus_lessons(sentence, speaker):
    found = attribute_sentence(sentence, 0, len(sentence))
    assert (found.speaker if found else None) == speaker


@pytest.mark.parametrize(
    ("found", "gold", "right"),
    [
        ("Frieden", "CDC chief Thomas Frieden", True),
        ("Matthew Pottinger, senior director", "Matthew Pottinger", True),
        ("the U.S. Fire Administration", "the U.S. Fire Administration", True),
        ("he", "The Russian Defense Ministry", False),  # was right by substring: "he" in "the"
        ("WASHINGTON — President Obama", "President Obama", False),  # a dateline leaked
        ("the U", "the U.S. Fire Administration", False),
    ],
)
def test_the_eval_counts_a_speaker_right_only_when_it_names_the_labelled_one(found, gold, right):
    assert names_the_speaker(found, gold) is right


@pytest.mark.skipif(not (SHARED / "corpora" / "newswcl50").is_dir() or not (SHARED / "corpora" / "allsides").is_dir(),
                    reason=f"the newswcl50 and allsides corpora are not in {SHARED}")
def test_labelled_sentences_floors():
    figures = evaluate(PROJECT_ROOT / "tests" / "data" / "attribution_labels.jsonl", SHARED)
    print(f"\nattribution: precision {figures.precision:.3f}, recall {figures.recall:.3f} on {figures.sentences}")
    assert figures.sentences >= 350
    assert figures.precision >= 0.95
    assert figures.recall >= 0.85
