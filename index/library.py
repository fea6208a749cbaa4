"""The story library: a folder holding the SQLite catalog and the vector stores, kept in step.

The catalog is the truth; a vector store is a mirror of it for one embedding model, rebuilt from the
catalog's embedding cache when it falls behind. Every change runs in the same order — write the catalog in
one transaction (source, passages and their cache vectors together), then `sync` the store — so a kill -9
at any moment leaves the state before or after: a store that is behind is caught up from the cache on the
next open (no model needed), and vectors whose passages are gone are deleted.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import re
import secrets
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from index.bot_records import BotRecords
from index.catalog import Catalog
from index.embedding import Embedder
from index.errors import UnknownSourceError, UnknownStoryError, UsageError
from index.hashing import text_sha256
from index.drafts import Draft, IngestLimits, Skipped
from index.models import Passage, Source, SourceInfo, SourceSummary, Story, StorySummary
from index.rows import CacheCounts
from index.sentences import SEGMENTER_VERSION, split_passages
from index.stores import open_store
from index.stores.base import VectorStore

log = logging.getLogger(__name__)

CATALOG_FILE = "catalog.sqlite"
EMBED_CHUNK = 512  # passages embedded per model call: enough for length-sorted batches to pay off


class AddedSource(BaseModel):
    source_id: str
    story_id: str
    outlet: str
    title: str
    passages: int


class SkippedInput(BaseModel):
    path: str
    reason: str
    duplicate: bool = False  # already in the library (or earlier in the same add): nothing is lost


class AddReport(BaseModel):
    """What `add` did: sources added, stories created, inputs skipped and why, passages embedded vs cached."""

    story: str | None = None
    added: list[AddedSource] = []
    created: list[str] = []
    skipped: list[SkippedInput] = []
    removed: list[str] = []
    embedded: int = 0
    reused: int = 0


class AddInterrupted(KeyboardInterrupt):
    """Ctrl-C during `add`: `report` holds what was stored before it; `not_added` the articles read but not
    stored (None when reading was interrupted, before anything was stored)."""

    def __init__(self, report: AddReport, not_added: list[str] | None):
        super().__init__()
        self.report = report
        self.not_added = not_added


@dataclass
class StoryPassages:
    """A story's sources and passages, in reading order, addressed by passage id and by (source, ordinal)."""

    story: Story
    passages: list[Passage]
    of_source: dict[str, list[Passage]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for p in self.passages:
            self.of_source.setdefault(p.source_id, []).append(p)

    def neighbour(self, passage: Passage, offset: int) -> Passage | None:
        """The passage `offset` sentences away in the same source, if any."""
        same = self.of_source.get(passage.source_id, [])
        at = passage.ordinal + offset
        if 0 <= at < len(same) and same[at].ordinal == at:
            return same[at]
        return next((p for p in same if p.ordinal == at), None)


def slug(text: str, fallback: str = "story") -> str:
    """A readable id: lower-case words joined by hyphens, at most 60 characters."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    out = "-".join(words)[:60].strip("-")
    return out or fallback


def _model_slug(model: str) -> str:
    return slug(Path(model).name, "model") + "-" + hashlib.sha256(model.encode()).hexdigest()[:8]


class Library(BotRecords):
    """Stories, sources and passages in a catalog, with a vector store kept in step for one model."""

    def __init__(self, home: Path, embedder: Embedder, store_spec: str = "faiss", *, progress: bool = False,
                 limits: IngestLimits | None = None):
        self.home = Path(home)
        self.embedder = embedder
        self.store_spec = store_spec
        self.progress = progress
        self.limits = limits or IngestLimits()
        self.home.mkdir(parents=True, exist_ok=True)
        self.catalog = Catalog(self.home / CATALOG_FILE)
        self._store: VectorStore | None = None
        self._views: dict[str, tuple[int, StoryPassages]] = {}

    # --- the vector store ---------------------------------------------------------------------

    @property
    def store(self) -> VectorStore:
        if self._store is None:
            model = _model_slug(self.embedder.name)
            self._store = open_store(self.store_spec, self.home / "stores" / model, self._dimension(),
                                     name=f"{self.library_id()}_{model}", model=self.embedder.name)
        return self._store

    def library_id(self) -> str:
        """A random id made once per library: it names the library's collections in a shared Milvus."""
        return self.catalog.meta_or_set("library_id", secrets.token_hex(6))

    def dimension_known(self) -> bool:
        """Whether the store can be opened without loading the model to learn its dimension."""
        return self.catalog.get_meta(f"dimension:{self.embedder.name}") is not None

    def _dimension(self) -> int:
        key = f"dimension:{self.embedder.name}"
        known = self.catalog.get_meta(key)
        if known is not None:
            return int(known)
        dimension = int(self.embedder.dimension)
        self.catalog.set_meta(key, str(dimension))
        return dimension

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
        self.catalog.close()

    @contextmanager
    def _write_lock(self) -> Iterator[None]:
        """Serialise writers across processes: a second `add` waits for the first."""
        with open(self.home / "write.lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def sync(self) -> int:
        """Bring the store in step with the catalog; return how many vectors were added."""
        if self.store.synced_generation() == self.catalog.generation():
            return 0
        with self._write_lock():
            if self._store is not None:  # another process may have written the store since we opened it
                self._store.close()
                self._store = None
            generation = self.catalog.generation()
            if self.store.synced_generation() == generation:
                return 0
            wanted = dict(self.catalog.passage_keys())
            have = {int(k) for k in self.store.keys().tolist()}
            stale = np.fromiter(have - wanted.keys(), dtype=np.int64)
            if len(stale):
                self.store.delete(stale)
            missing = sorted(set(wanted) - have)
            if missing:
                vectors = self._vectors_for_pids(missing, wanted)
                self.store.add(np.asarray(missing, dtype=np.int64), vectors)
            self.store.flush(generation)
            if missing or len(stale):
                log.info("vector store synced: %d added, %d removed", len(missing), len(stale))
            return len(missing)

    def resplit(self) -> int:
        """Re-split the stored sources when an older splitter cut them; return how many sources changed.

        Sentence boundaries and the headline/caption labels improve between releases; a library made
        before keeps its old passages unless they are cut again. Only sources whose passages differ are
        rewritten (new passage ids); their sentences' vectors come back from the embedding cache.
        """
        version = str(SEGMENTER_VERSION)
        if self.catalog.get_meta("segmenter_version") == version:
            return 0
        changed = 0
        with self._write_lock():
            if self.catalog.get_meta("segmenter_version") == version:
                return 0
            for story_id, _title, _ids in self.catalog.stories():
                for source in self.catalog.sources(story_id):
                    fresh = split_passages(source)
                    if _layout(fresh) != _layout(self.catalog.passages(source)):
                        self.catalog.replace_passages(source.source_id, fresh, [text_sha256(p.text) for p in fresh])
                        changed += 1
            self.catalog.set_meta("segmenter_version", version)
        if changed:
            log.info("re-split %d source(s) cut by an older splitter", changed)
        return changed

    def rebuild(self) -> int:
        """Empty the vector store and refill it from the catalog; return the number of vectors."""
        with self._write_lock():
            keys = self.store.keys()
            if len(keys):
                self.store.delete(keys)
            self.store.flush(-1)
        return self.sync()

    def _vectors_for_pids(self, pids: list[int], hashes: dict[int, str]) -> np.ndarray:
        wanted = [hashes[p] for p in pids]
        cached = self.catalog.cached(self.embedder.name, wanted)
        absent = [p for p in pids if hashes[p] not in cached]
        if absent:  # a model switch: embed what the cache lacks for this model
            texts = self.catalog.passage_texts(absent)
            fresh = self._embed({hashes[p]: texts[p] for p in absent})
            self.catalog.put_cache(self.embedder.name, fresh)
            cached.update(fresh)
        return np.vstack([cached[h] for h in wanted]).astype(np.float32)

    def _embed(self, texts_by_hash: dict[str, str], bar=None) -> dict[str, np.ndarray]:
        """Embed texts (one model call per chunk, longest first so batches pad little)."""
        items = sorted(texts_by_hash.items(), key=lambda kv: -len(kv[1]))
        out: dict[str, np.ndarray] = {}
        own = bar is None
        bar = _progress(len(items), self.progress) if own else bar
        for at in range(0, len(items), EMBED_CHUNK):
            chunk = items[at : at + EMBED_CHUNK]
            vectors = self.embedder.embed([text for _, text in chunk])
            out.update({sha: vectors[i] for i, (sha, _) in enumerate(chunk)})
            bar.update(len(chunk))
        if own:
            bar.close()
        return out

    # --- reads ------------------------------------------------------------------------------------

    def stories(self) -> list[StorySummary]:
        default = self.catalog.default_story()
        return [StorySummary(story_id=sid, title=title, sources=ids, default=sid == default)
                for sid, title, ids in self.catalog.stories()]

    def default_story(self) -> str | None:
        """The story chosen with `storybot story use`, if it still exists."""
        return self.catalog.default_story()

    def story_id(self, story_id: str | None) -> str:
        """The named story, else the default story (`storybot story use`), else the library's only story."""
        if story_id is not None:
            self.catalog.story_title(story_id)
            return story_id
        default = self.catalog.default_story()
        if default is not None:
            return default
        listed = self.catalog.stories()
        if len(listed) == 1:
            return listed[0][0]
        if not listed:
            raise UnknownStoryError("the library holds no story yet; add articles with `storybot add PATH_OR_URL`")
        names = ", ".join(sid for sid, _, _ in listed[:8]) + (" …" if len(listed) > 8 else "")
        raise UnknownStoryError(f"the library holds {len(listed)} stories ({names}); name one with --story, or "
                                "choose the default with `storybot story use ID`")

    def story(self, story_id: str | None = None) -> Story:
        sid = self.story_id(story_id)
        return Story(story_id=sid, title=self.catalog.story_title(sid), sources=self.catalog.sources(sid))

    def story_passages(self, story_id: str | None = None) -> StoryPassages:
        """The story's passages, cached until the catalog changes."""
        sid = self.story_id(story_id)
        generation = self.catalog.generation()
        cached = self._views.get(sid)
        if cached is None or cached[0] != generation:
            self.sync()  # another process (a `storybot add` beside a running bot) may have changed the catalog
            story = self.story(sid)
            passages = [p for source in story.sources for p in self.catalog.passages(source)]
            cached = (generation, StoryPassages(story, passages))
            self._views[sid] = cached
        return cached[1]

    def source(self, source_id: str) -> Source:
        return self.catalog.source(source_id)

    def story_title(self, story_id: str) -> str:
        """The story's title; an unknown story is refused."""
        return self.catalog.story_title(story_id)

    def source_ids(self, story_id: str) -> list[str]:
        """The story's source ids, oldest first; an unknown story is refused."""
        self.catalog.story_title(story_id)
        return self.catalog.source_ids(story_id)

    def passage_count(self, source_id: str | None = None) -> int:
        """The passages of one source, or of the whole library."""
        return self.catalog.passage_count(source_id)

    def generation(self) -> int:
        """The catalog's change counter: the vector store is in step when it has synced this generation."""
        return self.catalog.generation()

    def cache_counts(self) -> CacheCounts:
        """Cached vectors and those no passage of the library uses any more, over every model."""
        return self.catalog.cache_counts()

    @property
    def catalog_file(self) -> Path:
        """The SQLite file of the catalog."""
        return self.catalog.path

    def source_summaries(self, story_id: str | None = None) -> list[SourceSummary]:
        story = self.story(story_id)
        fields = set(SourceInfo.model_fields)
        return [SourceSummary(**s.model_dump(include=fields), passages=self.catalog.passage_count(s.source_id))
                for s in story.sources]

    def story_of(self, source_ids: Iterable[str]) -> str:
        """The story that holds all these sources."""
        wanted = list(source_ids)
        stories = {self.catalog.source(s).story_id for s in wanted}
        if len(stories) != 1:
            raise UnknownSourceError(f"no single story holds the sources {sorted(wanted)}")
        return stories.pop()

    # --- writes ---------------------------------------------------------------------------------

    def add(self, items: list[str], story: str | None = None, **overrides: str | None) -> AddReport:
        """Read files, folders or URLs and add every article that can be read; skip the rest with a reason."""
        from index.ingest import read_inputs  # HTML and metadata parsing load only when something is added

        return self.add_drafts(read_inputs(items, self.limits), story, **overrides)

    def add_drafts(self, drafts: Iterable[Draft | Skipped], story: str | None = None, *, embed: bool = True,
                   **overrides: str | None) -> AddReport:
        """Store readable drafts (each source in its own transaction) and report the rest as skipped.

        With `embed`, the new sentences are embedded now and the vector store caught up; without, that
        waits for the first question (`sync`), so listing a freshly imported story needs no model.
        """
        report = AddReport()
        ready: list[tuple[Draft, Source, list[Passage]]] = []
        fallback_story = None
        reading = True
        try:
            with self._write_lock():
                taken: set[str] = set()
                for draft in drafts:
                    if isinstance(draft, Skipped):
                        report.skipped.append(SkippedInput(path=draft.path, reason=draft.reason,
                                                           duplicate=draft.duplicate))
                        continue
                    prepared = self._prepare(draft, story, overrides, taken, report)
                    if prepared is None:
                        continue
                    if prepared[1].story_id is None:
                        fallback_story = fallback_story or self._new_story_id(draft, prepared[1].title)
                        prepared[1].story_id = fallback_story
                    ready.append(prepared)
                reading = False
                self._store_sources(ready, report, embed)
            if embed:
                self.sync()
        except KeyboardInterrupt:  # each stored source is whole (its own transaction); the store catches up later
            raise AddInterrupted(report, None if reading else [d.origin for d, _, _ in ready[len(report.added):]]) \
                from None
        stories = {a.story_id for a in report.added}
        report.story = stories.pop() if len(stories) == 1 else (story if story else None)
        return report

    def _prepare(self, draft: Draft, story: str | None, overrides: dict, taken: set[str],
                 report: AddReport) -> tuple[Draft, Source, list[Passage]] | None:
        sha = text_sha256(draft.text)
        duplicate = self.catalog.source_by_sha(sha)
        if duplicate is not None:
            report.skipped.append(SkippedInput(path=draft.origin, reason=f"already in the library (source "
                                                                          f"{duplicate.source_id}, story {duplicate.story_id})",
                                               duplicate=True))
            return None
        story_id = story or draft.story_id
        if story_id is not None and not re.fullmatch(r"[\w.-]{1,80}", story_id):
            story_id = slug(story_id)
        base = slug(draft.source_id or draft.title or Path(draft.origin).stem, "source")
        source_id = draft.source_id if draft.source_id and re.fullmatch(r"[\w.-]{1,120}", draft.source_id) else base
        source_id = self._unique_source_id(source_id, taken)
        taken.add(source_id)
        headline = draft.text.strip().splitlines()[0].strip()[:300] if draft.text.strip() else source_id
        source = Source.model_construct(
            source_id=source_id, story_id=story_id, outlet=overrides.get("outlet") or draft.outlet
            or "unnamed outlet", title=overrides.get("title") or draft.title or headline,
            text=draft.text, url=overrides.get("url") or draft.url, date=overrides.get("date") or draft.date,
            credit=draft.credit, author=draft.author, language=draft.language)
        passages = split_passages(source)
        if not any(p.kind == "body" for p in passages):
            report.skipped.append(SkippedInput(path=draft.origin, reason="no article text (only a headline or "
                                                                         "page furniture)"))
            return None
        return draft, source, passages

    def _unique_source_id(self, wanted: str, taken: set[str]) -> str:
        candidate, n = wanted, 2
        while candidate in taken or self.catalog.has_source(candidate):
            candidate, n = f"{wanted}-{n}", n + 1
        return candidate

    def _new_story_id(self, draft: Draft, title: str) -> str:
        base = slug(draft.story_title or title or Path(draft.origin).stem)
        candidate, n = base, 2
        while self.catalog.has_story(candidate):
            candidate, n = f"{base}-{n}", n + 1
        return candidate

    def _store_sources(self, ready: list[tuple[Draft, Source, list[Passage]]], report: AddReport,
                       embed: bool) -> None:
        """Embed what the cache lacks and store each source in its own transaction, a batch of about
        EMBED_CHUNK passages at a time: an interrupted add keeps every source stored before the interrupt."""
        hashes = [[text_sha256(p.text) for p in passages] for _, _, passages in ready]
        bar = _progress(sum(map(len, hashes)), self.progress and embed)
        at = 0
        while at < len(ready):
            end, size = at, 0
            while end < len(ready) and (end == at or size + len(hashes[end]) <= EMBED_CHUNK):
                size, end = size + len(hashes[end]), end + 1
            batch = list(zip(ready[at:end], hashes[at:end]))
            cached = self.catalog.cached(self.embedder.name, [h for _, hs in batch for h in hs])
            missing = {h: p.text for ((_, _, passages), hs) in batch for p, h in zip(passages, hs) if h not in cached}
            fresh = self._embed(missing, bar) if missing and embed else {}
            report.embedded += len(fresh)
            for (draft, source, passages), hs in batch:
                report.reused += sum(1 for h in hs if h in cached)
                new = {h: fresh[h] for h in hs if h in fresh}
                title = draft.story_title or source.title
                if not self.catalog.has_story(source.story_id) and source.story_id not in report.created:
                    report.created.append(source.story_id)
                self.catalog.add_source(Source.model_validate(source.model_dump()), passages, hs, story_title=title,
                                        origin=draft.origin, raw_sha256=draft.raw_sha256, model=self.embedder.name,
                                        new_vectors=new)
                report.added.append(AddedSource(source_id=source.source_id, story_id=source.story_id,
                                                outlet=source.outlet, title=source.title, passages=len(passages)))
            bar.update(size - len(fresh))  # the passages found in the cache (or shared) count as done too
            at = end
        bar.close()

    def remove(self, source_ids: list[str]) -> list[str]:
        """Remove sources (and their passages and vectors); unknown ids are refused before anything changes."""
        for source_id in source_ids:
            self.catalog.source(source_id)
        with self._write_lock():
            self.catalog.remove_sources(source_ids)
        self.sync()
        return source_ids

    def prune_cache(self) -> int:
        """Forget the cached vectors of texts the library no longer holds (`storybot index prune`).

        Removing a source keeps its vectors, so an edited article added again embeds only what changed;
        this is the explicit step that reclaims the space."""
        with self._write_lock():
            return self.catalog.prune_cache()

    def set_default_story(self, story_id: str | None) -> None:
        """Answer from this story when none is named (None: no default); an unknown story is refused."""
        self.catalog.set_default_story(story_id)

    def rename_story(self, story_id: str, title: str) -> None:
        """Give a story a new title; an unknown story is refused."""
        self.catalog.rename_story(story_id, title)

    def create_story(self, story_id: str, title: str | None = None) -> str:
        if not re.fullmatch(r"[\w.-]{1,80}", story_id):
            raise UsageError(f"a story id is 1–80 letters, digits, '.', '_' or '-'; {story_id!r} is not")
        if self.catalog.has_story(story_id):
            raise UsageError(f"the story {story_id!r} exists already")
        self.catalog.create_story(story_id, title or story_id)
        return story_id

    def delete_story(self, story_id: str) -> list[str]:
        return self.delete_stories([story_id])[story_id]

    def delete_stories(self, story_ids: list[str]) -> dict[str, list[str]]:
        """Delete stories with their sources (story id → source ids removed); unknown ids are refused before
        anything changes."""
        for story_id in story_ids:
            self.catalog.story_title(story_id)
        with self._write_lock():
            removed = {story_id: self.catalog.delete_story(story_id) for story_id in dict.fromkeys(story_ids)}
        self.sync()
        return removed

    def delete_emptied_stories(self, story_ids: Iterable[str]) -> list[str]:
        """Delete those of these stories that hold no source any more (after a `remove`); return their ids."""
        with self._write_lock():
            empty = [s for s in dict.fromkeys(story_ids) if self.catalog.has_story(s) and not self.catalog.source_ids(s)]
            for story_id in empty:
                self.catalog.delete_story(story_id)
        return empty

    def mirror(self, folder: Path) -> AddReport:
        """Make the library hold exactly the articles of `folder` (a story folder, corpus, or BASIL)."""
        from index.ingest import read_inputs

        drafts = list(read_inputs([str(folder)], self.limits))
        report = AddReport()
        seen_origins: set[str] = set()
        fresh: list[Draft | Skipped] = []
        by_origin = self.catalog.sources_by_origin()
        for draft in drafts:
            if isinstance(draft, Skipped):
                fresh.append(draft)
                continue
            seen_origins.add(draft.origin)
            known = by_origin.get(draft.origin)
            if known is not None and known.raw_sha256 == draft.raw_sha256:
                self._refresh_metadata(known.source_id, draft)
                continue
            if known is not None:
                self.catalog.remove_sources([known.source_id])
                report.removed.append(known.source_id)
            fresh.append(draft)
        gone = [sid for origin, (sid, _) in by_origin.items() if origin not in seen_origins]
        if gone:
            with self._write_lock():
                self.catalog.remove_sources(gone)
            report.removed += gone
        added = self.add_drafts(fresh, embed=False)
        added.removed = report.removed
        return added

    def _refresh_metadata(self, source_id: str, draft: Draft) -> None:
        """Carry edits of a folder's metadata (outlet, title, url, date…) over without re-embedding."""
        stored = self.catalog.source(source_id)
        updated = stored.model_copy(update={k: getattr(draft, k) for k in
                                            ("outlet", "title", "url", "date", "credit", "author", "language")
                                            if getattr(draft, k)})
        if updated != stored:
            self.catalog.update_metadata(updated)


def _progress(total: int, enabled: bool):
    """A progress bar on stderr when it is a terminal and the work is big enough to wait for."""
    from tqdm import tqdm

    return tqdm(total=total, desc="embedding passages", unit="passage",
                disable=not (enabled and total >= 32 and sys.stderr.isatty()), file=sys.stderr)


def _layout(passages: list[Passage]) -> list[tuple[int, int, str, int]]:
    return [(p.start, p.end, p.kind, p.paragraph) for p in passages]


def packaged_seeds() -> Path:
    """The seed story shipped inside the package (package data), as a folder on disk."""
    from importlib.resources import files

    return Path(str(files("seeds")))


def open_library(home: Path, corpus: Path | None, embedder: Embedder, store_spec: str = "faiss", *,
                 progress: bool = False, limits: IngestLimits | None = None) -> Library:
    """The user's library under `home` (seeded with the packaged story on first use), or, for `corpus`,
    a library of its own under `home/corpora/` that mirrors that folder (only changed articles re-embedded).
    """
    home = Path(home)
    if corpus is None:
        library = Library(home / "library", embedder, store_spec, progress=progress, limits=limits)
        library.resplit()
        if library.catalog.get_meta("seeded") is None:
            with library._write_lock():
                fresh = library.catalog.get_meta("seeded") is None and not library.catalog.stories()
            if fresh:
                from index.ingest import read_inputs

                library.add_drafts(read_inputs([str(packaged_seeds())], library.limits), embed=False)
            library.catalog.set_meta("seeded", "1")
        return library
    corpus = Path(corpus)
    if not corpus.exists():
        raise UsageError(f"corpus folder not found: {corpus}")
    if not corpus.is_dir():
        raise UsageError(f"corpus path is not a folder: {corpus}")
    resolved = str(corpus.resolve())
    folder = home / "corpora" / f"{slug(corpus.resolve().name, 'corpus')}-{hashlib.sha256(resolved.encode()).hexdigest()[:8]}"
    library = Library(folder, embedder, store_spec, progress=progress, limits=limits)
    library.resplit()
    report = library.mirror(corpus)
    if not library.catalog.stories():
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in report.skipped[:3])
        raise UsageError(f"no articles could be read from {corpus}" + (f" ({reasons})" if reasons else ""))
    return library
