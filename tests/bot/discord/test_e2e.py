"""The real discord.py client and the real engine, against the loopback Discord in tests/bot/discord/fake.py."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import statistics
import time

import aiohttp
import discord
import pytest

from bot.discord.bot import StoryBot, serve
from bot.discord.errors import SOMETHING_WENT_WRONG, DiscordUnreachable
from bot.discord.layout.answers import answer_message
from bot.discord.layout.pages import parse_custom_id
from bot.discord.layout.text import measure
from bot.discord.settings import ConfigError, DiscordSettings
from retrieval.engine import Engine
from index.errors import StoreError
from retrieval.settings import Settings
from tests.conftest import DENIAL_SENTENCE
from tests.bot.discord.fake import EPHEMERAL, FakeDiscord, NoDNS

pytestmark = [pytest.mark.discord, pytest.mark.asyncio(loop_scope="session")]

NO_PINGS = {"parse": [], "replied_user": False}


def bot_settings(fake: FakeDiscord, **overrides) -> DiscordSettings:
    values = dict(discord_token=fake.token, discord_guild_id=fake.guild_id, discord_channels=[fake.channel_id],
                  discord_cooldown_rate=5, discord_cooldown_seconds=30)
    return DiscordSettings(_env_file=None, **(values | overrides))


def client_options() -> dict:
    # No name ever resolves, so nothing can leave 127.0.0.1; READY is not held back 2 s for more guilds.
    return {"connector": aiohttp.TCPConnector(resolver=NoDNS()), "guild_ready_timeout": 0.1}


@pytest.fixture(scope="session")
async def fake():
    fake = FakeDiscord()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture(scope="session")
async def storybot(fake, seed_engine):
    with fake.pointed_at():
        bot = StoryBot(seed_engine, bot_settings(fake), sync=True, **client_options())
        runner = asyncio.create_task(bot.start(fake.token))
        ready = asyncio.create_task(bot.wait_until_ready())
        await asyncio.wait({runner, ready}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            ready.cancel()
            why = runner.exception() if runner.done() else "no READY within 30 s"
            await bot.close()
            await asyncio.wait({runner}, timeout=10)
            raise RuntimeError(f"the bot did not become ready: {why!r}")
        yield bot
        await asyncio.wait_for(bot.close(), 10)
        await asyncio.wait_for(runner, 10)


@pytest.fixture
def refusals_expected():
    """Marks a test that provokes refusals on purpose."""


@pytest.fixture(autouse=True)
def nothing_refused(request, fake):
    """Whatever a test does, the bot never makes a request Discord would refuse, and no message it sends
    (answers, pages, context, notes, thread messages) could ping anyone."""
    fake.rejections.clear()
    already = len(fake.sent)
    yield
    if "refusals_expected" not in request.fixturenames:
        assert fake.rejections == [], "the loopback Discord refused requests"
    fake.rejections.clear()
    for sent in fake.sent[already:]:
        assert sent.pings == frozenset(), sent.message.get("content")
        assert (sent.payload.get("allowed_mentions") or {"parse": None}).get("parse") == [], sent.route


@contextlib.asynccontextmanager
async def loop_lag(every: float):
    """Measure the event loop's lag: how late each `every`-second sleep wakes, while the block runs."""
    lags: list[float] = []

    async def probe() -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(every)
            lags.append(time.monotonic() - before - every)

    prober = asyncio.create_task(probe())
    try:
        yield lags
    finally:
        prober.cancel()


def outlets(engine: Engine) -> list[str]:
    return [s.outlet for s in engine.sources()]


async def test_commands_are_registered_with_descriptions(storybot, fake):
    commands = {c["name"]: c for c in fake.commands[fake.guild_id]}
    assert set(commands) == {"ask", "compare", "sources", "source", "help", "story"}
    assert all(c["description"] for c in commands.values())
    (question,) = commands["ask"]["options"]
    assert question["name"] == "question" and question["required"] and question["description"]
    assert (question["min_length"], question["max_length"]) == (3, 300)
    (source_id,) = commands["source"]["options"]
    assert source_id["name"] == "id" and source_id["autocomplete"] is True
    assert fake.identify["intents"] & (1 << 15), "the message-content intent is requested"


async def test_a_mention_is_answered_with_the_denial_sentence(storybot, fake):
    asked = await fake.post_message(f"{fake.mention()} what did Paris deny?")
    reply = await fake.wait_reply(asked)
    assert DENIAL_SENTENCE in reply.message["content"].replace("\\", "")
    assert reply.payload["allowed_mentions"] == NO_PINGS and reply.pings == frozenset()
    assert all(outlet.split(" ")[0] in reply.message["content"] for outlet in outlets(storybot.engine))


async def test_a_reply_to_the_bot_is_a_question(storybot, fake):
    first = await fake.wait_reply(await fake.post_message(f"{fake.mention()} what did Paris deny?"))
    follow_up = await fake.post_message("And what did Moscow say about troops?", reply_to=first.message)
    reply = await fake.wait_reply(follow_up)
    assert "Moscow say about troops" in reply.message["content"]


async def test_unaddressed_messages_bots_and_other_channels_are_ignored(storybot, fake):
    ignored = [
        await fake.post_message("what did Paris deny?"),
        await fake.post_message(f"{fake.mention()} what did Paris deny?", author=fake.new_user("relay", bot=True)),
        await fake.post_message(f"{fake.mention()} what did Paris deny?", channel_id=fake.other_channel_id),
        await fake.post_message("@everyone what did Paris deny?"),
        await fake.post_message(f"{fake.mention()} what did Paris deny?", author=fake.bot_user),
    ]
    # Events are handled in order, so once a later question is answered the earlier ones were seen.
    await fake.wait_reply(await fake.post_message(f"{fake.mention()} what did Paris deny?"))
    assert all(fake.replies_to(message) == [] for message in ignored)


