"""Terminal rendering on plain values: counted nouns, and each outlet named once."""

from __future__ import annotations

from bot.cli import render_text
from bot.cli.feedback import Vote, render_votes
from bot.wording import plural
from index.library import AddedSource, AddReport
from index.models import SourceSummary, StorySummary
from retrieval.comparison import Comparison
from retrieval.models import Answer, OutletAnswer


def test_plural_is_singular_for_exactly_one():
    assert [plural(n, "source") for n in (0, 1, 2)] == ["0 sources", "1 source", "2 sources"]
    assert plural(1, "story", "stories") == "1 story" and plural(3, "story", "stories") == "3 stories"


def test_counts_of_one_read_in_the_singular():
    assert render_text.render_stories([StorySummary(story_id="s", title="T", sources=["a"])]) == "s  T  (1 source)\n"
    assert "(1 passage)" in render_text.render_sources([SourceSummary(source_id="a", story_id="s", outlet="ap",
                                                                      title="T", passages=1)])
    assert render_text.render_comparison(Comparison(story="s", groups=[])).startswith("story: s — 0 groups\n")
    report = AddReport(added=[AddedSource(source_id="a", story_id="s", outlet="ap", title="T", passages=1)], embedded=1)
    assert render_text.render_add(report).splitlines()[0].endswith("(1 passage)")
    assert "1 passage embedded" in render_text.render_add(report)
    vote = Vote(answer_id="x", vote="up", question="Q?", story="s", quotes=[], not_reported_by=[], voted_at="t")
    assert render_votes([vote]).startswith("1 vote: 1 👍, 0 👎")


def test_not_reported_does_not_repeat_the_outlet_named_above():
    answer = Answer(question="What?", story="s", outlets=[OutletAnswer(source_id="ap", outlet="ap", title="Head",
                                                                       covered=False)])
    text = render_text.render_answer(answer)
    assert "■ ap — Head\n    not reported\n" in text and "not reported by" not in text
