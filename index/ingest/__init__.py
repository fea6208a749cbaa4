"""Ingestion: files, folders, story folders, corpora, BASIL JSON and URLs in; article drafts out.

`read_inputs` never stops at a bad input: each one gives a `Draft` or a `Skipped` with its reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

from index.errors import IngestError
from index.ingest.decoding import decode
from index.ingest.fetch import fetch
from index.ingest.html import extract, looks_like_html
from index.ingest.metadata import METADATA_FILE, SourceMeta, read_metadata
from index.drafts import Draft, IngestLimits, Skipped, human_size

__all__ = ["Draft", "IngestLimits", "Skipped", "read_inputs"]

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
# Files that describe a collection rather than report the news: README.md, LICENSE.txt, CHANGES.md …
_NOTES = re.compile(r"(readme|licen[cs]e|copying|notice|authors|contributors|contributing|changelog|changes|history"
                    r"|credits)([._ -].*)?", re.IGNORECASE)
BASIL_OUTLETS = {"nyt": "The New York Times", "fox": "Fox News", "hpo": "HuffPost"}


def read_inputs(items: list[str], limits: IngestLimits | None = None) -> Iterator[Draft | Skipped]:
    """Each input's articles as drafts, or skipped with a reason; duplicates within the batch skipped."""
    limits = limits or IngestLimits()
    seen: dict[str, str] = {}
    for item in items:
        for out in _read_item(item, limits):
            if isinstance(out, Skipped):
                out = Skipped(_shown(out.path), out.reason, out.duplicate)
            if isinstance(out, Draft):
                digest = hashlib.sha256(out.text.encode("utf-8")).hexdigest()
                if digest in seen:
                    out = Skipped(out.origin, f"same text as {seen[digest]}", duplicate=True)
                else:
                    seen[digest] = out.origin
            yield out


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _shown(path: Path | str) -> str:
    """A path as one printable line of text, whatever bytes its name holds."""
    text = os.fsdecode(path).encode("utf-8", "replace").decode("utf-8") if isinstance(path, Path) else path
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _read_item(item: str, limits: IngestLimits) -> Iterator[Draft | Skipped]:
    if "://" in item or item.lower().startswith(("javascript:", "data:", "mailto:")):
        yield _read_url(item, limits)
        return
    path = Path(item)
    try:
        if not path.exists():
            yield Skipped(item, "no such file or folder")
        elif path.is_dir():
            yield from _read_folder(path, limits)
        else:
            yield from _read_file(path, limits)
    except PermissionError:
        yield Skipped(_shown(path), "permission denied")
    except OSError as exc:
        yield Skipped(_shown(path), f"cannot be read ({exc.strerror or type(exc).__name__})")


def _read_url(url: str, limits: IngestLimits) -> Draft | Skipped:
    try:
        body, kind, final = fetch(url, limits.fetch_timeout_s, limits.max_fetch_bytes)
        if kind in ("text/html", "application/xhtml+xml") or looks_like_html(body):
            page = extract(decode(body), final)
            page["url"] = page["url"] or final
        else:
            text = decode(body).strip() + "\n"
            page = {"text": text, "url": final}
        host = (urlparse(final).hostname or "").removeprefix("www.")
        stem = Path(urlparse(final).path).stem or host or "article"
        page["outlet"] = page.get("outlet") or host or None  # the site, when the page does not name itself
        return _draft(page, origin=url, raw=body, source_id=stem)
    except IngestError as exc:
        return Skipped(url, str(exc))


def _read_file(path: Path, limits: IngestLimits, meta: SourceMeta | None = None,
               story: tuple[str | None, str | None] = (None, None)) -> Iterator[Draft | Skipped]:
    suffix = path.suffix.lower()
    shown = _shown(path)
    if suffix == ".json" and path.name != METADATA_FILE:
        yield from _read_basil([path])
        return
    if suffix not in TEXT_SUFFIXES | HTML_SUFFIXES:
        yield Skipped(shown, f"unsupported file type {suffix or '(none)'}; use .txt, .md or .html")
        return
    size = path.stat().st_size
    if size == 0:
        yield Skipped(shown, "empty file")
        return
    if size > limits.max_article_bytes:
        yield Skipped(shown, f"too large: {human_size(size)} is over the {human_size(limits.max_article_bytes)} limit "
                             "(STORYBOT_MAX_ARTICLE_BYTES)")
        return
    raw = path.read_bytes()
    try:
        if suffix in HTML_SUFFIXES or looks_like_html(raw):
            page = extract(decode(raw))
        else:
            text = decode(raw)
            if not text.strip():
                yield Skipped(shown, "empty file (only white space)")
                return
            page = {"text": text}
    except IngestError as exc:
        yield Skipped(shown, str(exc))
        return
    if meta is not None:
        page.update({k: v for k, v in meta.model_dump().items() if v is not None})
    page["story_id"], page["story_title"] = story
    stem = os.fsdecode(path.stem).encode("utf-8", "replace").decode("utf-8")
    page["outlet"] = page.get("outlet") or stem  # ap.txt is AP's article when nothing else names the outlet
    yield _draft(page, origin=shown, raw=raw, source_id=stem)