async def test_ask_defers_then_edits_the_original_with_every_outlet(storybot, fake):
    interaction = await fake.wait_answered(await fake.invoke("ask", {"question": "What did Paris deny?"}))
    assert interaction.deferred and interaction.ack_latency < 3
    (reply,) = interaction.replies
    assert reply is interaction.original and not reply["flags"] & EPHEMERAL
    assert DENIAL_SENTENCE in reply["content"].replace("\\", "")
    for outlet in outlets(storybot.engine):
        assert outlet.split(" ")[0] in reply["content"]
    edit = next(s for s in fake.sent if s.message["id"] == reply["id"])
    assert edit.route == "edit_original" and edit.payload["allowed_mentions"]["parse"] == []


async def test_sources_lists_both_seeds_ephemerally(storybot, fake):
    interaction = await fake.wait_answered(await fake.invoke("sources"))
    assert interaction.ack_type == 4
    (reply,) = interaction.replies
    assert reply["flags"] & EPHEMERAL
    (embed,) = reply["embeds"]
    text = json.dumps(embed, ensure_ascii=False)
    for source in storybot.engine.sources():
        assert source.source_id in text and f"{source.passages} passages" in text
        assert source.outlet.split(" ")[0] in text


async def test_source_autocompletes_and_shows_one_source(storybot, fake):
    typed = await fake.wait_answered(await fake.invoke("source", {"id": "unnamed"}, focused="id"))
    assert [c["value"] for c in typed.choices] == ["004_c92dd615dfce2fa4"]
    shown = await fake.wait_answered(await fake.invoke("source", {"id": "004_c92dd615dfce2fa4"}))
    (reply,) = shown.replies
    assert reply["flags"] & EPHEMERAL
    (embed,) = reply["embeds"]
    assert embed["title"].startswith("French and Russian defence ministers")
    assert "Lecornu" in embed["description"]
    unknown = await fake.wait_answered(await fake.invoke("source", {"id": "nope"}))
    (reply,) = unknown.replies
    assert reply["flags"] & EPHEMERAL and "no source 'nope'" in reply["content"]


async def test_help_explains_with_an_example(storybot, fake):
    (reply,) = (await fake.wait_answered(await fake.invoke("help"))).replies
    assert "What did Paris deny?" in reply["content"] and reply["flags"] & EPHEMERAL


async def test_everyone_and_role_mentions_ping_nobody(storybot, fake):
    text = f"{fake.mention()} @everyone @here <@&{fake.role_id}> what did Paris deny?"
    reply = await fake.wait_reply(await fake.post_message(text))
    assert reply.payload["allowed_mentions"] == NO_PINGS and reply.pings == frozenset()
    assert "@everyone" not in reply.message["content"]  # shown as text, broken by a zero-width space
    interaction = await fake.wait_answered(await fake.invoke("ask", {"question": "@everyone what did Paris deny?"}))
    edit = next(s for s in fake.sent if s.message["id"] == interaction.original["id"])
    assert edit.payload["allowed_mentions"]["parse"] == [] and edit.pings == frozenset()


LONG_STORY = {
    "story": {"id": "long-denials", "title": "Ministries deny the talks"},
    "sources": {f"{i:03d}_long": {"outlet": f"Outlet {i} **Daily** @everyone", "title": f"Report {i}",
                                  "url": f"https://news.example/report-{i}"} for i in range(6)},
}


def long_article(i: int) -> str:
    clauses = ", ".join(f"according to official number {n} of outlet {i}, whose statement ran to many words"
                        for n in range(6))
    return (f"Report {i}\n\nWeather was mild in the capital on Wednesday.\n\n"
            f"The defence ministry in Paris denied that any talks about Ukraine had taken place with Moscow, "
            f"{clauses}, and <@&{i}> **insisted** the denial stood @everyone. Critics cited "
            f"[x](http://evil.example), ```fence``` and @here.\n\n"
            f"The ministry also denied reports of troop talks, {clauses}.\n")


@pytest.fixture(scope="session")
def long_engine(tmp_path_factory, seed_engine) -> Engine:
    root = tmp_path_factory.mktemp("long")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "sources.json").write_text(json.dumps(LONG_STORY), encoding="utf-8")
    for i in range(6):
        (corpus / f"{i:03d}_long.txt").write_text(long_article(i), encoding="utf-8")
    engine = Engine(Settings(corpus=corpus, home=root / "home"), embedder=seed_engine.embedder)
    engine.load()
    return engine


def custom_ids(message: dict) -> list[str]:
    return [b["custom_id"] for row in message.get("components") or [] for b in row["components"]]


def button(message: dict, kind: str, arg: str = "") -> str:
    """The custom id of one of storybot's buttons on a message: context, vote (up/down), thread, page (target)."""
    for cid in custom_ids(message):
        action = parse_custom_id(cid)
        if action and action.kind == kind and (not arg or action.arg == arg):
            return cid
    raise AssertionError(f"no {kind} button on the message: {custom_ids(message)}")


def assert_inert(content: str) -> None:
    """Article text shows literally: no live mass mention, role ping, masked link or code fence."""
    for markup in ("@everyone", "@here", "<@&", r"\[x\]\(", "```", r"\*\*insisted"):
        assert not re.search(r"(?<![\\\u200b])" + markup, content), markup


