"""What the Discord bot keeps in the library beside the stories: channel bindings, sent answers, votes, threads.

`Library` inherits these, so the bot reaches the catalog only through the library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from index.rows import StoredAnswer, Vote

if TYPE_CHECKING:
    from index.catalog import Catalog


class BotRecords:
    """The library's records of the Discord bot (the catalog's answers, feedback and thread tables)."""

    catalog: Catalog

    def bind_channel(self, channel_id: int, story_id: str, user_id: int | None) -> None:
        """Answer questions in this channel (and its threads) from this story; an unknown story is refused."""
        self.catalog.bind_channel(channel_id, story_id, user_id)

    def channel_stories(self) -> dict[int, str]:
        """Every channel bound to a story."""
        return self.catalog.channel_stories()

    def store_answer(self, answer_id: str, story_id: str, question: str, answer_json: str,
                     channel_id: int | None = None, user_id: int | None = None) -> None:
        """Keep an answer the bot sent, so its buttons work for as long as it is stored."""
        self.catalog.store_answer(answer_id, story_id, question, answer_json, channel_id, user_id)

    def stored_answer(self, answer_id: str) -> StoredAnswer | None:
        """A stored answer, or None once it has been pruned (or was never stored)."""
        return self.catalog.stored_answer(answer_id)

    def prune_answers(self, keep_days: float) -> int:
        """Forget the stored answers older than `keep_days` (votes keep their own copy); return how many."""
        return self.catalog.prune_answers(keep_days)

    def vote(self, answer_id: str, user_id: int, vote: int) -> int | None:
        """Record a user's 👍 (1) or 👎 (-1) on a stored answer; return their previous vote, if any."""
        return self.catalog.vote(answer_id, user_id, vote)

    def feedback(self) -> list[Vote]:
        """Every vote, oldest first."""
        return self.catalog.feedback()

    def add_follow_up_thread(self, thread_id: int, answer_id: str, story_id: str, user_id: int | None) -> None:
        """Remember a thread the bot started on an answer: its messages are questions about that story."""
        self.catalog.add_follow_up_thread(thread_id, answer_id, story_id, user_id)

    def follow_up_threads(self) -> dict[int, str]:
        """Every follow-up thread and the story it answers from."""
        return self.catalog.follow_up_threads()

    def thread_of(self, answer_id: str) -> int | None:
        """The follow-up thread started on this answer, if any."""
        return self.catalog.thread_of(answer_id)
