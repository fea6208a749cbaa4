"""`storybot eval` and `storybot calibrate` end to end, on a small corpus of two stories with the fake model."""

from __future__ import annotations

import json
import re

import pytest

from tests.bot.cli.conftest import storybot

ARTICLES = {
    "ferry-fire": {
        "ap": "Ferry fire forces evacuation\n\nA fire on a ferry forced about 300 passengers ashore on Monday. "
              "The coast guard said nobody was hurt. The ferry company blamed an engine fault.",
        "reuters": "Passengers evacuated from burning ferry\n\nAbout 300 passengers left a burning ferry on Monday. "
                   "Officials gave no cause for the fire.",
    },
    "school-vote": {
        "ap": "Town votes to build a school\n\nVoters approved a new school on Tuesday by 812 votes to 640. "
              "The mayor called the result a win for families.",
        "reuters": "School plan passes\n\nA plan for a new school passed on Tuesday. "
                   "Opponents said the tax rise was too steep.",
    },
}
QUESTIONS = [
    {"q": "How many passengers were evacuated?", "story": "ferry-fire",
     "gold": {"ap": ["about 300 passengers"], "reuters": ["About 300 passengers"]}},
    {"q": "What caused the fire?", "story": "ferry-fire", "gold": {"ap": ["blamed an engine fault"], "reuters": None}},
    {"q": "What was the vote count?", "story": "school-vote", "gold": {"ap": ["812 votes to 640"], "reuters": None}},
    {"q": "What did opponents say?", "story": "school-vote", "gold": {"ap": None, "reuters": ["tax rise was too steep"]}},
]


@pytest.fixture(scope="module")
def question_set(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval-cli")
    for story, outlets in ARTICLES.items():
        (root / "corpus" / story).mkdir(parents=True)
        for outlet, text in outlets.items():
            (root / "corpus" / story / f"{outlet}.txt").write_text(text, encoding="utf-8")
    questions = root / "questions.jsonl"
    questions.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS), encoding="utf-8")
    return root, questions


def test_calibrate_fits_and_reports_leave_one_story_out_figures_and_reader_weights(question_set):
    root, questions = question_set
    result = storybot("calibrate", "--loso", "--table", "--reader-weights", "0,0.5", f"{questions}@{root / 'corpus'}",
                      index_dir=root / "home", model="fake")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # fitted on the null pairs and on the gold pairs whose quotes would be right: at most all eight
    assert re.search(r"^fitted on [1-8] \(question, outlet\) pairs over features relevance, ", out, re.M), out
    scored = r"evidence recall \d\.\d{3} \([0-5]/5\), abstain accuracy \d\.\d{3} \([0-3]/3\)$"
    for label in ("leave-one-story-out", "engine alone:", "reader alone:", "combined:"):
        assert re.search(rf"^{label} questions\.jsonl: {scored}", out, re.M), (label, out)
    assert re.search(r"^reader weight 0: questions\.jsonl ", out, re.M) and "reader weight 0.5: questions.jsonl" in out
    assert "STORYBOT_ANSWER_WEIGHTS=" in out and "STORYBOT_READER_WEIGHT=" in out


def test_eval_scores_every_question_and_names_its_misses(question_set):
    root, questions = question_set
    result = storybot("eval", str(questions), "--corpus", str(root / "corpus"), "--json", index_dir=root / "home",
                      model="fake")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)["storybot"]
    assert (report["questions"], report["gold_pairs"], report["null_pairs"]) == (4, 5, 3)
    assert 0 <= report["hits"] <= 5 and 0 <= report["abstains"] <= 3
