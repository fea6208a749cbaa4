"""The pure rules of the Discord story commands, with plain values."""

from __future__ import annotations

import pytest

from bot.discord.stories import add_report_text, channel_story, may_edit, stories_text, story_choices, upload_name
from index.errors import UsageError
from index.library import AddedSource, AddReport, SkippedInput
from index.models import StorySummary


def test_a_thread_answers_from_its_parents_story_and_unbound_channels_from_the_default():
    bound = {10: "bridge", 20: "floods"}
    assert channel_story(bound, 10, None, "seeds") == "bridge"
    assert channel_story(bound, 99, 20, "seeds") == "floods"  # a thread of channel 20
    assert channel_story(bound, 99, None, "seeds") == "seeds"


def test_editors_have_manage_server_or_the_editor_role():
    assert may_edit(True, [], None)
    assert may_edit(False, [5, 7], 7)
    assert not may_edit(False, [5], 7)
    assert not may_edit(False, [5], None)


def test_choices_lists_and_reports_escape_what_users_wrote():
    stories = [StorySummary(story_id="bridge", title="The **bridge** @everyone", sources=["a", "b"]),
               StorySummary(story_id="floods", title="Floods", sources=["c"])]
    assert story_choices(stories, "BRI") == [("The **bridge** @everyone (bridge)", "bridge")]
    assert len(story_choices(stories, "")) == 2
    text = stories_text(stories, "floods")
    assert "▶ `floods`" in text and "\\*\\*bridge\\*\\*" in text and "(2 outlets)" in text
    report = AddReport(added=[AddedSource(source_id="a", story_id="bridge", outlet="[x](http://e.test)", title="T",
                                          passages=3)],
                       skipped=[SkippedInput(path="/tmp/b.pdf", reason="unsupported file type .pdf")])
    shown = add_report_text(report)
    assert "Added `a` to `bridge`" in shown and "[x](http" not in shown and "Skipped /tmp/b.pdf" in shown
    assert add_report_text(AddReport()) == "Nothing was added."


def test_an_upload_is_read_under_a_safe_name_of_a_kind_storybot_reads():
    assert upload_name("Ferry Fire (AP).TXT", 10, 100) == "ferry-fire-ap.txt"
    assert upload_name("..\\..\\etc\\report.html", 10, 100) == "report.html"
    assert upload_name("???.md", 10, 100) == "article.md"
    with pytest.raises(UsageError, match=r"^a \.exe file cannot be added; storybot reads \.htm, \.html"):
        upload_name("ferry.exe", 10, 100)
    with pytest.raises(UsageError, match=r"^a nameless file cannot be added"):
        upload_name("README", 10, 100)
    with pytest.raises(UsageError, match=r"^the file is 2,100,000 bytes; the limit is 2,000,000$"):
        upload_name("huge.txt", 2_100_000, 2_000_000)
    assert upload_name("edge.txt", 2_000_000, 2_000_000) == "edge.txt"