async def test_a_story_with_six_outlets_is_paged_five_at_a_time_within_limits(storybot, fake, long_engine,
                                                                               monkeypatch):
    question = "What did the defence ministry deny about talks?"
    untrimmed = answer_message(await asyncio.to_thread(long_engine.ask, question), limit=10**9).content
    assert measure(untrimmed) > 2000, "the test story must overflow a message to test trimming"
    monkeypatch.setattr(storybot.get_cog("Story"), "engine", long_engine)
    reply = await fake.wait_reply(await fake.post_message(f"{fake.mention()} {question}"))
    first = reply.message
    assert len(first["content"]) <= 2000 and "…" in first["content"]
    assert [f"Outlet {i}" in first["content"] for i in range(6)] == [True] * 5 + [False]
    assert "Outlets 1–5 of 6" in first["content"]
    assert reply.pings == frozenset() and "@everyone" not in first["content"] and "<@&" not in first["content"]
    assert_inert(first["content"])

    following = await fake.wait_answered(await fake.click(first, button(first, "page", "1")))
    second = following.updated
    assert following.ack_type == 7 and second["id"] == first["id"], "the page replaces the message in place"
    assert "Outlet 5" in second["content"] and "Outlet 0" not in second["content"] and len(second["content"]) <= 2000
    assert "Outlets 6–6 of 6" in second["content"]
    next_button = next(b for row in second["components"] for b in row["components"]
                       if b["custom_id"] == button(second, "page", "1"))
    assert next_button["disabled"], "no page after the last"
    update = next(s for s in fake.sent if s.route == "update")
    assert update.payload["allowed_mentions"]["parse"] == [] and update.pings == frozenset()
    back = await fake.wait_answered(await fake.click(second, button(second, "page", "0")))
    assert "Outlet 0" in back.updated["content"] and "Outlet 5" not in back.updated["content"]

    interaction = await fake.wait_answered(await fake.invoke("ask", {"question": question}))
    assert len(interaction.original["content"]) <= 2000 and "Outlets 1–5 of 6" in interaction.original["content"]


async def test_each_quote_links_to_its_article_at_the_quote(storybot, fake, long_engine, monkeypatch):
    monkeypatch.setattr(storybot.get_cog("Story"), "engine", long_engine)
    reply = await fake.wait_reply(await fake.post_message(f"{fake.mention()} What did the ministry deny about "
                                                          "troop talks?"))
    links = re.findall(r"\[read it there\]\(<(https://news\.example/report-\d#:~:text=[^>]+)>\)",
                       reply.message["content"])
    assert links, reply.message["content"]
    for link in links:
        directive = link.split(":~:text=")[1]
        assert not set(directive) & set(" -&()"), "the fragment is percent-encoded per the spec"


async def test_context_shows_each_quotes_paragraph_only_to_the_clicker(storybot, fake, long_engine, monkeypatch):
    monkeypatch.setattr(storybot.get_cog("Story"), "engine", long_engine)
    reply = await fake.wait_reply(await fake.post_message(
        f"{fake.mention()} What did the defence ministry deny about talks?"))
    clicked = await fake.wait_answered(await fake.click(reply.message, button(reply.message, "context")))
    (shown,) = clicked.replies
    assert clicked.ack_type == 4 and shown["flags"] & EPHEMERAL
    (embed,) = shown["embeds"]
    assert len(embed["fields"]) == 5 and all(len(f["value"]) <= 1024 for f in embed["fields"])
    text = " ".join(f["value"] for f in embed["fields"])
    assert text.count("**") >= 10 and "Critics cited" in text, "each quote in bold within its paragraph"
    assert "Weather was mild" not in text, "only the quote's own paragraph"
    assert_inert(text + " ".join(f["name"] for f in embed["fields"]))
    sent = next(s for s in fake.sent if s.message["id"] == shown["id"])
    assert sent.payload["allowed_mentions"]["parse"] == [] and sent.pings == frozenset()


async def test_a_vote_is_stored_once_per_user(storybot, fake):
    asked = await fake.wait_answered(await fake.invoke("ask", {"question": "What did Paris deny?"}))
    answer = asked.original
    up, down = button(answer, "vote", "up"), button(answer, "vote", "down")
    answer_id = parse_custom_id(up).answer_id
    reader, other = fake.new_user("voter"), fake.new_user("voter")
    notes = []
    for user, cid in ((reader, up), (reader, up), (reader, down), (other, up)):
        clicked = await fake.wait_answered(await fake.click(answer, cid, user=user))
        (note,) = clicked.replies
        assert note["flags"] & EPHEMERAL
        notes.append(note["content"])
    assert "recorded" in notes[0] and "already recorded" in notes[1] and "Changed" in notes[2]
    rows = [r for r in storybot.engine.library.feedback() if r.answer_id == answer_id]
    assert sorted(r.vote for r in rows) == [-1, 1], "one row per user: the second click changed, never added"
    assert rows[0].question == "What did Paris deny?" and DENIAL_SENTENCE in rows[0].answer_json


async def test_a_thumbs_up_clicked_in_discord_is_listed_by_storybot_feedback(storybot, fake):
    import os
    import subprocess
    import sys

    asked = await fake.wait_answered(await fake.invoke("ask", {"question": "What did Paris deny?"}))
    up = button(asked.original, "vote", "up")
    await fake.wait_answered(await fake.click(asked.original, up, user=fake.new_user("voter")))
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYBOT_") or k == "STORYBOT_MODEL_CACHE"}
    env.update(STORYBOT_HOME=str(storybot.engine.settings.home), PYTHONIOENCODING="utf-8")
    listed = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "bot.cli", "feedback", "--json"],
                                     capture_output=True, text=True, encoding="utf-8", env=env, timeout=60)
    assert listed.returncode == 0, listed.stderr
    votes = [v for v in json.loads(listed.stdout) if v["answer_id"] == parse_custom_id(up).answer_id]
    assert [(v["vote"], v["question"]) for v in votes] == [("up", "What did Paris deny?")]
    assert any(DENIAL_SENTENCE in q["text"] for q in votes[0]["quotes"])


