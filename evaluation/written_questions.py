"""Written questions in the LABELING format, resolved against a library, and their story folds.

A file holds one question a line, `{"q", "story", "kind", "gold": {article stem: [phrases] | null}}`.
Gold keys are article file stems ("ap", or a BASIL `<triplet-uuid>_<n>`); a library may have given a
source a uniqueness suffix ("ap-2"), so each key is resolved to the story's source whose id is the
stem, with or without that suffix.

Folds are fixed by a hash of the story id, so adding stories never moves another story's fold.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from evaluation.harness import EvalQuestion
from index.errors import UsageError

HELD_OUT_FOLDS = 4  # one story in four of a written set is held out of the reader's training


def story_fold(story_id: str, folds: int = HELD_OUT_FOLDS) -> int:
    """A stable fold number for a story (0 is the held-out fold)."""
    return int.from_bytes(hashlib.sha256(story_id.encode("utf-8")).digest()[:4], "big") % folds


def held_out(story_id: str) -> bool:
    """Tell whether the reader never trains on this story: it is kept for out-of-fold figures."""
    return story_fold(story_id) == 0


def read_written(path: Path) -> list[dict]:
    """The raw records of a written-questions file."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"cannot read question file {path}: {exc.strerror}") from None
    return [json.loads(line) for line in lines if line.strip()]


def resolve(records: list[dict], story_sources: dict[str, list[str]]) -> list[EvalQuestion]:
    """Questions whose gold keys are the library's source ids; a story the library lacks is an error."""
    questions = []
    for record in records:
        story = record["story"]
        if story not in story_sources:
            raise UsageError(f"the library holds no story {story!r} (named by a written question)")
        ids = story_sources[story]
        gold = {}
        for stem, phrases in record["gold"].items():
            suffixed = re.compile(re.escape(stem) + r"(?:-\d+)?")
            matches = [s for s in ids if s == stem] or [s for s in ids if suffixed.fullmatch(s)]
            if len(matches) != 1:
                raise UsageError(f"story {story!r} holds no single source for article {stem!r}")
            gold[matches[0]] = phrases
        questions.append(EvalQuestion(q=record["q"], gold=gold, story=story))
    return questions


def parse_set(spec: str) -> tuple[Path, Path | None, bool]:
    """`QUESTIONS.jsonl[@CORPUS][:held-out]` → (questions, corpus or None for the library, held-out fold only)."""
    held = spec.endswith(":held-out")
    spec = spec.removesuffix(":held-out")
    path, _, corpus = spec.partition("@")
    return Path(path), Path(corpus) if corpus else None, held


def load_set(path: Path, library, held_out_only: bool = False) -> list[EvalQuestion]:
    """A question file of either format, its gold keys resolved to the library's source ids.

    A question without a story is placed by its gold sources; with `held_out_only`, only the
    questions over stories of the held-out fold are kept.
    """
    from evaluation.harness import load_questions

    questions = load_questions(path)
    sources = {s.story_id: s.sources for s in library.stories()}
    out = []
    for question in questions:
        story = question.story
        if story is None or not set(question.gold) <= set(sources.get(story, [])):
            if story is None:
                story = library.story_of(question.gold)
            else:
                question = resolve([{"story": story, "q": question.q, "gold": question.gold}], sources)[0]
        if held_out_only and not held_out(story):
            continue
        out.append(question.model_copy(update={"story": story}))
    return out
