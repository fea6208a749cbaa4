"""Answer typing: which kinds a question asks for (from its text), and which sentences hold them (for a Question)."""

import pytest

from retrieval.answer_type import answer_type_matches, expected_types, has_answer_type
from retrieval.questions import analyse_question


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("How old is the senator?", ("number", "age")),
        ("What was the final count in the leadership vote?", ("number", "tally")),
        ("How much money did the campaign spend?", ("number", "money")),
        ("How badly was the challenger outspent?", ("number", "money")),
        ("How long is the report?", ("number", "length")),
        ("How long ago did it happen?", ("number", "time")),
        ("Where and when are the leaders meeting?", ("time", "place")),
        ("What was the gunman's name?", ("name",)),
        ("Who is the new minister?", ("person", "name")),
        ("What name does the ministry use for the government?", ()),
        ("Where does the White House stand on the bill?", ()),
        ("What did Paris deny?", ()),
        ("On which day was the call made public?", ("time", "date")),
        ("Which countries were covered by the decision?", ("country",)),
        ("By what date must the president decide?", ("time", "date")),
        ("What is the exact date of the deadline?", ("time", "date")),
        ("In what month did the march set off?", ("time", "month")),
        ("In what year was the accord reached?", ("time", "year")),
        ("Which newspaper first reported the trip?", ("outlet",)),
        ("Which foreign leader was the president hosting?", ("person",)),
        ("Which of the president's lawyers saw the list?", ("person",)),
        ("Which group organised the march?", ("name",)),
        ("In which border city did they gather?", ("place",)),
        ("In what language was the speech given?", ("language",)),
    ],
)
def test_expected_types(question, kinds):
    assert expected_types(question) == kinds


@pytest.mark.parametrize(
    ("sentence", "kind", "holds"),
    [
        ("Mr. Cantor, 51, who is in his seventh term, had sought to counter the charge.", "age", True),
        ("They are all in their 70s now.", "age", True),
        ("She was elected in 2002.", "age", False),
        ("Ms. Pelosi won, 134 to 63, in a secret ballot.", "tally", True),
        ("The measure passed 234-193.", "tally", True),
        ("Turnout rose 5 to 10 percent.", "tally", False),
        ("He raised just over $200,000 for his campaign.", "money", True),
        ("He raised just over 200,000 votes.", "money", False),
        ("Among the allegations in the 48-page indictment were vacations.", "length", True),
        ("The talks in Helsinki on Monday should not go ahead.", "place", True),
        ("the talks should not go ahead.", "place", False),
        ("Both Zambia and Zimbabwe had met the standards.", "country", True),
        ("Elephants from southern Africa.", "country", False),
        ("The French ministry said so.", "country", False),
        ("The president must decide by May 12.", "date", True),
        ("The vote is on Tuesday.", "date", True),
        ("The vote is next month.", "date", False),
        ("They set off in March from the border.", "month", True),
        ("They may set off in the spring.", "month", False),
        ("They set off last month.", "month", False),
        ("The accord was reached in 2015.", "year", True),
        ("The Washington Post first reported the trip.", "outlet", True),
        ("The news was first reported by the Post.", "outlet", True),
        ("The trip was first reported on Tuesday.", "outlet", False),
        ("He gave the speech in English.", "language", True),
        ("He gave the speech in Jerusalem.", "language", False),
    ],
)
def test_narrow_kinds_in_sentences(sentence, kind, holds):
    assert has_answer_type(sentence, kind, analyse_question("a question")) is holds


def test_a_name_the_question_already_gives_is_no_answer():
    question = analyse_question("Who is Dave Brat?")
    assert not has_answer_type("Voters chose Dave Brat on Tuesday.", "person", question)
    assert has_answer_type("He will face Jack Trammell this fall.", "person", question)


def test_each_kind_held_counts_once():
    question = analyse_question("Where and when are the leaders meeting?")
    both = "They meet in Helsinki on Monday."
    assert answer_type_matches(both, question.kinds, question) == 2
    assert answer_type_matches("They will meet soon.", question.kinds, question) == 0
    assert question.kinds == expected_types(question.text)


def test_a_country_the_question_already_names_is_no_answer():
    question = analyse_question("Which country besides Zimbabwe was covered?")
    assert not has_answer_type("Hunters in Zimbabwe were pleased.", "country", question)
    assert has_answer_type("Hunters in Zambia were pleased.", "country", question)


@pytest.mark.parametrize(
    "sentence",
    ["The blast came at 1:28 a.m. local time.", "He met Kim over Easter weekend.",
     "The trip came just days before the summit.", "Officials met early Tuesday morning.",
     "Shortly after the vote, he resigned."],
)
def test_clock_and_relative_times_are_times(sentence):
    assert has_answer_type(sentence, "time", analyse_question("When did it happen?"))


def test_a_sentence_without_a_time_is_not_one():
    assert not has_answer_type("The company said so in a statement.", "time", analyse_question("When did it happen?"))


@pytest.mark.parametrize("question", ["What time did the blast happen?", "How many days before the summit did he go?",
                                      "At what hour was the order given?"])
def test_clock_and_interval_questions_ask_for_a_time(question):
    assert "time" in expected_types(question)


def test_a_time_the_question_already_gives_is_no_answer():
    question = analyse_question("What happened on Monday?")
    assert not has_answer_type("The talks opened on Monday.", "time", question)
    assert has_answer_type("The talks opened on Tuesday.", "time", question)
