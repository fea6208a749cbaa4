"""`storybot feedback`: the 👍 / 👎 votes cast on Discord answers, with the question, story and quotes voted on."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ValidationError

from bot.wording import plural
from index.catalog import Catalog
from retrieval.models import Answer


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


def votes(catalog: Catalog) -> list[Vote]:
    """Every vote in the catalog, oldest first."""
    out = []
    for answer_id, vote, question, story, answer_json, voted_at in catalog.feedback():
        try:
            answer = Answer.model_validate_json(answer_json)
        except ValidationError:  # stored by another version: the vote still counts, its quotes are unknown
            answer = Answer(question=question, story=story, outlets=[])
        quotes = [VotedQuote(source_id=o.source_id, outlet=o.outlet, text=q.text, start=q.start, end=q.end)
                  for o in answer.outlets for q in o.quotes]
        missing = [o.source_id for o in answer.outlets if not o.covered]
        out.append(Vote(answer_id=answer_id, vote="up" if vote > 0 else "down", question=question, story=story,
                        quotes=quotes, not_reported_by=missing, voted_at=voted_at))
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
