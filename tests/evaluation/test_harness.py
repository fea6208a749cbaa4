"""The evaluation harness's arithmetic on a tiny hand-made set, and question-file errors."""

from __future__ import annotations

import re

import pytest

from index.errors import UsageError
from evaluation.harness import EvalQuestion, load_questions, normalize, quote_hits, run, score
from retrieval.models import Answer, OutletAnswer, Quote


def _outlet(source_id: str, *quotes: str, covered: bool | None = None) -> OutletAnswer:
    return OutletAnswer(
        source_id=source_id,
        outlet=f"Outlet {source_id}",
        title="t",
        covered=bool(quotes) if covered is None else covered,
        quotes=[Quote(text=q, start=0, end=len(q), score=0.5) for q in quotes],
    )


def _answer(question: str, *outlets: OutletAnswer) -> Answer:
    return Answer(question=question, story="story", outlets=list(outlets))


# --- normalisation and hits -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("  Hello\n\t World  ", "hello world"),
        ("“Curly” and ‘single’ „low‚", "\"curly\" and 'single' \"low'"),
        ("It’s France’s", "it's france's"),
        ("MIXED Case", "mixed case"),
        ("", ""),
    ],
)
def test_normalize(raw, normal):
    assert normalize(raw) == normal


def test_quote_hits_ignores_case_whitespace_and_quote_style():
    quote = "Shoigu warned that France would “have problems\n of its own.”"
    assert quote_hits([quote], ['WOULD "HAVE PROBLEMS OF ITS OWN."'])
    assert quote_hits([quote], ["nothing like it", "warned  that"])
    assert not quote_hits([quote], ["problems of their own"])


def test_only_the_first_two_quotes_count():
    quotes = ["first quote", "second quote", "third quote holds the phrase"]
    assert quote_hits(quotes, ["second"])
    assert not quote_hits(quotes, ["holds the phrase"])


def test_no_quotes_never_hit():
    assert not quote_hits([], ["anything"])


# --- score ----------------------------------------------------------------------------------------


@pytest.fixture
def tiny():
    """Three questions over sources a and b: 4 gold pairs (2 hit) and 2 null pairs (1 right)."""
    questions = [
        EvalQuestion(q="Q1", gold={"a": ["Paris denied"], "b": ["Moscow said"]}),
        EvalQuestion(q="Q2", gold={"a": None, "b": ["the ministry"]}),
        EvalQuestion(q="Q3", gold={"a": ["never quoted"], "b": None}),
    ]
    answers = [
        _answer("Q1", _outlet("a", "Later, PARIS  denied this."), _outlet("b", "Kyiv said nothing.")),
        _answer("Q2", _outlet("a"), _outlet("b", "An aide to The Ministry spoke.")),
        _answer("Q3", _outlet("a"), _outlet("b", "Something irrelevant.")),
    ]
    return questions, answers


def test_score_counts(tiny):
    questions, answers = tiny
    report = score("tiny", questions, answers, [0.010, 0.020, 0.030])
    assert report.name == "tiny"
    assert report.questions == 3
    assert (report.gold_pairs, report.hits) == (4, 2)
    assert (report.null_pairs, report.abstains) == (2, 1)
    assert report.evidence_recall == 0.5
    assert report.abstain_accuracy == 0.5


def test_score_misses(tiny):
    questions, answers = tiny
    misses = score("tiny", questions, answers, []).misses
    assert [(m.question, m.source_id, m.outlet, m.expected, m.quoted) for m in misses] == [
        ("Q1", "b", "Outlet b", ["Moscow said"], ["Kyiv said nothing."]),
        ("Q3", "a", "Outlet a", ["never quoted"], []),
        ("Q3", "b", "Outlet b", None, ["Something irrelevant."]),
    ]


def test_score_latency_percentiles(tiny):
    questions, answers = tiny
    report = score("tiny", questions, answers, [0.010, 0.020, 0.030])
    assert report.latency_ms_p50 == 20.0
    assert report.latency_ms_p95 == 29.0
    assert report.latency_ms_max == 30.0
    empty = score("tiny", questions, answers, [])
    assert (empty.latency_ms_p50, empty.latency_ms_p95, empty.latency_ms_max) == (0.0, 0.0, 0.0)


