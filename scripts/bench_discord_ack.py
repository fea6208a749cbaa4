"""Measure how fast the bot acknowledges concurrent /ask interactions, against the loopback Discord.

    python scripts/bench_discord_ack.py [--concurrent 20] [--rounds 3]

Runs the real bot and the real engine (model and FAISS index over the seeds, index built in a temporary
folder) against tests/bot/discord/fake.py on 127.0.0.1, fires N /ask interactions at once, and prints the
acknowledgement latency (INTERACTION_CREATE sent → callback received) and the time to the answer.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.discord.bot import StoryBot  # noqa: E402
from bot.discord.settings import DiscordSettings  # noqa: E402
from retrieval.engine import Engine  # noqa: E402
from retrieval.settings import Settings  # noqa: E402
from tests.bot.discord.fake import FakeDiscord, NoDNS  # noqa: E402


def summary(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    return f"{name}: median {statistics.median(ms):.1f} ms, max {ms[-1]:.1f} ms"


async def bench(engine: Engine, concurrent: int, rounds: int) -> None:
    fake = FakeDiscord()
    await fake.start()
    settings = DiscordSettings(_env_file=None, discord_token=fake.token, discord_guild_id=fake.guild_id,
                               discord_cooldown_rate=1000, discord_cooldown_seconds=1)
    try:
        with fake.pointed_at():
            bot = StoryBot(engine, settings, sync=True, connector=aiohttp.TCPConnector(resolver=NoDNS()),
                           guild_ready_timeout=0.1)
            runner = asyncio.create_task(bot.start(fake.token))
            await asyncio.wait_for(bot.wait_until_ready(), 30)
            for round_ in range(1, rounds + 1):
                started = time.monotonic()
                interactions = await asyncio.gather(*(
                    fake.invoke("ask", {"question": f"What did Paris deny? ({n})"}) for n in range(concurrent)))
                await fake.wait_until(lambda: all(i.answered for i in interactions), timeout=60)
                answered = time.monotonic() - started
                acks = [i.ack_latency for i in interactions]
                print(f"round {round_}: {concurrent} concurrent /ask; {summary('ack', acks)}; "
                      f"all answered after {answered:.2f} s; late acks: {sum(a >= 3 for a in acks)}; "
                      f"refused requests: {len(fake.rejections)}")
            await bot.close()
            await asyncio.wait_for(runner, 10)
    finally:
        await fake.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrent", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        engine = Engine(Settings(home=Path(home)))
        started = time.monotonic()
        engine.load()
        print(f"model and index loaded in {time.monotonic() - started:.1f} s")
        asyncio.run(bench(engine, args.concurrent, args.rounds))


if __name__ == "__main__":
    main()