async def test_a_rate_limited_send_is_retried_and_the_answer_arrives(storybot, fake, caplog):
    fake.fail_next("POST", rf"/channels/{fake.channel_id}/messages", retry_after=0.4)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="discord.http"):
        reply = await fake.wait_reply(await fake.post_message(f"{fake.mention()} what did Paris deny?"))
    assert DENIAL_SENTENCE in reply.message["content"].replace("\\", "")
    assert fake.faults_served[-1][2:] == (429, 0) and time.monotonic() - started >= 0.4
    assert "rate limited" in caplog.text

    fake.fail_next("PATCH", r"/webhooks/\d+/[^/]+/messages/@original", retry_after=0.3)
    interaction = await fake.wait_answered(await fake.invoke("ask", {"question": "What did Paris deny?"}))
    assert interaction.ack_latency < 3 and DENIAL_SENTENCE in interaction.original["content"].replace("\\", "")
    assert fake.faults_served[-1][0] == "PATCH"


async def test_missing_permissions_are_logged_and_the_bot_keeps_serving(storybot, fake, caplog):
    fake.fail_next("POST", rf"/channels/{fake.channel_id}/messages", status=403, code=50013)
    with caplog.at_level(logging.WARNING, logger="bot.discord.story_cog"):
        refused = await fake.post_message(f"{fake.mention()} what did Paris deny?")
        await fake.wait_until(lambda: any(f[3] == 50013 for f in fake.faults_served))
        for _ in range(100):
            if "cannot answer in channel" in caplog.text:
                break
            await asyncio.sleep(0.05)
    assert f"cannot answer in channel {fake.channel_id}" in caplog.text and "50013" in caplog.text
    assert fake.replies_to(refused) == []
    served = await fake.wait_reply(await fake.post_message(f"{fake.mention()} what did Paris deny?"))
    assert DENIAL_SENTENCE in served.message["content"].replace("\\", "")


async def test_twenty_concurrent_asks_are_acknowledged_in_time_and_answered(storybot, fake, record_property):
    started = time.monotonic()
    interactions = await asyncio.gather(*(
        fake.invoke("ask", {"question": f"What did Paris deny? ({n})"}) for n in range(20)))
    await fake.wait_until(lambda: all(i.answered for i in interactions), timeout=30)
    elapsed = time.monotonic() - started
    latencies = [i.ack_latency for i in interactions]
    assert all(i.deferred for i in interactions) and max(latencies) < 3
    assert all(DENIAL_SENTENCE in i.original["content"].replace("\\", "") for i in interactions)
    beats = [t for t in fake.heartbeats if t >= started - fake.heartbeat_interval]
    gaps = [b - a for a, b in zip(beats, beats[1:])]
    assert not gaps or max(gaps) < 2.5 * fake.heartbeat_interval, "heartbeats stalled while answering"
    median_ms, max_ms = statistics.median(latencies) * 1000, max(latencies) * 1000
    record_property("ack_median_ms", round(median_ms, 1))
    record_property("ack_max_ms", round(max_ms, 1))
    print(f"\n20 concurrent /ask: ack median {median_ms:.1f} ms, max {max_ms:.1f} ms; all answered in {elapsed:.2f} s")


async def test_slow_retrieval_blocks_neither_acknowledgements_nor_the_event_loop(storybot, fake, monkeypatch):
    engine = storybot.get_cog("Story").engine
    real_ask = engine.ask

    def slow_ask(question, story_id=None):
        time.sleep(1.0)  # a slow model or a big index; blocking, as real retrieval is
        return real_ask(question, story_id)

    monkeypatch.setattr(engine, "ask", slow_ask)
    async with loop_lag(0.02) as lags:
        interactions = await asyncio.gather(*(
            fake.invoke("ask", {"question": f"What did Paris deny? [{n}]"}) for n in range(8)))
        await fake.wait_until(lambda: all(i.answered for i in interactions), timeout=20)
    assert max(i.ack_latency for i in interactions) < 1.0
    assert max(lags) < 0.5, f"the event loop stalled for {max(lags):.2f} s"


async def test_cooldown_answers_excess_with_an_ephemeral_note(storybot, fake):
    user = fake.new_user("eager")
    for n in range(5):
        await fake.wait_answered(await fake.invoke("ask", {"question": f"What did Paris deny? {n}"}, user=user))
    refused = await fake.wait_answered(await fake.invoke("ask", {"question": "What did Paris deny?"}, user=user))
    (note,) = refused.replies
    assert refused.ack_type == 4 and note["flags"] & EPHEMERAL
    assert "try again in" in note["content"]
    mention = await fake.wait_reply(await fake.post_message(f"{fake.mention()} what did Paris deny?", author=user))
    assert "try again in" in mention.message["content"]


async def test_slash_commands_elsewhere_say_where_the_bot_answers(storybot, fake):
    interaction = await fake.wait_answered(
        await fake.invoke("ask", {"question": "What did Paris deny?"}, channel_id=fake.other_channel_id))
    (note,) = interaction.replies
    assert note["flags"] & EPHEMERAL and f"<#{fake.channel_id}>" in note["content"]


