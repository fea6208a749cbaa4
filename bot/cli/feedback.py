"""`storybot feedback`: the 👍 / 👎 votes cast on Discord answers, with the question, story and quotes voted on."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Literal

import typer
from pydantic import BaseModel, ValidationError

from bot.cli import options
from bot.cli.options import CorpusOpt, JsonOpt
from bot.wording import plural

if TYPE_CHECKING:
    from index.library import Library

app = typer.Typer()


class VotedQuote(BaseModel):
    """One quote of an answer that was voted on."""

    source_id: str
    outlet: str
    text: str
    start: int
    end: int


class Vote(BaseModel):
    """One user's vote on one answer (voters are not named: their ids stay in the catalog)."""

    answer_id: str
    vote: Literal["up", "down"]
    question: str
    story: str
    quotes: list[VotedQuote]
    not_reported_by: list[str]
    voted_at: str


def votes(library: Library) -> list[Vote]:
    """Every vote in the library, oldest first."""
    from retrieval.models import Answer

    out = []
    for record in library.feedback():
        try:
            answer = Answer.model_validate_json(record.answer_json)
        except ValidationError:  # stored by another version: the vote still counts, its quotes are unknown
            answer = Answer(question=record.question, story=record.story_id, outlets=[])
        quotes = [VotedQuote(source_id=o.source_id, outlet=o.outlet, text=q.text, start=q.start, end=q.end)
                  for o in answer.outlets for q in o.quotes]
        missing = [o.source_id for o in answer.outlets if not o.covered]
        out.append(Vote(answer_id=record.answer_id, vote="up" if record.vote > 0 else "down",
                        question=record.question, story=record.story_id, quotes=quotes, not_reported_by=missing,
                        voted_at=record.voted_at))
    return out


def render_votes(listed: list[Vote]) -> str:
    """One block per vote: the vote, when, story and question, then each quote with its source."""
    if not listed:
        return "No votes yet. They are cast with the 👍 / 👎 buttons under the bot's answers on Discord.\n"
    ups = sum(v.vote == "up" for v in listed)
    lines = [f"{plural(len(listed), 'vote')}: {ups} 👍, {len(listed) - ups} 👎", ""]
    for v in listed:
        lines.append(f"{'👍' if v.vote == 'up' else '👎'} {v.voted_at}  [{v.story}]  {v.question}")
        lines += [f"    {q.source_id} {q.start}–{q.end}: {q.text}" for q in v.quotes]
        if v.not_reported_by:
            lines.append(f"    not reported by: {', '.join(v.not_reported_by)}")
    return "\n".join(lines) + "\n"


@app.command()
def feedback(corpus: CorpusOpt = None, json_: JsonOpt = False) -> None:
    """Export the 👍 / 👎 votes on the Discord bot's answers, with question, story and quotes."""
    listed = votes(options.engine(options.settings(corpus)).library)  # the library the bot stores its votes in
    options.out(json.dumps([v.model_dump() for v in listed], indent=2, ensure_ascii=False) + "\n" if json_
                else render_votes(listed))
