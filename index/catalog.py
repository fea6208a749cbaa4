"""The library's catalog in SQLite: stories, sources, passages by stable key, the embedding cache, and
what the Discord bot keeps (channel bindings, the answers it sent, votes on them, its follow-up threads).

One file (`catalog.sqlite`, WAL). Every add or remove is one transaction that also bumps the catalog's
`generation`, so a vector store can tell whether it mirrors the catalog (see `library.Library.sync`).
Passage ids are AUTOINCREMENT: a removed passage's id is never given to another, so a stale vector can
never name the wrong sentence. Passage text is not stored twice: it is `source.text[start:end]`.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from index.errors import StorybotError, UnknownSourceError, UnknownStoryError
from index.hashing import text_sha256
from index.models import Passage, Source
from index.rows import CacheCounts, OriginRecord, PassageKey, StoredAnswer, StoredSourceRef, StoryRow, Vote

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stories (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    added_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sources (
    id TEXT PRIMARY KEY,
    story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    outlet TEXT NOT NULL,
    title TEXT NOT NULL,
    url TEXT, date TEXT, author TEXT, language TEXT, credit TEXT,
    text TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    origin TEXT,
    raw_sha256 TEXT,
    added_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sources_story ON sources(story_id);
CREATE INDEX IF NOT EXISTS sources_sha ON sources(sha256);
CREATE TABLE IF NOT EXISTS passages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    kind TEXT NOT NULL,
    paragraph INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    UNIQUE (source_id, ordinal)
);
CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, sha256)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS channel_stories (
    channel_id INTEGER PRIMARY KEY,
    story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    bound_by INTEGER,
    bound_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    answer_id TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    vote INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    question TEXT NOT NULL,
    story_id TEXT NOT NULL,
    answer_json TEXT NOT NULL,
    voted_at TEXT NOT NULL,
    PRIMARY KEY (answer_id, user_id)
);
"""

# Each step takes a catalog from the version before it to its own; a new catalog gets _SCHEMA + every step.
_MIGRATIONS = {
    2: """
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY,
    story_id TEXT NOT NULL,
    question TEXT NOT NULL,
    answer_json TEXT NOT NULL,
    channel_id INTEGER,
    user_id INTEGER,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS follow_up_threads (
    thread_id INTEGER PRIMARY KEY,
    answer_id TEXT NOT NULL UNIQUE,
    story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    started_by INTEGER,
    started_at TEXT NOT NULL
);
""",
    3: """
CREATE INDEX IF NOT EXISTS answers_by_age ON answers (created_at);
""",
}

DEFAULT_STORY = "default_story"  # the meta key `storybot story use` sets
_SOURCE_COLUMNS = "id, story_id, outlet, title, text, url, date, credit, author, language"
_UNUSED_VECTORS = "sha256 NOT IN (SELECT sha256 FROM passages)"  # cached vectors of texts no passage holds


def _now(offset_seconds: float = 0.0) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + offset_seconds))


def _source(row: tuple) -> Source:
    keys = ("source_id", "story_id", "outlet", "title", "text", "url", "date", "credit", "author", "language")
    return Source(**dict(zip(keys, row)))