async def test_retrieval_errors_are_short_and_the_bot_keeps_serving(storybot, fake, monkeypatch, caplog):
    engine = storybot.get_cog("Story").engine
    real_ask = engine.ask
    failures = iter([RuntimeError("faiss exploded at /secret/internal/path"),
                     StoreError("the vector store is unreadable; rebuild it with `storybot index build`")])

    def failing_once(question, story_id=None):
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return real_ask(question, story_id)

    monkeypatch.setattr(engine, "ask", failing_once)
    with caplog.at_level(logging.ERROR, logger="bot.discord.errors"):
        crashed = await fake.wait_reply(await fake.post_message(f"{fake.mention()} what did Paris deny?"))
    assert crashed.message["content"] == SOMETHING_WENT_WRONG
    assert any(r.exc_info and "faiss exploded" in str(r.exc_info[1]) for r in caplog.records), "traceback logged"

    failed = await fake.wait_answered(await fake.invoke("ask", {"question": "What did Paris deny?"}))
    (note,) = failed.replies
    assert failed.original_deleted and note["flags"] & EPHEMERAL
    assert note["content"].startswith("Sorry: the vector store is unreadable") and len(note["content"]) < 300

    served = await fake.wait_reply(await fake.post_message(f"{fake.mention()} what did Paris deny?"))
    assert DENIAL_SENTENCE in served.message["content"].replace("\\", "")
    again = await fake.wait_answered(await fake.invoke("ask", {"question": "What did Paris deny?"}))
    assert DENIAL_SENTENCE in again.original["content"].replace("\\", "")


async def test_an_empty_mention_gets_the_question_error(storybot, fake):
    reply = await fake.wait_reply(await fake.post_message(fake.mention()))
    assert reply.message["content"].startswith("Sorry: the question is empty")


async def test_the_fake_refuses_what_discord_refuses(storybot, fake, refusals_expected):
    channel = storybot.get_channel(fake.channel_id)
    with pytest.raises(discord.HTTPException) as too_long:
        await channel.send("x" * 2001)
    assert too_long.value.code == 50035

    interaction = await fake.wait_answered(await fake.invoke("help"))
    callback = f"{fake.api_base}/interactions/{interaction.id}/{interaction.token}/callback"
    async with aiohttp.ClientSession() as http:
        async with http.post(callback, json={"type": 4, "data": {"content": "again"}}) as twice:
            assert twice.status == 400 and (await twice.json())["code"] == 40060
        late = await fake.invoke("help", user=fake.new_user())
        await fake.wait_answered(late)
        late.acked, late.created = None, late.created - 3.5  # as if the bot had answered too late
        async with http.post(f"{fake.api_base}/interactions/{late.id}/{late.token}/callback",
                             json={"type": 5}) as too_late:
            assert too_late.status == 404 and (await too_late.json())["code"] == 10062
            assert too_late.headers["Content-Type"] == "application/json"
    assert [r.code for r in fake.rejections] == [50035, 40060, 10062]


async def test_serve_turns_a_refused_token_or_intent_into_a_config_error(seed_engine, caplog):
    caplog.set_level(logging.DEBUG)
    for fake_kwargs, needle in (({}, "rejected STORYBOT_DISCORD_TOKEN"), ({"enabled_intents": 0}, "Message Content")):
        other = FakeDiscord(**fake_kwargs)
        await other.start()
        try:
            settings = bot_settings(other)
            if not fake_kwargs:
                other.token = other.token[:-4] + "abcd"  # Discord no longer knows the configured token
            with other.pointed_at(), pytest.raises(ConfigError, match=needle) as refused:
                await asyncio.wait_for(serve(seed_engine, settings, **client_options()), 20)
            token = settings.discord_token.get_secret_value()
            assert token not in str(refused.value) and token not in caplog.text, "the token leaked"
        finally:
            await other.close()


async def test_serve_reports_an_unreachable_discord(seed_engine):
    gone = FakeDiscord()
    await gone.start()
    await gone.close()  # nothing listens on its port any more
    with gone.pointed_at(), pytest.raises(DiscordUnreachable, match="cannot reach Discord"):
        await asyncio.wait_for(serve(seed_engine, bot_settings(gone), **client_options()), 20)


@pytest.fixture(scope="session")
def giant_sentence_engine(tmp_path_factory) -> Engine:
    """A story one of whose articles is a single 5 MB sentence (fake embedder: the point is the loop)."""
    from index.embedding import FakeEmbedder

    root = tmp_path_factory.mktemp("giant")
    story = root / "corpus" / "giant"
    story.mkdir(parents=True)
    words = "the defence ministry in paris denied that talks on ukraine had taken place with moscow"
    (story / "000_giant.txt").write_text("Giant report\n\n" + " ".join([words] * 60_000) + ".\n", encoding="utf-8")
    (story / "001_small.txt").write_text("Small report\n\nThe ministry in Paris denied the talks.\n", encoding="utf-8")
    engine = Engine(Settings(corpus=root / "corpus", home=root / "home", model="fake", max_article_bytes=6_000_000),
                    embedder=FakeEmbedder())
    engine.load()
    assert len(engine.view()[0].passages) > 4000
    return engine


async def test_the_event_loop_never_stalls_on_a_giant_sentence_or_fifty_asks(storybot, fake, giant_sentence_engine,
                                                                               monkeypatch):
    async with loop_lag(0.01) as lags:
        monkeypatch.setattr(storybot.get_cog("Story"), "engine", giant_sentence_engine)
        reply = await fake.wait_reply(await fake.post_message(f"{fake.mention()} What did Paris deny about talks?"))
        assert len(reply.message["content"]) <= 2000
        monkeypatch.undo()
        interactions = await asyncio.gather(*(
            fake.invoke("ask", {"question": f"What did Paris deny? <{n}>"}) for n in range(50)))
        await fake.wait_until(lambda: all(i.answered for i in interactions), timeout=60)
    print(f"\nevent-loop lag while answering: max {max(lags) * 1000:.1f} ms over {len(lags)} probes")
    assert max(i.ack_latency for i in interactions) < 3
    assert max(lags) < 0.1, f"the event loop stalled for {max(lags) * 1000:.0f} ms"


