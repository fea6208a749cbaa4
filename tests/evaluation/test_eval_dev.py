"""The evaluation on the development questions, through the same path as `storybot eval`.

It prints the figures (run with -s to see them) and fails when one falls below its floor. Each floor
sits two or three pairs below the shipped figure docs/evaluation.md gives, so a real regression fails
it; they are not targets.
"""

from __future__ import annotations

import pytest

from evaluation.render import render_report
from evaluation import harness as evaluation
from retrieval.engine import Engine
from retrieval.settings import Settings
from tests.conftest import BASIL, DEV_QUESTIONS, PROJECT_ROOT, needs_basil, needs_dev_questions

BASIL_QUESTIONS = PROJECT_ROOT / "tests" / "data" / "basil_dev_questions.jsonl"
SEED_QUESTIONS = PROJECT_ROOT / "tests" / "data" / "seed_dev_questions.jsonl"


def _evaluate(engine: Engine, path) -> evaluation.EvalReport:
    questions = evaluation.load_questions(path)
    report = evaluation.run(path.name, questions, lambda q: engine.ask(q.q, q.story or engine.library.story_of(q.gold)))
    print("\n" + render_report(report, show_misses=False))
    return report


@pytest.mark.integration
@pytest.mark.parametrize("path, counts, floors", [
    pytest.param(DEV_QUESTIONS, (12, 17, 7), (11, 6), marks=needs_dev_questions, id="seed-dev-questions"),  # shipped: 13/17, 7/7
    pytest.param(SEED_QUESTIONS, (20, 25, 15), (18, 8), id="seed-questions-of-the-project"),  # shipped: 20/25, 10/15
])
def test_seed_questions(seed_engine, path, counts, floors):
    report = _evaluate(seed_engine, path)
    assert (report.questions, report.gold_pairs, report.null_pairs) == counts
    hits, abstains = floors
    assert report.hits >= hits and report.abstains >= abstains


@pytest.mark.integration
@pytest.mark.basil
@needs_basil
def test_basil_dev_questions(tmp_path_factory):
    # An answer reads only its own story, so a library of the ten dev stories answers as the whole corpus's
    # does (same figures) and builds in a tenth of the time.
    corpus = tmp_path_factory.mktemp("basil-dev") / "basil"
    stories = {q.story for q in evaluation.load_questions(BASIL_QUESTIONS)}
    for article in BASIL.rglob("*.json"):
        if article.stem.rsplit("_", 1)[0] in stories:
            (corpus / article.parent.name).mkdir(parents=True, exist_ok=True)
            (corpus / article.parent.name / article.name).symlink_to(article)
    engine = Engine(Settings(corpus=corpus, home=tmp_path_factory.mktemp("basil-home")))
    engine.load()  # the build stays out of the latency figures
    report = _evaluate(engine, BASIL_QUESTIONS)
    assert (report.questions, report.gold_pairs, report.null_pairs) == (90, 177, 93)
    assert report.hits >= 113  # shipped: 116 of 177
    assert report.abstains >= 68  # shipped: 71 of 93
