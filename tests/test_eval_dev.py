"""The evaluation on the development questions, through the same path as `storybot eval`.

It prints the figures (run with -s to see them) and fails when one falls below its floor. The floors
sit below the figures docs/evaluation.md gives; they guard against regressions and are not targets.
"""

from __future__ import annotations

import pytest

from bot.render_text import render_report
from evaluation import harness as evaluation
from retrieval.engine import Engine
from retrieval.settings import Settings
from tests.conftest import BASIL, DEV_QUESTIONS, PROJECT_ROOT, needs_basil, needs_dev_questions

BASIL_QUESTIONS = PROJECT_ROOT / "tests" / "data" / "basil_dev_questions.jsonl"
OUR_SEED_QUESTIONS = PROJECT_ROOT / "tests" / "data" / "seed_dev_questions.jsonl"


def _evaluate(engine: Engine, path) -> evaluation.EvalReport:
    questions = evaluation.load_questions(path)
    report = evaluation.run(path.name, questions, lambda q: engine.ask(q.q, q.story or engine.library.story_of(q.gold)))
    print("\n" + render_report(report, show_misses=False))
    return report


@pytest.mark.integration
@needs_dev_questions
def test_seed_dev_questions(seed_engine):
    report = _evaluate(seed_engine, DEV_QUESTIONS)
    assert (report.questions, report.gold_pairs, report.null_pairs) == (12, 17, 7)
    assert report.evidence_recall >= 0.7
    assert report.abstain_accuracy >= 0.5


@pytest.mark.integration
def test_our_seed_dev_questions(seed_engine):
    report = _evaluate(seed_engine, OUR_SEED_QUESTIONS)
    assert report.questions >= 20
    assert report.evidence_recall >= 0.65
    assert report.abstain_accuracy >= 0.3


@pytest.mark.integration
@pytest.mark.basil
@needs_basil
def test_basil_dev_questions(tmp_path_factory):
    engine = Engine(Settings(corpus=BASIL, home=tmp_path_factory.mktemp("basil-home")))
    engine.load()  # the build (about 2 minutes on 2 cores) stays out of the latency figures
    report = _evaluate(engine, BASIL_QUESTIONS)
    assert report.questions >= 40
    assert report.evidence_recall >= 0.45
    assert report.abstain_accuracy >= 0.5