async def test_compare_lines_the_outlets_up(storybot, fake):
    interaction = await fake.wait_answered(await fake.invoke("compare", {"topic": "the Kiev regime"}))
    content = interaction.original["content"]
    assert len(content) <= 2000 and "Comparing the outlets" in content
    assert "henchmen" in content and "curators" in content


def _nasty_questions(count: int, seed: int = 11) -> list[str]:
    """Deterministic odd questions: mentions, markdown, control and format characters, RTL, long, empty-ish."""
    import random

    rng = random.Random(seed)
    pieces = ["@everyone", "@here", "<@&123>", "<@999>", "**bold**", "`code`", "```fence```", "[x](http://a.example)",
              "\u202e", "\u200b", "\x00", "\x07", "é", "🙂", "%s", "{0}", "-", "--json", "\\", "||spoiler||", " ",
              "What did Paris deny?", "a" * 400]
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 6))) for _ in range(count)]


async def test_odd_questions_by_mention_and_slash_command_get_a_safe_answer(storybot, fake):
    for question in _nasty_questions(25):
        reply = await fake.wait_reply(await fake.post_message(f"{fake.mention()} {question}"))
        content = reply.message["content"]
        assert 0 < len(content) <= 2000 and reply.pings == frozenset()
        assert "Traceback" not in content and "internal" not in content.lower()
        if 3 <= len(question) <= 300:
            interaction = await fake.wait_answered(await fake.invoke("ask", {"question": question}))
            assert interaction.answered and len(interaction.original["content"]) <= 2000


MANAGE_SERVER = (1 << 10) | (1 << 11) | (1 << 31) | (1 << 5)
BRIDGE_PAGE = ("<html><head><title>Council delays the bridge vote | The Loopback Gazette</title>"
               "<meta property='og:site_name' content='The Loopback Gazette'></head><body><article>"
               "<h1>Council delays the bridge vote</h1>"
               "<p>The city council delayed its vote on the new harbour bridge on Tuesday, saying it needed "
               "more time to study the rising costs of the steel.</p>"
               "<p>The mayor said the bridge would now cost 41 million euros, eleven more than planned.</p>"
               "</article></body></html>")


@pytest.fixture
def page_server():
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802
            body = BRIDGE_PAGE.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/bridge.html"
    server.shutdown()


async def test_story_commands_bind_a_channel_and_add_a_url_from_discord(storybot, fake, page_server):
    library = storybot.engine.library
    stories_before = [s.story_id for s in library.stories()]
    story_cmd = next(c for c in fake.commands[fake.guild_id] if c["name"] == "story")
    assert int(story_cmd["default_member_permissions"]) == 1 << 5  # Manage Server
    assert {o["name"] for o in story_cmd["options"]} == {"use", "list", "show", "create", "add", "remove"}

    reader = await fake.wait_answered(await fake.invoke("story", {"name": "Harbour bridge"}, subcommand="create"))
    assert reader.original["flags"] & EPHEMERAL and "Manage Server" in reader.original["content"]
    assert [s.story_id for s in library.stories()] == stories_before, "a refused command changed the library"

    try:
        editor = fake.new_user("moderator")
        created = await fake.wait_answered(await fake.invoke("story", {"name": "Harbour bridge"}, subcommand="create",
                                                             user=editor, permissions=MANAGE_SERVER))
        assert "harbour-bridge" in created.original["content"]
        bound = await fake.wait_answered(await fake.invoke("story", {"story": "harbour-bridge"}, subcommand="use",
                                                           user=editor, permissions=MANAGE_SERVER))
        assert "harbour-bridge" in bound.original["content"]
        added = await fake.wait_answered(await fake.invoke("story", {"url": page_server}, subcommand="add",
                                                           user=editor, permissions=MANAGE_SERVER), timeout=60)
        assert "Added" in added.original["content"] and "Loopback Gazette" in added.original["content"]
        reply = await fake.wait_reply(await fake.post_message(f"{fake.mention()} How much will the bridge cost?"))
        assert "41 million euros" in reply.message["content"]
        listed = await fake.wait_answered(await fake.invoke("story", {}, subcommand="list", user=editor,
                                                            permissions=MANAGE_SERVER))
        assert "▶ `harbour-bridge`" in listed.original["content"]
    finally:
        await asyncio.to_thread(library.catalog.bind_channel, fake.channel_id, stories_before[0], None)
        storybot.get_cog("Story").bindings[fake.channel_id] = stories_before[0]
        if library.catalog.has_story("harbour-bridge"):
            await asyncio.to_thread(library.delete_story, "harbour-bridge")
    reply = await fake.wait_reply(await fake.post_message(f"{fake.mention()} What did Paris deny?"))
    assert DENIAL_SENTENCE in reply.message["content"].replace("\\", "")


RAIL_SENTENCE = "Train drivers walked out on Monday, halting every train between Northport and Southbay for two days."
ELECTION_SENTENCE = "Maria Lopez won the mayoral election in Port Loopback with 54 percent of the vote."
OTHER_STORIES = {
    "rail-strike": {"rail_gazette.txt": f"Rail strike halts trains\n\n{RAIL_SENTENCE}\n\n"
                                        "The union said the drivers wanted a pay rise of seven percent.\n",
                    "rail_courier.txt": "Drivers strike\n\nNo trains ran on Monday as drivers struck over pay.\n\n"
                                        "The rail company called the strike unnecessary.\n"},
    "port-election": {"port_herald.txt": f"Lopez elected\n\n{ELECTION_SENTENCE}\n\n"
                                         "Turnout was 61 percent, the highest in a decade.\n"},
}