class Catalog:
    """Typed reads and transactional writes over the library's SQLite file."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection serves every thread (the bot writes from worker threads): a transaction is its own.
        self._write_lock = threading.RLock()
        try:
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA synchronous=NORMAL")
            version = self._schema_version()
            if version is None:
                steps = "".join(_MIGRATIONS.values())
                self.db.executescript(  # one script, one transaction: a killed first open leaves no half schema
                    f"BEGIN IMMEDIATE; {_SCHEMA} {steps} INSERT OR IGNORE INTO meta VALUES ('schema_version', "
                    f"'{SCHEMA_VERSION}'); INSERT OR IGNORE INTO meta VALUES ('generation', '0'); COMMIT;")
            elif version < SCHEMA_VERSION:
                self._migrate(version)
            elif version != SCHEMA_VERSION:
                raise StorybotError(
                    f"the library catalog {self.path} has schema version {version}, this storybot reads "
                    f"{SCHEMA_VERSION}; use a matching storybot or point STORYBOT_HOME at a new folder"
                )
        except sqlite3.DatabaseError as exc:
            raise StorybotError(f"the library catalog {self.path} cannot be opened: {exc}") from None

    def _migrate(self, version: int) -> None:
        """Bring an older catalog up to SCHEMA_VERSION, all steps in one transaction."""
        steps = "".join(_MIGRATIONS[v] for v in range(version + 1, SCHEMA_VERSION + 1))
        self.db.executescript(f"BEGIN IMMEDIATE; {steps} UPDATE meta SET value = '{SCHEMA_VERSION}' "
                              "WHERE key = 'schema_version'; COMMIT;")

    def _schema_version(self) -> int | None:
        exists = self.db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
        if not exists:
            return None
        row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0]) if row else None

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: everything inside commits together or not at all."""
        with self._write_lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def _bump(self) -> None:
        self.db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")

    # --- reads ----------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def meta_or_set(self, key: str, value: str) -> str:
        """The stored value of `key`, storing `value` when there is none (the first process to ask wins)."""
        known = self.get_meta(key)
        if known is not None:
            return known
        with self.transaction():
            self.db.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (key, value))
        return self.get_meta(key)

    def generation(self) -> int:
        return int(self.db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0])

    def stories(self) -> list[StoryRow]:
        """Every story with its source ids, oldest first."""
        rows = self.db.execute("SELECT id, title FROM stories ORDER BY added_at, rowid").fetchall()
        return [StoryRow(sid, title, self.source_ids(sid)) for sid, title in rows]

    def default_story(self) -> str | None:
        """The story `storybot story use` chose, while it exists."""
        row = self.db.execute("SELECT s.id FROM meta m JOIN stories s ON s.id = m.value WHERE m.key=?",
                              (DEFAULT_STORY,)).fetchone()
        return row[0] if row else None

    def set_default_story(self, story_id: str | None) -> None:
        """Answer from this story when none is named (None: no default)."""
        if story_id is not None:
            self.story_title(story_id)
        with self.transaction():
            if story_id is None:
                self.db.execute("DELETE FROM meta WHERE key=?", (DEFAULT_STORY,))
            else:
                self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (DEFAULT_STORY, story_id))

    def has_story(self, story_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM stories WHERE id=?", (story_id,)).fetchone() is not None

    def story_title(self, story_id: str) -> str:
        row = self.db.execute("SELECT title FROM stories WHERE id=?", (story_id,)).fetchone()
        if row is None:
            raise UnknownStoryError(f"no story {story_id!r} in the library; `storybot stories` lists them")
        return row[0]

    def source_ids(self, story_id: str) -> list[str]:
        rows = self.db.execute("SELECT id FROM sources WHERE story_id=? ORDER BY added_at, rowid", (story_id,))
        return [r[0] for r in rows]

    def sources(self, story_id: str) -> list[Source]:
        rows = self.db.execute(f"SELECT {_SOURCE_COLUMNS} FROM sources WHERE story_id=? ORDER BY added_at, rowid",
                               (story_id,))
        return [_source(r) for r in rows]

    def source(self, source_id: str) -> Source:
        row = self.db.execute(f"SELECT {_SOURCE_COLUMNS} FROM sources WHERE id=?", (source_id,)).fetchone()
        if row is None:
            raise UnknownSourceError(f"no source {source_id!r} in the library; `storybot sources` lists them")
        return _source(row)

    def has_source(self, source_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM sources WHERE id=?", (source_id,)).fetchone() is not None

    def source_by_sha(self, sha256: str) -> StoredSourceRef | None:
        """The stored source with exactly this text, if any."""
        row = self.db.execute("SELECT id, story_id FROM sources WHERE sha256=? LIMIT 1", (sha256,)).fetchone()
        return StoredSourceRef(*row) if row is not None else None

    def passages(self, source: Source) -> list[Passage]:
        """The source's passages in reading order, their text cut from the stored text."""
        rows = self.db.execute(
            "SELECT id, ordinal, start, end, kind, paragraph FROM passages WHERE source_id=? ORDER BY ordinal",
            (source.source_id,),
        )
        return [Passage(source_id=source.source_id, pid=pid, ordinal=ordinal, start=start, end=end,
                        text=source.text[start:end], kind=kind, paragraph=paragraph)
                for pid, ordinal, start, end, kind, paragraph in rows]

    def passage_count(self, source_id: str | None = None) -> int:
        if source_id is None:
            return self.db.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
        return self.db.execute("SELECT COUNT(*) FROM passages WHERE source_id=?", (source_id,)).fetchone()[0]

    def passage_texts(self, pids: list[int]) -> dict[int, str]:
        """The text of these passages, cut from their sources' stored text."""
        out: dict[int, str] = {}
        for at in range(0, len(pids), 500):
            chunk = pids[at : at + 500]
            rows = self.db.execute(
                "SELECT p.id, substr(s.text, p.start + 1, p.end - p.start) FROM passages p JOIN sources s "
                f"ON s.id = p.source_id WHERE p.id IN ({','.join('?' * len(chunk))})", chunk)
            out.update(dict(rows))
        return out

    def sources_by_origin(self) -> dict[str, OriginRecord]:
        """origin → its source for every source read from a file or URL."""
        rows = self.db.execute("SELECT origin, id, raw_sha256 FROM sources WHERE origin IS NOT NULL")
        return {origin: OriginRecord(sid, raw) for origin, sid, raw in rows}

    def passage_keys(self) -> list[PassageKey]:
        """Every passage's id and the sha256 of its text."""
        return [PassageKey(*row) for row in self.db.execute("SELECT id, sha256 FROM passages")]

    def cached(self, model: str, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors of the cache for this model, by passage-text hash (missing hashes are left out)."""
        found: dict[str, np.ndarray] = {}
        wanted = list(dict.fromkeys(hashes))
        for at in range(0, len(wanted), 500):
            chunk = wanted[at : at + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(f"SELECT sha256, vector FROM embeddings WHERE model=? AND sha256 IN ({marks})",
                                   (model, *chunk))
            for sha, blob in rows:
                found[sha] = np.frombuffer(blob, dtype=np.float32)
        return found

    # --- writes (each one transaction) ----------------------------------------------------------

    def create_story(self, story_id: str, title: str) -> None:
        with self.transaction():
            self.db.execute("INSERT OR IGNORE INTO stories VALUES (?, ?, ?)", (story_id, title, _now()))

    def rename_story(self, story_id: str, title: str) -> None:
        self.story_title(story_id)
        with self.transaction():
            self.db.execute("UPDATE stories SET title=? WHERE id=?", (title, story_id))

    def delete_story(self, story_id: str) -> list[str]:
        """Delete a story and its sources; return the source ids removed."""
        removed = self.source_ids(story_id)
        self.story_title(story_id)
        with self.transaction():
            self.db.execute("DELETE FROM stories WHERE id=?", (story_id,))
            self.db.execute("DELETE FROM meta WHERE key=? AND value=?", (DEFAULT_STORY, story_id))
            self._bump()
        return removed

    def add_source(self, source: Source, passages: list[Passage], hashes: list[str], *, story_title: str,
                   origin: str | None, raw_sha256: str | None, model: str,
                   new_vectors: dict[str, np.ndarray], replace: bool = False) -> list[int]:
        """Store a source, its passages and their new cache vectors in one transaction; return passage ids."""
        now = _now()
        with self.transaction():
            self.db.execute("INSERT OR IGNORE INTO stories VALUES (?, ?, ?)", (source.story_id, story_title, now))
            if replace:
                self.db.execute("DELETE FROM sources WHERE id=?", (source.source_id,))
            self.db.execute(
                "INSERT INTO sources (id, story_id, outlet, title, url, date, author, language, credit, text, sha256,"
                " origin, raw_sha256, added_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (source.source_id, source.story_id, source.outlet, source.title, source.url, source.date,
                 source.author, source.language, source.credit, source.text, text_sha256(source.text), origin,
                 raw_sha256, now),
            )
            ids = []
            for p, sha in zip(passages, hashes, strict=True):
                cursor = self.db.execute(
                    "INSERT INTO passages (source_id, ordinal, start, end, kind, paragraph, sha256)"
                    " VALUES (?,?,?,?,?,?,?)",
                    (source.source_id, p.ordinal, p.start, p.end, p.kind, p.paragraph, sha),
                )
                ids.append(int(cursor.lastrowid))
            self.db.executemany("INSERT OR IGNORE INTO embeddings VALUES (?, ?, ?)",
                                [(model, sha, np.asarray(v, dtype=np.float32).tobytes()) for sha, v in new_vectors.items()])
            self._bump()
        return ids

    def replace_passages(self, source_id: str, passages: list[Passage], hashes: list[str]) -> None:
        """Give a stored source new passages (a newer splitter's); their vectors come from the cache by sha256."""
        with self.transaction():
            self.db.execute("DELETE FROM passages WHERE source_id=?", (source_id,))
            self.db.executemany(
                "INSERT INTO passages (source_id, ordinal, start, end, kind, paragraph, sha256) VALUES (?,?,?,?,?,?,?)",
                [(source_id, p.ordinal, p.start, p.end, p.kind, p.paragraph, sha) for p, sha in zip(passages, hashes,
                                                                                                     strict=True)])
            self._bump()

    def update_metadata(self, source: Source) -> None:
        with self.transaction():
            self.db.execute("UPDATE sources SET outlet=?, title=?, url=?, date=?, author=?, language=?, credit=? "
                            "WHERE id=?", (source.outlet, source.title, source.url, source.date, source.author,
                                           source.language, source.credit, source.source_id))

    def remove_sources(self, source_ids: list[str]) -> None:
        with self.transaction():
            for source_id in source_ids:
                self.db.execute("DELETE FROM sources WHERE id=?", (source_id,))
            self._bump()

    def bind_channel(self, channel_id: int, story_id: str, user_id: int | None) -> None:
        """Answer questions in this channel (and its threads) from this story."""
        self.story_title(story_id)
        with self.transaction():
            self.db.execute("INSERT OR REPLACE INTO channel_stories VALUES (?, ?, ?, ?)",
                            (channel_id, story_id, user_id, _now()))

    def channel_stories(self) -> dict[int, str]:
        """Every channel bound to a story."""
        return dict(self.db.execute("SELECT channel_id, story_id FROM channel_stories"))

    def put_cache(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        with self.transaction():
            self.db.executemany("INSERT OR IGNORE INTO embeddings VALUES (?, ?, ?)",
                                [(model, sha, np.asarray(v, dtype=np.float32).tobytes()) for sha, v in vectors.items()])

    def cache_counts(self) -> CacheCounts:
        """Cached vectors and those no passage of the library uses any more, over every model."""
        total = self.db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
        unused = self.db.execute(f"SELECT COUNT(*) FROM embeddings WHERE {_UNUSED_VECTORS}").fetchone()[0]
        return CacheCounts(total, unused)

    def prune_cache(self) -> int:
        """Delete the cached vectors no passage uses (texts of removed sources, sentences edited away), then
        give the freed pages back to the file system. Returns how many were deleted."""
        with self.transaction():
            removed = self.db.execute(f"DELETE FROM embeddings WHERE {_UNUSED_VECTORS}").rowcount
        if removed:
            with self._write_lock:
                try:
                    self.db.execute("VACUUM")
                    self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                except sqlite3.OperationalError as exc:  # another process holds the file: it shrinks another time
                    log.warning("pruned %d cached vectors; the catalog file was not compacted (%s)", removed, exc)
        return removed

    # --- what the Discord bot keeps ----------------------------------------------------------------

    def store_answer(self, answer_id: str, story_id: str, question: str, answer_json: str,
                     channel_id: int | None = None, user_id: int | None = None) -> None:
        """Keep an answer the bot sent, so its buttons (votes, context, pages) work for as long as it is stored."""
        with self.transaction():
            self.db.execute("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?)",
                            (answer_id, story_id, question, answer_json, channel_id, user_id, _now()))

    def prune_answers(self, keep_days: float) -> int:
        """Forget the stored answers older than `keep_days` (their buttons then ask for a new question);
        votes keep their own copy of the answer voted on. Returns how many were removed."""
        with self.transaction():
            return self.db.execute("DELETE FROM answers WHERE created_at < ?", (_now(-keep_days * 86400),)).rowcount

    def stored_answer(self, answer_id: str) -> StoredAnswer | None:
        """A stored answer, or None."""
        row = self.db.execute("SELECT story_id, question, answer_json FROM answers WHERE id=?",
                              (answer_id,)).fetchone()
        return StoredAnswer(*row) if row is not None else None

    def vote(self, answer_id: str, user_id: int, vote: int) -> int | None:
        """Record a user's 👍 (1) or 👎 (-1) on a stored answer; return their previous vote, if any.

        One row per user per answer: voting again replaces the vote (or confirms it), never adds a row.
        """
        if vote not in (-1, 1):
            raise ValueError(f"a vote is 1 or -1, not {vote!r}")
        with self.transaction():
            stored = self.stored_answer(answer_id)
            if stored is None:
                raise StorybotError("that answer is no longer stored, so it cannot be voted on")
            previous = self.db.execute("SELECT vote FROM feedback WHERE answer_id=? AND user_id=?",
                                       (answer_id, user_id)).fetchone()
            self.db.execute(
                "INSERT INTO feedback (answer_id, user_id, vote, question, story_id, answer_json, voted_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (answer_id, user_id) DO UPDATE SET vote=excluded.vote, "
                "voted_at=excluded.voted_at",
                (answer_id, user_id, vote, stored.question, stored.story_id, stored.answer_json, _now()))
        return previous[0] if previous else None

    def feedback(self) -> list[Vote]:
        """Every vote, oldest first."""
        rows = self.db.execute("SELECT answer_id, vote, question, story_id, answer_json, voted_at FROM feedback "
                               "ORDER BY voted_at, rowid")
        return [Vote(*row) for row in rows]

    def add_follow_up_thread(self, thread_id: int, answer_id: str, story_id: str, user_id: int | None) -> None:
        """Remember a thread the bot started on an answer: its messages are questions about that story."""
        with self.transaction():
            self.db.execute("INSERT OR REPLACE INTO follow_up_threads VALUES (?, ?, ?, ?, ?)",
                            (thread_id, answer_id, story_id, user_id, _now()))

    def follow_up_threads(self) -> dict[int, str]:
        """Every follow-up thread and the story it answers from."""
        return dict(self.db.execute("SELECT thread_id, story_id FROM follow_up_threads"))

    def thread_of(self, answer_id: str) -> int | None:
        """The follow-up thread started on this answer, if any."""
        row = self.db.execute("SELECT thread_id FROM follow_up_threads WHERE answer_id=?", (answer_id,)).fetchone()
        return row[0] if row else None
