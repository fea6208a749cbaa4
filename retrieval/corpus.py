"""Load a corpus of stories: a seeds-style folder, a folder of story folders, or BASIL JSON.

- A story folder holds plain-text articles (`*.txt`, UTF-8; the file stem is the source id) and an
  optional `sources.json` with the story's id and title and each source's outlet, title, url, date and
  credit. Without metadata, the first line of an article is its headline and its outlet is unknown.
- A corpus folder of story folders holds one story folder per story.
- A BASIL folder holds `<year>/<triplet-uuid>_<n>.json`; files sharing a triplet-uuid are one story.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from index.errors import CorpusError, UnknownSourceError, UnknownStoryError
from retrieval.models import Source, StorySummary

METADATA_FILE = "sources.json"
BASIL_OUTLETS = {"nyt": "The New York Times", "fox": "Fox News", "hpo": "HuffPost"}


@dataclass
class Story:
    """A set of articles about one event, one per outlet."""

    story_id: str
    title: str
    sources: list[Source] = field(default_factory=list)


@dataclass
class Corpus:
    """Stories keyed by id, in a stable order, with the folder they came from."""

    root: Path
    stories: dict[str, Story]

    def story(self, story_id: str | None) -> Story:
        """Return the named story, or the only one when no name is given."""
        if story_id is None:
            if len(self.stories) == 1:
                return next(iter(self.stories.values()))
            raise UnknownStoryError(
                f"the corpus {self.root} holds {len(self.stories)} stories; name one with --story "
                "(`storybot stories` lists them)"
            )
        if story_id in self.stories:
            return self.stories[story_id]
        raise UnknownStoryError(f"no story {story_id!r} in {self.root}; `storybot stories` lists them")

    def sources(self) -> list[Source]:
        """Every source of every story, story by story."""
        return [s for story in self.stories.values() for s in story.sources]

    def source(self, source_id: str) -> Source:
        """Find a source by id in any story."""
        for source in self.sources():
            if source.source_id == source_id:
                return source
        raise UnknownSourceError(f"no source {source_id!r} in {self.root}; `storybot sources` lists them")

    def story_of(self, source_ids: Iterable[str]) -> Story:
        """Return the story that holds all these source ids."""
        wanted = set(source_ids)
        for story in self.stories.values():
            if wanted <= {s.source_id for s in story.sources}:
                return story
        raise UnknownSourceError(f"no single story holds the sources {sorted(wanted)}")

    def summaries(self) -> list[StorySummary]:
        return [
            StorySummary(story_id=s.story_id, title=s.title, sources=[x.source_id for x in s.sources])
            for s in self.stories.values()
        ]

    def fingerprint(self) -> str:
        """A hash of every source's id, story and text: it changes when any article changes."""
        digest = hashlib.sha256()
        for source in self.sources():
            for part in (source.story_id, source.source_id, source.text):
                digest.update(part.encode("utf-8"))
                digest.update(b"\0")
        return digest.hexdigest()


def load_corpus(root: Path) -> Corpus:
    """Load whatever kind of corpus `root` holds; raise CorpusError with the reason if it cannot."""
    root = Path(root)
    if not root.exists():
        raise CorpusError(f"corpus folder not found: {root}")
    if not root.is_dir():
        raise CorpusError(f"corpus path is not a folder: {root}")
    try:
        if any(root.glob("*.txt")):
            stories = [_load_story_folder(root)]
        elif any(p.is_dir() and any(p.glob("*.txt")) for p in root.iterdir()):
            stories = [_load_story_folder(p) for p in sorted(root.iterdir()) if p.is_dir() and any(p.glob("*.txt"))]
        elif any(p.name != METADATA_FILE for p in root.rglob("*.json")):
            stories = _load_basil(root)
        else:
            raise CorpusError(f"no articles found in {root} (expected *.txt files, story folders, or BASIL JSON)")
    except PermissionError as exc:
        raise CorpusError(f"cannot read {exc.filename}: permission denied") from None
    ids = [s.story_id for s in stories]
    if len(set(ids)) != len(ids):
        raise CorpusError(f"duplicate story ids in {root}: {sorted({i for i in ids if ids.count(i) > 1})}")
    return Corpus(root=root, stories={s.story_id: s for s in stories})


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CorpusError(f"{path} is not UTF-8 text") from None
    except OSError as exc:
        raise CorpusError(f"cannot read {path}: {exc.strerror}") from None


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(data, dict):
        raise CorpusError(f"{path} must hold a JSON object")
    return data


def _load_story_folder(folder: Path) -> Story:
    meta_path = folder / METADATA_FILE
    meta = _read_json(meta_path) if meta_path.exists() else {}
    story_meta = _object(meta.get("story", {}), meta_path, '"story"')
    source_meta = _object(meta.get("sources", {}), meta_path, '"sources"')
    story_id = str(story_meta.get("id") or folder.name)
    sources = []
    for path in sorted(folder.glob("*.txt")):
        text = _read_text(path)
        if not text.strip():
            raise CorpusError(f"{path} is empty")
        info = _object(source_meta.get(path.stem, {}), meta_path, f'"sources"."{path.stem}"')
        headline = text.strip().splitlines()[0].strip()
        sources.append(
            Source(
                source_id=path.stem,
                story_id=story_id,
                outlet=info.get("outlet") or f"unnamed outlet ({path.stem})",
                title=info.get("title") or headline,
                text=text,
                url=info.get("url"),
                date=info.get("date"),
                credit=info.get("credit"),
            )
        )
    title = story_meta.get("title") or (sources[0].title if sources else folder.name)
    return Story(story_id=story_id, title=title, sources=sources)


def _object(value, path: Path, what: str) -> dict:
    if not isinstance(value, dict):
        raise CorpusError(f"{path}: {what} must be a JSON object, not {type(value).__name__}")
    return value


def normalize_outlet(raw: str) -> str:
    """Map BASIL's outlet codes, in any case or spacing, to the outlet's name."""
    key = raw.strip().lower()
    return BASIL_OUTLETS.get(key, raw.strip())


def basil_text(record: dict) -> str:
    """Compose a BASIL article's stored text: headline, blank line, paragraphs separated by blank lines."""
    paragraphs = [" ".join(s.strip() for s in para if s.strip()) for para in record.get("body-paragraphs", [])]
    return "\n\n".join([record.get("title", "").strip(), *[p for p in paragraphs if p]])


def _load_basil(root: Path) -> list[Story]:
    stories: dict[str, Story] = {}
    for path in sorted(root.rglob("*.json")):
        record = _read_json(path)
        missing = [k for k in ("triplet-uuid", "source", "body-paragraphs") if k not in record]
        if missing:
            raise CorpusError(f"{path} is not a BASIL article: missing {', '.join(missing)}")
        story_id = record["triplet-uuid"]
        story = stories.setdefault(story_id, Story(story_id=story_id, title=record.get("main-event") or ""))
        story.sources.append(
            Source(
                source_id=path.stem,
                story_id=story_id,
                outlet=normalize_outlet(record["source"]),
                title=record.get("title", ""),
                text=basil_text(record),
                url=record.get("url"),
                date=record.get("date"),
            )
        )
    ordered = sorted(stories.values(), key=lambda s: (s.sources[0].date or "", s.story_id))
    return ordered