@pytest.fixture
async def three_stories(storybot, fake, tmp_path, monkeypatch):
    """Three channels bound to three stories (the seeds, a rail strike, an election), bound with /story use.

    The two stories are deleted afterwards even when setting them up fails: the library is the session's."""
    library = storybot.engine.library
    cog = storybot.get_cog("Story")
    default = library.stories()[0].story_id
    try:
        for story, files in OTHER_STORIES.items():
            await asyncio.to_thread(library.create_story, story, story.replace("-", " ").title())
            for name, text in files.items():
                path = tmp_path / name
                path.write_text(text, encoding="utf-8")
                report = await asyncio.to_thread(library.add, [str(path)], story,
                                                 outlet=name.split("_")[1].removesuffix(".txt").title())
                assert report.added, report.skipped
        channels = {fake.channel_id: default, fake.other_channel_id: "rail-strike",
                    fake.third_channel_id: "port-election"}
        monkeypatch.setattr(cog, "channels", frozenset(channels))
        editor = fake.new_user("moderator")
        for channel_id, story in channels.items():
            bound = await fake.wait_answered(await fake.invoke("story", {"story": story}, subcommand="use", user=editor,
                                                               channel_id=channel_id, permissions=MANAGE_SERVER))
            assert story in bound.original["content"]
        yield channels
    finally:
        for channel_id in (fake.other_channel_id, fake.third_channel_id):
            cog.bindings.pop(channel_id, None)
        held = {s.story_id for s in library.stories()}
        for story in OTHER_STORIES:
            if story in held:
                await asyncio.to_thread(library.delete_story, story)  # its bindings and threads go with it


EXPECTED = {"rail-strike": ("Who walked out on Monday?", "Train drivers walked out"),
            "port-election": ("Who won the mayoral election?", "Maria Lopez won")}


async def test_twenty_concurrent_asks_across_three_channels_answer_from_each_channels_story(storybot, fake,
                                                                                            three_stories):
    expected = {**EXPECTED, next(iter(three_stories.values())): ("What did Paris deny?", DENIAL_SENTENCE)}
    plan = [list(three_stories.items())[n % 3] for n in range(20)]
    started = time.monotonic()
    interactions = await asyncio.gather(*(
        fake.invoke("ask", {"question": f"{expected[story][0]} ({n})"}, channel_id=channel_id)
        for n, (channel_id, story) in enumerate(plan)))
    await fake.wait_until(lambda: all(i.answered for i in interactions), timeout=60)
    latencies = [i.ack_latency for i in interactions]
    assert all(i.deferred for i in interactions) and max(latencies) < 3, latencies
    catalog = storybot.engine.library.catalog
    for interaction, (channel_id, story) in zip(interactions, plan):
        content = interaction.original["content"].replace("\\", "")
        assert expected[story][1] in content, (story, content)
        others = [phrase for s, (_, phrase) in expected.items() if s != story]
        assert not any(phrase in content for phrase in others), (story, content)
        answer_id = parse_custom_id(button(interaction.original, "vote", "up")).answer_id
        assert catalog.stored_answer(answer_id).story_id == story
        assert interaction.channel_id == channel_id
    print(f"\n20 concurrent /ask over 3 channels: ack max {max(latencies) * 1000:.0f} ms, "
          f"all answered in {time.monotonic() - started:.2f} s")


async def test_a_follow_up_thread_answers_without_a_mention_from_the_answers_story(storybot, fake, three_stories):
    asked = await fake.wait_reply(await fake.post_message(f"{fake.mention()} Who walked out on Monday?",
                                                          channel_id=fake.other_channel_id))
    assert "Train drivers walked out" in asked.message["content"]
    started = await fake.wait_answered(await fake.click(asked.message, button(asked.message, "thread")))
    thread_id = fake.thread_on(asked.message)
    assert thread_id is not None and fake.threads[thread_id]["name"].startswith("Follow-up: Who walked out")
    (note,) = started.replies
    assert note["flags"] & EPHEMERAL and f"<#{thread_id}>" in note["content"]
    await fake.wait_until(lambda: bool(fake.in_channel(thread_id)))
    intro = fake.in_channel(thread_id)[0]
    assert "no mention needed" in intro.message["content"] and intro.pings == frozenset()

    again = await fake.wait_answered(await fake.click(asked.message, button(asked.message, "thread"),
                                                      user=fake.new_user()))
    assert f"<#{thread_id}>" in again.replies[0]["content"] and len(fake.threads) == 1, "one thread per answer"

    # The channel moves on to another story; the thread stays with the answer's.
    cog = storybot.get_cog("Story")
    cog.bindings[fake.other_channel_id] = "port-election"
    try:
        question = await fake.post_message("What pay rise did the drivers want?", channel_id=thread_id)
        reply = await fake.wait_reply(question)
        assert "seven percent" in reply.message["content"] and reply.pings == frozenset()
        assert "Follow up" not in json.dumps(reply.message["components"]), "no thread inside a thread"
        assert reply.message["channel_id"] == str(thread_id)
        slash = await fake.wait_answered(await fake.invoke("ask", {"question": "Who walked out on Monday?"},
                                                           channel_id=thread_id))
        assert "Train drivers walked out" in slash.original["content"]
    finally:
        cog.bindings[fake.other_channel_id] = "rail-strike"
    unaddressed = await fake.post_message("What pay rise did the drivers want?", channel_id=fake.other_channel_id)
    await fake.wait_reply(await fake.post_message(f"{fake.mention()} Who won?", channel_id=fake.other_channel_id))
    assert fake.replies_to(unaddressed) == [], "outside the thread a mention is still needed"


