"""Plain-text rendering of answers and sources for the terminal (no rich markup, no discord)."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from bot.wording import plural
from index.models import source_label

if TYPE_CHECKING:  # annotations only: importing these would slow every command's start
    from index.library import AddReport
    from retrieval.models import Answer, Source, SourceSummary, StorySummary

WIDTH = 100


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(text, width=WIDTH, initial_indent=indent, subsequent_indent=indent)


def render_answer(answer: Answer) -> str:
    """Each outlet under its name: its quotes with citations, or 'not reported by …'."""
    lines = [f"Q: {answer.question}", f"   story: {answer.story}", ""]
    for entry in answer.outlets:
        lines.append(f"■ {entry.outlet} — {entry.title}")
        if not entry.covered:
            lines.append("    not reported")  # the outlet is named on the line above
        for quote in entry.quotes:
            lines.append(_wrap(quote.text, "    │ "))
            said = f" · attributed to {quote.attribution.speaker}" if quote.attribution else ""
            lines.append(f"      — {entry.source_id}, chars {quote.start}–{quote.end}, score {quote.score:.2f}{said}")
        lines.append("")
    if answer.differences:
        lines.append("Outlets differ: " + "; ".join(answer.differences))
    return "\n".join(lines).rstrip() + "\n"


def render_comparison(comparison) -> str:
    """Groups of quotes: what outlets share, where they conflict, what only one reports."""
    titles = {"conflict": "CONFLICT", "shared": "SHARED", "only": "ONLY"}
    lines = [f"story: {comparison.story} — {plural(len(comparison.groups), 'group')}", ""]
    for group in comparison.groups:
        lines.append(f"■ {titles[group.kind]}: {group.note}")
        for quote in group.quotes:
            lines.append(_wrap(quote.text, "    │ "))
            said = f" · attributed to {quote.attribution.speaker}" if quote.attribution else ""
            lines.append(f"      — {source_label(quote.outlet, quote.source_id)}, chars {quote.start}–{quote.end}{said}")
        lines.append("")
    if not comparison.groups:
        lines.append("nothing to compare (no group matched)")
    return "\n".join(lines).rstrip() + "\n"


def render_sources(sources: list[SourceSummary]) -> str:
    rows = [f"{s.source_id}  {s.outlet}  ({plural(s.passages, 'passage')})\n    {s.title}" for s in sources]
    return "\n".join(rows) + "\n"


def render_source(source: Source, passages: int) -> str:
    head = [
        f"id:       {source.source_id}",
        f"story:    {source.story_id}",
        f"outlet:   {source.outlet}",
        f"title:    {source.title}",
    ]
    head += [f"{k + ':':<9} {v}" for k, v in (("url", source.url), ("date", source.date), ("author", source.author),
                                               ("language", source.language), ("credit", source.credit)) if v]
    head += [f"passages: {passages}", f"chars:    {len(source.text)}", "", ""]
    return "\n".join(head) + source.text + ("" if source.text.endswith("\n") else "\n")


def render_stories(stories: list[StorySummary]) -> str:
    if not stories:
        return "the library holds no story yet; add articles with `storybot add PATH_OR_URL`\n"
    return "\n".join(f"{s.story_id}  {s.title}  ({plural(len(s.sources), 'source')})" + ("  (default)" if s.default else "")
                     for s in stories) + "\n"


def render_add(report: AddReport) -> str:
    """What `storybot add` did, one line per source added or input skipped, then the embedding counts."""
    lines = [f"added {a.source_id} to {a.story_id}: {a.outlet} — {a.title} ({plural(a.passages, 'passage')})"
             for a in report.added]
    lines += [f"skipped {s.path}: {s.reason}" for s in report.skipped]
    lines += [f"created the story {story} ({plural(sum(a.story_id == story for a in report.added), 'source')})"
              for story in report.created]
    if report.added:
        lines.append(f"{plural(report.embedded, 'passage')} embedded, {report.reused} found in the embedding cache")
    elif any(s.duplicate for s in report.skipped):
        lines.append("nothing new: every article read is already in the library")
    return "\n".join(lines) + "\n"


def render_interrupted_add(report: AddReport, not_added: list[str]) -> tuple[str, str]:
    """Ctrl-C during `storybot add`: what was added (stdout) and a one-line summary for stderr."""
    lines = [f"added {a.source_id} to {a.story_id}: {a.outlet} — {a.title} ({plural(a.passages, 'passage')})"
             for a in report.added]
    lines += [f"not added (interrupted): {origin}" for origin in not_added]
    shown = ", ".join(not_added[:3]) + (f" and {len(not_added) - 3} more" if len(not_added) > 3 else "")
    if not not_added:
        summary = "interrupted after every article was added; the vector store catches up on the next use"
    elif report.added:
        summary = (f"interrupted after adding {plural(len(report.added), 'article')}; not added: {shown} "
                   "(run the same `storybot add` again to add the rest)")
    else:
        summary = f"interrupted before any article was added; not added: {shown}"
    return ("\n".join(lines) + "\n" if lines else ""), summary