def test_covered_outlet_with_null_gold_is_a_wrong_abstain():
    question = EvalQuestion(q="Q", gold={"a": None})
    covered_without_quotes = _answer("Q", _outlet("a", covered=True))
    quoted = _answer("Q", _outlet("a", "a quote"))
    silent = _answer("Q", _outlet("a"))
    assert score("x", [question], [covered_without_quotes], []).abstains == 0
    assert score("x", [question], [quoted], []).abstains == 0
    assert score("x", [question], [silent], []).abstains == 1


def test_source_missing_from_the_answer():
    """Every source must be listed: one missing from the answer is a miss even where the gold is null."""
    question = EvalQuestion(q="Q", gold={"a": ["phrase"], "z": None})
    report = score("x", [question], [_answer("Q", _outlet("a", "the phrase"))], [])
    assert (report.hits, report.abstains) == (1, 0)
    assert [m.source_id for m in report.misses] == ["z"]
    gold_only = EvalQuestion(q="Q", gold={"z": ["phrase"]})
    [miss] = score("x", [gold_only], [_answer("Q", _outlet("a", "the phrase"))], []).misses
    assert (miss.source_id, miss.outlet, miss.quoted) == ("z", "?", [])


def test_rates_are_one_when_there_is_nothing_to_measure():
    only_null = score("x", [EvalQuestion(q="Q", gold={"a": None})], [_answer("Q", _outlet("a"))], [])
    assert (only_null.gold_pairs, only_null.evidence_recall, only_null.abstain_accuracy) == (0, 1.0, 1.0)


def test_rates_are_rounded_to_four_places():
    questions = [EvalQuestion(q=f"Q{i}", gold={"a": ["hit"]}) for i in range(3)]
    answers = [_answer("Q0", _outlet("a", "hit")), _answer("Q1", _outlet("a")), _answer("Q2", _outlet("a"))]
    assert score("x", questions, answers, []).evidence_recall == 0.3333


def test_score_needs_one_answer_per_question(tiny):
    questions, answers = tiny
    with pytest.raises(ValueError):
        score("tiny", questions, answers[:2], [])


def test_run_asks_every_question_in_order(tiny):
    questions, answers = tiny
    asked = []

    def ask(question: EvalQuestion) -> Answer:
        asked.append(question.q)
        return answers[len(asked) - 1]

    report = run("tiny", questions, ask)
    assert asked == ["Q1", "Q2", "Q3"]
    assert (report.hits, report.abstains) == (2, 1)
    assert report.latency_ms_max >= report.latency_ms_p95 >= report.latency_ms_p50 >= 0


# --- load_questions -------------------------------------------------------------------------------


def _file(tmp_path, text: str, name: str = "questions.jsonl"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_questions(tmp_path):
    path = _file(
        tmp_path,
        '{"q": "What did Paris deny?", "gold": {"a": ["x"], "b": null}}\n\n'
        '{"q": "Q2", "story": "s1", "gold": {"a": null}}\n',
    )
    first, second = load_questions(path)
    assert (first.q, first.gold, first.story) == ("What did Paris deny?", {"a": ["x"], "b": None}, None)
    assert (second.q, second.story) == ("Q2", "s1")


@pytest.mark.parametrize("text, error", [
    ('{"q": "ok", "gold": {"a": null}}\n{not json\n', ":2 is not a question record: Invalid JSON"),
    ('\n{"q": "no gold"}\n', ":2 is not a question record: Field required$"),
    ('{"q": "Q", "gold": {"a": "a phrase, not a list"}}\n', ":1 is not a question record: "),
    ("\n   \n", " holds no questions$"),
], ids=["bad-json-names-the-line", "missing-field-names-the-line", "gold-of-the-wrong-type", "empty-file"])
def test_a_bad_question_file_is_one_error_naming_the_file(tmp_path, text, error):
    path = _file(tmp_path, text)
    with pytest.raises(UsageError, match=rf"^{re.escape(str(path))}{error}"):
        load_questions(path)


def test_missing_question_file(tmp_path):
    path = tmp_path / "nope.jsonl"
    with pytest.raises(UsageError, match=rf"^cannot read question file {re.escape(str(path))}: No such file or directory$"):
        load_questions(path)


def test_non_utf8_question_file(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes('{"q": "Caf\u00e9?", "gold": {"a": null}}\n'.encode("latin-1"))
    with pytest.raises(UsageError, match=re.escape(str(path))):
        load_questions(path)