async def test_an_article_file_added_from_discord_is_answerable_and_bad_files_are_refused(storybot, fake,
                                                                                          monkeypatch):
    library = storybot.engine.library
    cog = storybot.get_cog("Story")
    channel = fake.third_channel_id
    monkeypatch.setattr(cog, "channels", frozenset({fake.channel_id, channel}))
    await asyncio.to_thread(library.create_story, "ferry-fire", "Ferry fire")
    editor = fake.new_user("moderator")

    async def add(filename: str, data: bytes, **kwargs) -> str:
        options = {"file": (filename, data)}
        done = await fake.wait_answered(await fake.invoke("story", options, subcommand="add", channel_id=channel,
                                                          **kwargs), timeout=60)
        assert done.replies[0]["flags"] & EPHEMERAL
        return done.replies[0]["content"]

    try:
        await fake.wait_answered(await fake.invoke("story", {"story": "ferry-fire"}, subcommand="use", user=editor,
                                                   channel_id=channel, permissions=MANAGE_SERVER))
        article = ("Ferry fire\n\nA fire broke out on the night ferry to Eastholm on Friday; all 212 passengers "
                   "were brought ashore safely.\n").encode()
        assert "Manage Server" in await add("ferry.txt", article), "a reader is refused"
        assert library.catalog.source_ids("ferry-fire") == []
        assert "cannot be added" in await add("ferry.exe", article, user=editor, permissions=MANAGE_SERVER)
        assert "the limit is" in await add("huge.txt", b"x" * 2_100_000, user=editor, permissions=MANAGE_SERVER)
        assert library.catalog.source_ids("ferry-fire") == []
        added = await add("ferry.txt", article, user=editor, permissions=MANAGE_SERVER)
        assert added.startswith("Added") and len(library.catalog.source_ids("ferry-fire")) == 1
        reply = await fake.wait_reply(await fake.post_message(f"{fake.mention()} How many passengers were on the "
                                                              "ferry?", channel_id=channel))
        assert "212 passengers" in reply.message["content"]
    finally:
        cog.bindings.pop(channel, None)
        await asyncio.to_thread(library.delete_story, "ferry-fire")


async def test_a_thread_refused_for_permissions_gets_a_note_not_a_crash(storybot, fake):
    asked = await fake.wait_answered(await fake.invoke("ask", {"question": "What did Paris deny?"}))
    fake.fail_next("POST", r"/channels/\d+/messages/\d+/threads", status=403, code=50013)
    clicked = await fake.wait_answered(await fake.click(asked.original, button(asked.original, "thread")))
    (note,) = clicked.replies
    assert note["flags"] & EPHEMERAL and "Create Public Threads" in note["content"]
    assert fake.thread_on(asked.original) is None
    retried = await fake.wait_answered(await fake.click(asked.original, button(asked.original, "thread")))
    thread_id = fake.thread_on(asked.original)
    assert thread_id is not None and "Started" in retried.replies[0]["content"]
    await fake.wait_until(lambda: bool(fake.in_channel(thread_id)))


@contextlib.asynccontextmanager
async def running(fake: FakeDiscord, engine: Engine, **kwargs):
    with fake.pointed_at():
        bot = StoryBot(engine, bot_settings(fake), **kwargs, **client_options())
        runner = asyncio.create_task(bot.start(fake.token))
        try:
            await asyncio.wait_for(bot.wait_until_ready(), 30)
            yield bot
        finally:
            await asyncio.wait_for(bot.close(), 10)
            await asyncio.wait_for(runner, 10)


async def test_buttons_keep_working_after_a_restart(seed_engine):
    other = FakeDiscord()
    await other.start()
    try:
        async with running(other, seed_engine, sync=True):
            reply = await other.wait_reply(await other.post_message(f"{other.mention()} what did Paris deny?"))
        answer = reply.message
        async with running(other, seed_engine):
            voter = other.new_user("voter")
            voted = await other.wait_answered(await other.click(answer, button(answer, "vote", "up"), user=voter))
            assert "recorded" in voted.replies[0]["content"]
            context = await other.wait_answered(await other.click(answer, button(answer, "context")))
            assert DENIAL_SENTENCE in json.dumps(context.replies[0]["embeds"], ensure_ascii=False).replace("\\", "")
            thread = await other.wait_answered(await other.click(answer, button(answer, "thread")))
            thread_id = other.thread_on(answer)
            assert thread_id and f"<#{thread_id}>" in thread.replies[0]["content"]
            await other.wait_until(lambda: bool(other.in_channel(thread_id)))  # the intro, before closing
        async with running(other, seed_engine):
            follow_up = await other.wait_reply(await other.post_message("Who called whom?", channel_id=thread_id))
            assert "Follow up" not in json.dumps(follow_up.message["components"])
        assert other.rejections == []
    finally:
        await other.close()


async def test_sync_with_clear_guild_removes_the_guild_copies(fake, seed_engine):
    with fake.pointed_at():
        bot = StoryBot(seed_engine, bot_settings(fake), sync=True, clear_guild=True, **client_options())
        runner = asyncio.create_task(bot.start(fake.token))
        try:
            await asyncio.wait_for(bot.wait_until_ready(), 30)
            assert fake.commands.get(fake.guild_id) == []
            assert {c["name"] for c in fake.commands[None]} >= {"ask", "story", "compare"}
        finally:
            await asyncio.wait_for(bot.close(), 10)
            await asyncio.wait_for(runner, 10)
