"""Pure rules of the Discord story commands: which story a channel answers from, who may edit, reports.

No discord import: the cog passes plain ids, permission flags and role ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath

from bot.discord.layout.text import escape
from bot.wording import plural
from index.errors import UsageError
from index.ingest import HTML_SUFFIXES, TEXT_SUFFIXES
from index.library import AddReport, slug
from index.models import StorySummary


def channel_story(bound: dict[int, str], channel_id: int | None, parent_id: int | None, default: str | None) -> str | None:
    """The story a channel answers from: its own binding, else its parent's (a thread), else the default."""
    for key in (channel_id, parent_id):
        if key is not None and key in bound:
            return bound[key]
    return default


def may_edit(manage_guild: bool, role_ids: Iterable[int], editor_role: int | None) -> bool:
    """Editors are members with Manage Server, or with the configured editor role."""
    return manage_guild or (editor_role is not None and editor_role in set(role_ids))


def upload_name(filename: str, size: int, limit: int) -> str:
    """The file name an attachment given to /story add is read under (its stem made safe, its suffix
    kept), or a UsageError when storybot cannot read that kind of file or it exceeds the size limit."""
    name = PurePath(filename.replace("\\", "/")).name
    suffix = PurePath(name).suffix.lower()
    if suffix not in TEXT_SUFFIXES | HTML_SUFFIXES:
        kinds = ", ".join(sorted(TEXT_SUFFIXES | HTML_SUFFIXES))
        raise UsageError(f"a {suffix or 'nameless'} file cannot be added; storybot reads {kinds}")
    if size > limit:
        raise UsageError(f"the file is {size:,} bytes; the limit is {limit:,}")
    return f"{slug(PurePath(name).stem, 'article')}{suffix}"


def story_choices(stories: Iterable[StorySummary], typed: str) -> list[tuple[str, str]]:
    """Up to 25 (label, story id) pairs matching what the user typed, for autocomplete."""
    typed = typed.strip().lower()
    found = [(f"{s.title} ({s.story_id})"[:100], s.story_id) for s in stories
             if typed in s.story_id.lower() or typed in s.title.lower()]
    return found[:25]


def stories_text(stories: list[StorySummary], current: str | None) -> str:
    """`/story list`: each story with its source count; the channel's own is marked."""
    if not stories:
        return "The library holds no story yet."
    lines = [f"{'▶ ' if s.story_id == current else ''}`{s.story_id}` — {escape(s.title[:150])} ({plural(len(s.sources), 'outlet')})"
             for s in stories[:40]]
    if len(stories) > 40:
        lines.append(f"…and {len(stories) - 40} more")
    return "\n".join(lines)


def add_report_text(report: AddReport) -> str:
    """`/story add`: what was added and what was skipped, and why."""
    lines = [f"Added `{a.source_id}` to `{a.story_id}`: {escape(a.outlet[:80])} — {escape(a.title[:150])} "
             f"({plural(a.passages, 'passage')})" for a in report.added]
    lines += [f"Skipped {escape(s.path[-120:])}: {escape(s.reason[:200])}" for s in report.skipped]
    return "\n".join(lines)[:1900] or "Nothing was added."