def _draft(page: dict, origin: str, raw: bytes, source_id: str) -> Draft:
    keys = ("title", "outlet", "url", "date", "author", "language", "credit", "story_id", "story_title")
    return Draft(text=page["text"], origin=origin, raw_sha256=hashlib.sha256(raw).hexdigest(), source_id=source_id,
                 **{k: page.get(k) for k in keys})


def _read_folder(folder: Path, limits: IngestLimits) -> Iterator[Draft | Skipped]:
    """A story folder (articles + optional sources.json), a corpus of story folders, BASIL, or any mix."""
    entries = sorted(folder.iterdir(), key=lambda p: os.fsencode(p.name))
    files = [p for p in entries if p.is_file() and not p.name.startswith(".")]
    subfolders = [p for p in entries if p.is_dir() and not p.name.startswith((".", "__"))]
    articles = [p for p in files if p.suffix.lower() in TEXT_SUFFIXES | HTML_SUFFIXES]
    notes = [p for p in articles if subfolders and _NOTES.fullmatch(os.fsdecode(p.stem))]
    articles = [p for p in articles if p not in notes]
    basil = [p for p in files if p.suffix.lower() == ".json" and p.name != METADATA_FILE]
    for note in notes:  # a corpus's README describes its story folders: it is no story of its own
        yield Skipped(_shown(note), "notes beside story folders (README, LICENSE …), not an article; "
                                    "add the file by name to store it")
    if articles:
        yield from _read_story_folder(folder, articles, limits)
    if basil:
        yield from _read_basil(basil)
    for other in files:
        if other not in articles and other not in notes and other not in basil and other.name != METADATA_FILE \
                and other.suffix.lower() not in {".py", ".pyc"}:
            yield Skipped(_shown(other), f"unsupported file type {other.suffix.lower() or '(none)'}; "
                                         "use .txt, .md or .html")
    for sub in subfolders:
        yield from _read_folder(sub, limits)


def _read_story_folder(folder: Path, articles: list[Path], limits: IngestLimits) -> Iterator[Draft | Skipped]:
    meta_path = folder / METADATA_FILE
    per_source: dict = {}
    story: tuple[str | None, str | None] = (_shown(Path(folder.name)), None)  # the folder names its story
    if meta_path.exists():
        try:
            folder_meta, per_source = read_metadata(meta_path)
        except IngestError as exc:
            for path in articles:
                yield Skipped(_shown(path), f"{_shown(folder)}/{exc}")
            return
        story = (folder_meta.story.id or _shown(Path(folder.name)), folder_meta.story.title)
    for path in articles:
        meta = per_source.get(os.fsdecode(path.stem))
        if isinstance(meta, str):
            yield Skipped(_shown(path), meta)
            continue
        try:
            yield from _read_file(path, limits, meta, story)
        except OSError as exc:
            yield Skipped(_shown(path), f"cannot be read ({exc.strerror or type(exc).__name__})")


def basil_text(record: dict) -> str:
    """A BASIL article's stored text: headline, blank line, paragraphs separated by blank lines."""
    paragraphs = [" ".join(str(s).strip() for s in para if str(s).strip()) for para in record.get("body-paragraphs", [])]
    return "\n\n".join([str(record.get("title", "")).strip(), *[p for p in paragraphs if p]])


def normalize_outlet(raw: str) -> str:
    """Map BASIL's outlet codes, in any case or spacing, to the outlet's name."""
    return BASIL_OUTLETS.get(raw.strip().lower(), raw.strip())


def _read_basil(paths: list[Path]) -> Iterator[Draft | Skipped]:
    """BASIL JSON articles: files sharing a `triplet-uuid` are one story."""
    for path in paths:
        shown = _shown(path)
        try:
            raw = path.read_bytes()
            record = json.loads(raw.decode("utf-8-sig"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            yield Skipped(shown, "not a readable JSON article")
            continue
        if not isinstance(record, dict) or not all(k in record for k in ("triplet-uuid", "source", "body-paragraphs")):
            yield Skipped(shown, "JSON that is not a BASIL article (needs triplet-uuid, source, body-paragraphs)")
            continue
        if not isinstance(record["body-paragraphs"], list) or not all(isinstance(p, list) for p in record["body-paragraphs"]):
            yield Skipped(shown, "BASIL article whose body-paragraphs is not a list of sentence lists")
            continue
        text = basil_text(record)
        if not text.strip():
            yield Skipped(shown, "empty article")
            continue
        url = record.get("url") if isinstance(record.get("url"), str) and str(record.get("url")).startswith(("http://", "https://")) else None
        yield Draft(text=text, origin=shown, raw_sha256=hashlib.sha256(raw).hexdigest(), source_id=path.stem,
                    title=str(record.get("title", "")).strip() or None, outlet=normalize_outlet(str(record["source"])),
                    url=url, date=str(record["date"]) if record.get("date") else None,
                    story_id=str(record["triplet-uuid"]), story_title=str(record.get("main-event") or "") or None)
