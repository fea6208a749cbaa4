"""`storybot feedback`: the votes the Discord cog stored, exported."""

from __future__ import annotations

import json

import pytest

from tests.bot.cli.conftest import fast, seed_text
from tests.conftest import SEEDS


class _Reply:
    """The part of a discord.py interaction response the vote handler answers through."""

    def __init__(self):
        self.sent: list[str] = []

    async def send_message(self, content: str, **_kwargs) -> None:
        self.sent.append(content)


async def _vote_as_the_bot_does(engine, question: str, votes: list[tuple[int, str]]) -> str:
    """Answer through the Discord cog (which stores the answer) and click its vote buttons; return the answer id."""
    from types import SimpleNamespace

    from bot.discord.button_cog import ButtonCog
    from bot.discord.layout.pages import parse_custom_id
    from bot.discord.settings import DiscordSettings
    from bot.discord.story_cog import StoryCog
    from tests.bot.discord.fake import snowflake_token

    settings = DiscordSettings(_env_file=None, discord_token=snowflake_token(1098765432109876543))
    bot = SimpleNamespace(engine=engine, settings=settings, answer_pool=None)
    cog = StoryCog(bot)
    buttons_cog = ButtonCog(bot, cog)
    message = await cog.answer(question, SimpleNamespace(id=1), user_id=2)
    buttons = [parse_custom_id(b["custom_id"]) for row in message.components for b in row["components"]]
    by_arg = {b.arg: b for b in buttons if b is not None and b.kind == "vote"}
    for user_id, arg in votes:
        reply = _Reply()
        await buttons_cog.on_vote(SimpleNamespace(user=SimpleNamespace(id=user_id), response=reply), by_arg[arg])
        assert reply.sent, "the clicker hears back"
    return by_arg["up"].answer_id


@pytest.mark.parametrize("with_corpus", [False, True], ids=["library", "corpus"])
async def test_feedback_lists_the_votes_the_bot_stored(tmp_path, with_corpus):
    """Votes cast through the Discord cog's own handlers (fake embedder) are what `storybot feedback` lists."""
    from index.embedding import FakeEmbedder
    from retrieval.engine import Engine
    from retrieval.settings import Settings

    home, corpus = tmp_path / "fb-home", tmp_path / "corpus"
    (corpus / "story").mkdir(parents=True)
    for name in ("000_5ace3053a7754062.txt", "004_c92dd615dfce2fa4.txt", "sources.json"):
        (corpus / "story" / name).write_bytes((SEEDS / name).read_bytes())
    where = ("--corpus", str(corpus)) if with_corpus else ()
    assert "No votes yet" in fast("feedback", *where, index_dir=home).stdout
    # every outlet quoted (answerability off), so the export has quotes to carry whatever the fake reader says
    engine = Engine(Settings(home=home, model="fake", corpus=corpus if with_corpus else None,
                             disable=frozenset({"answerability"})), embedder=FakeEmbedder())
    answer_id = await _vote_as_the_bot_does(engine, "What did Paris deny?", [(10, "up"), (10, "down"), (11, "up")])
    engine.library.close()
    result = fast("feedback", "--json", *where, index_dir=home)
    assert result.returncode == 0, result.stderr
    exported = json.loads(result.stdout)
    assert [(v["answer_id"], v["vote"]) for v in exported] == [(answer_id, "down"), (answer_id, "up")]
    first = exported[0]
    assert (first["question"], first["story"]) == ("What did Paris deny?", "shoigu-lecornu-call-2024")
    assert first["quotes"] and all(q["text"] in seed_text(q["source_id"]) for q in first["quotes"])
    assert "user" not in json.dumps(exported)
    text = fast("feedback", *where, index_dir=home).stdout
    assert text.startswith("2 votes: 1 👍, 1 👎")
    assert not (home / "catalog.sqlite").exists(), "no stray catalog beside the library"
