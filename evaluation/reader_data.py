"""Build the reader's training pairs mechanically from the BASIL corpus (no hand labels).

A body sentence of outlet A holding an answer span (a count, an amount, a year or date, a person's
name, a place) becomes a question: the span is replaced by a wh-phrase ("how many people", "when",
"who", "where"), kept in place or fronted with the clause's auxiliary ("When was the program
started?"), and the question keeps only the clause around the span. Labels, per (question, sentence):

- positive: the source sentence itself; a sentence of another outlet B of the story that holds the
  answer's key (the number, the year, the surname, the place) and is close to the source sentence
  (cosine, or shared content words);
- hard negative: one of B's (or A's own) sentences ranked high for the question that holds no answer
  of the asked kind at all (no number for "how many", no time for "when", not the answer's name for
  "who"/"where"); a sentence holding an answer of that kind but not this one (outlets differ on
  figures) is left out rather than called a negative;
- easy negative: a random sentence of the same story without the key;
- headline pairs: outlet A's headline with B's lead sentence (positive) and a far sentence (negative).

Stories named in the dev question files are excluded (they are evaluation stories), as are the seed
story and newswcl50, which this builder never reads. Output: pairs JSONL and a manifest (counts,
stories, seed). Run: `python -m evaluation.reader_data --out DIR`.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from index.ingest import Draft, read_inputs
from index.models import Source
from index.sentences import split_passages

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "basil"
DEV_FILES = [Path(__file__).resolve().parent.parent / "tests" / "data" / "basil_dev_questions.jsonl"]
SEED = 13

_STOP = frozenset("""a an the of to in on at for by with from and or but as is was were are be been being has have had
do does did it its this that these those he she they them his her their we our you your i not no so if than then
there here who whom whose what when where why how which said says say told also would could should will can may
might must about after before over under into out up down more most less least very just only mr mrs ms""".split())
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d[\d,.]*")
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_NUMBER_WORDS = ("two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
                 "hundred|hundreds|thousand|thousands|million|millions|dozen|dozens|billion")
_AUX = frozenset("is was were are has have had will would can could should may might must".split())
_TITLES = r"(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen|Lt|Col|Sgt|Capt|Adm|Prof|President|Senator|Representative|Governor|" \
          r"Secretary|Director|Judge|Justice|Speaker|Chairman|Chairwoman|Attorney General|Mayor|Minister|Prime Minister)"
_NAME = r"[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?"
_NOT_NAME = frozenset((_MONTHS + "|" + _DAYS + "|The|A|An|In|On|At|But|And|He|She|It|They|We|I|This|That|His|Her|"
                       "Their|After|Before|When|While|Since|If|As|For|Of|By|To|With|From|Democrats|Republicans|"
                       "Democrat|Republican|American|Americans|U|S|WASHINGTON|Senate|House|Congress").split("|"))

# Each answer kind: (kind, span pattern, wh-phrase maker). Group "span" is replaced; group "key" must be
# found in a sentence for it to state the answer.
_SPANS: list[tuple[str, re.Pattern]] = [
    ("money", re.compile(r"(?P<span>\$\s?(?P<key>\d[\d,.]*)(?:\s(?:million|billion|trillion))?)")),
    ("percent", re.compile(r"(?P<span>(?P<key>\d[\d.]*)\s?(?:percent|%))")),
    ("count", re.compile(r"(?P<span>\b(?:more than |at least |nearly |about |almost |over )?"
                         rf"(?P<key>\d{{1,3}}(?:,\d{{3}})+|\d+|{_NUMBER_WORDS})\s(?P<noun>[a-z][a-z]{{2,}}(?:\s[a-z][a-z]{{2,}})?))\b")),
    ("year", re.compile(r"(?P<span>\b(?:in|since|by|until|from|of) (?P<key>(?:19|20)\d\d))\b")),
    ("date", re.compile(rf"(?P<span>\b(?:on |last |this |early |late )?(?P<key>(?:{_MONTHS})\.? \d{{1,2}}|{_DAYS})"
                        r"(?:,? (?:19|20)\d\d)?)\b")),
    ("ago", re.compile(r"(?P<span>\b(?P<key>(?:a|an|one|two|three|four|five|six|\d+) (?:and a half )?"
                       r"(?:days?|weeks?|months?|years?|decades?) ago))\b")),
    ("month", re.compile(rf"(?P<span>\b(?:in |since |until |by )?(?:early |late |mid-)?(?P<key>{_MONTHS})(?! \d))\b")),
    ("person", re.compile(rf"(?P<span>\b(?:{_TITLES}\.? )(?:{_NAME} )?(?:[A-Z]\. )?(?P<key>{_NAME}))\b")),
    ("person", re.compile(rf"(?P<span>\b{_NAME} (?:[A-Z]\. )?(?P<key>{_NAME}))(?=,? (?:said|says|told|added|wrote|"
                          r"argued|announced|declared|insisted|noted|who|,))")),
    ("place", re.compile(rf"(?P<span>\bin (?P<key>{_NAME}(?: {_NAME})?))\b(?! (?:{_NAME}))")),
]
_WH = {"money": "how much", "percent": "what percentage", "year": "when", "date": "when", "ago": "when", "month": "when",
       "person": "who", "place": "where"}
# "Does this sentence hold an answer of the kind?" Any one, not only the asked one.
_KIND_PRESENT = {
    "money": re.compile(r"\$\s?\d|\b\d[\d,.]*\s(?:million|billion|trillion|dollars)\b"),
    "percent": re.compile(r"\d\s?(?:percent|%)|\bper ?cent\b"),
    "count": re.compile(rf"\b(?:\d|(?:{_NUMBER_WORDS})\b)", re.IGNORECASE),
}
_TIME = re.compile(rf"\b(?:19|20)\d\d\b|\b(?:{_MONTHS}|{_DAYS})\b|\b(?:yesterday|today|tonight|ago|(?:last|next|this|earlier|"
                   r"later) (?:week|month|year|spring|summer|fall|winter)|[ap]\.m\.|morning|evening|afternoon|night)\b",
                   re.IGNORECASE)
for _kind in ("year", "date", "ago", "month"):
    _KIND_PRESENT[_kind] = _TIME
_ATTRIBUTION = re.compile(r",? (?:he|she|they|officials?|[A-Z][a-z]+(?: [A-Z][a-z]+)?) (?:said|says|told [\w ]+?)"
                          r"(?: on \w+| in a statement| \w+day)?(?=[.,]|$)|^(?:[A-Z]{3,}[A-Z ,.]*\s?[—-]+\s)")
_FUNCTION_OPENERS = frozenset("The A An In On At But And This That These Those After Before While Since If As For Of By".split())
_CLAUSE = re.compile(r"[;:—–]|, (?:and|but|while|which|who|after|before|as|because) |\(|\)")


@dataclass
class Sentence:
    story: str
    source: str
    index: int
    text: str


@dataclass
class Pair:
    story: str
    question: str
    sentence: str
    label: int
    kind: str  # self | cross_positive | hard_negative_other | hard_negative_same | easy_negative | headline_*
    answer: str  # the answer kind of the question ("headline" for headline pairs)


def excluded_stories(files: list[Path] = DEV_FILES) -> set[str]:
    """Every story a dev question file names: never trained on."""
    out = set()
    for path in files:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                story = json.loads(line).get("story")
                if story:
                    out.add(story)
    return out


def read_stories(corpus: Path, excluded: set[str]) -> dict[str, dict[str, tuple[str, list[str]]]]:
    """story id → source id → (headline, body sentences), split as the library splits them."""
    stories: dict[str, dict[str, tuple[str, list[str]]]] = {}
    for draft in read_inputs([str(corpus)]):
        if not isinstance(draft, Draft) or draft.story_id in excluded:
            continue
        source = Source(source_id=draft.source_id, story_id=draft.story_id, outlet=draft.outlet or "",
                        title=draft.title or "", text=draft.text)
        passages = split_passages(source)
        body = [p.text for p in passages if p.kind == "body" and 6 <= len(p.text.split()) <= 70]
        stories.setdefault(draft.story_id, {})[draft.source_id] = (draft.title or "", body)
    return {k: v for k, v in sorted(stories.items()) if len(v) >= 2}


def content_words(text: str) -> set[str]:
    return {w.lower().strip("'’") for w in _WORD.findall(text) if w.lower() not in _STOP and len(w) > 2}


def holds_key(sentence: str, key: str) -> bool:
    """Whether a sentence states the answer's key (a number without its commas, a surname, a place)."""
    if key[0].isdigit():
        digits = key.replace(",", "").rstrip(".")
        return any(d.replace(",", "").rstrip(".") == digits for d in re.findall(r"\d[\d,.]*", sentence))
    return re.search(rf"\b{re.escape(key)}\b", sentence, re.IGNORECASE) is not None


def kind_present(kind: str, sentence: str, key: str) -> bool:
    """Whether a sentence holds some answer of the asked kind (maybe not this one): such a sentence is
    no clean negative (outlets differ on figures, or name a person differently)."""
    pattern = _KIND_PRESENT.get(kind)
    if pattern is not None:
        return pattern.search(sentence) is not None
    return holds_key(sentence, key)  # names and places: only the answer itself counts


def make_question(sentence: str, rng: random.Random) -> tuple[str, str, str] | None:
    """(question, answer kind, key) from a sentence holding an answer span, or None."""
    if re.search(r'[“”"]', sentence):
        return None  # a quotation is someone's words, seldom a fact to ask about
    text = _ATTRIBUTION.sub("", sentence.strip()).strip()
    found: dict[str, list[re.Match]] = {}
    for kind, pattern in _SPANS:
        for m in pattern.finditer(text):
            key = m.group("key")
            if kind == "count" and (re.fullmatch(r"(?:19|20)\d\d", key) or m.group("noun").split()[0] in _STOP
                                    or m.group("noun").split()[0] in ("percent", "million", "billion")):
                continue
            if kind in ("person", "place") and (key in _NOT_NAME or m.group("span").split()[-1] in _NOT_NAME):
                continue
            found.setdefault(kind, []).append(m)
    if not found:
        return None
    kind = rng.choice(sorted(found))  # kinds evenly, else names swamp the rest
    m = rng.choice(found[kind])
    # the clause around the span, at most ~9 words either side
    start, end = m.span("span")
    left_bound = max([c.end() for c in _CLAUSE.finditer(text, 0, start)], default=0)
    right = _CLAUSE.search(text, end)
    right_bound = right.start() if right else len(text)
    left = text[left_bound:start].split()[-7:]
    rest = text[end:right_bound].strip().rstrip(".!?,").split()[:9]
    while rest and rest[-1].lower() in _STOP:  # no dangling "… with?"
        rest = rest[:-1]
    wh = f"how many {m.group('noun')}" if kind == "count" else _WH[kind]
    if kind == "person" and rest and rest[0] in ("’s", "'s"):
        wh, rest = "whose", rest[1:]
    elif kind == "person" and text[end:end + 2] in ("’s", "'s"):
        wh, rest = "whose", ([rest[0][2:]] if rest[0][2:] else []) + rest[1:]
    if left and left[-1].lower() in ("in", "on", "at", "since", "by", "until", "from", "of") and kind in ("date", "year", "place"):
        left = left[:-1]
    if left and left[0] in _FUNCTION_OPENERS:
        left[0] = left[0].lower()
    if not left:  # the span is the subject: "Who conceded …?", "How many people died …?"
        words, at = [wh, *rest], 0
    else:
        aux = next((i for i, w in enumerate(left) if w.lower() in _AUX and i > 0), None)
        if kind in ("person", "count") or aux is None or rng.random() < 0.3:
            words, at = [*left, wh, *rest], len(left)  # in place: "Congress has been briefed how many times …?"
        else:  # fronted with the auxiliary: "When was the program started …?"
            words, at = [wh, left[aux].lower(), *left[:aux], *left[aux + 1 :], *rest], 0
    if len(words) < 4 or len(words) > 22 or not words[0][:1].isalnum():
        return None
    if len(content_words(" ".join(words[:at] + words[at + 1 :]))) < 3:
        return None  # too little left to say what is asked
    question = " ".join(words).rstrip(",;")
    question = question[:1].upper() + question[1:] + "?"
    if holds_key(question, m.group("key")):
        return None
    return question, kind, m.group("key")


_SPEAKER = (rf"(?P<speaker>(?:{_TITLES}\.? )?(?:{_NAME} )?(?:[A-Z]\. )?(?P<key>{_NAME})|"
            r"the (?:[A-Z][\w.]*\s){1,4}(?P<key2>Ministry|Department|Office|House|Pentagon|Kremlin|Commission|Agency))")
_SAID_VERBS = {"said": "say", "told reporters": "tell reporters", "announced": "announce", "warned": "warn",
               "denied": "deny", "argued": "argue", "insisted": "insist", "claimed": "claim", "stressed": "stress",
               "confirmed": "confirm", "acknowledged": "acknowledge", "admitted": "admit", "wrote": "write",
               "promised": "promise", "predicted": "predict", "suggested": "suggest", "added": "add"}
_VERBS = "|".join(sorted(_SAID_VERBS, key=len, reverse=True))
_SAID = re.compile(rf"^(?:[^,]{{0,40}}, )?{_SPEAKER} (?:also |later |previously )?(?P<verb>{_VERBS})(?: on \w+day)?,? (?:that )?"
                   r"(?P<clause>[^“”\"]{25,})$")
_SAID_AFTER = re.compile(rf"^[“\"](?P<clause>.{{25,}}?),?[”\"],? {_SPEAKER} (?P<verb>{_VERBS})\b")


def make_said_question(sentence: str, rng: random.Random) -> tuple[str, str, str] | None:
    """("What did Shoigu say about the peace summit?", "said", "Shoigu") from a reported statement."""
    text = sentence.strip()
    m = _SAID.match(text) or _SAID_AFTER.match(text)
    if m is None:
        return None
    key = m.group("key") or m.group("key2")
    if key in _NOT_NAME:
        return None
    speaker = m.group("speaker")
    speaker = speaker[0].lower() + speaker[1:] if speaker.startswith("The ") else speaker
    words = _WORD.findall(m.group("clause"))
    content = [w.lower() not in _STOP and len(w) > 3 and w != key and "’" not in w and "'" not in w for w in words]
    # a topic: two adjacent content words ("national security", "Supreme Court"), else one long word
    topics = [f"{words[k]} {words[k + 1]}" for k in range(len(words) - 1) if content[k] and content[k + 1]]
    topics = topics or [w for w, ok in zip(words, content) if ok and len(w) >= 7]
    question = f"What did {speaker} {_SAID_VERBS[m.group('verb')]}"
    if topics and rng.random() < 0.75:
        question += " about " + rng.choice(topics[:4])
    return question + "?", "said", key


def build_pairs(stories: dict[str, dict[str, tuple[str, list[str]]]], embed, seed: int = SEED,
                questions_per_source: int = 30) -> list[Pair]:
    """All training pairs of the given stories (see the module docstring)."""
    rng = random.Random(seed)
    pairs: list[Pair] = []
    for story, sources in stories.items():
        ids = sorted(sources)
        texts = {sid: sources[sid][1] for sid in ids}
        vectors = {sid: embed(texts[sid]) if texts[sid] else np.zeros((0, 384), np.float32) for sid in ids}
        everything = [(sid, s) for sid in ids for s in texts[sid]]
        for a in ids:
            candidates = list(range(len(texts[a]))) * 2  # a sentence may give two questions (two spans)
            rng.shuffle(candidates)
            made, asked_before = 0, set()
            for i in candidates:
                if made >= questions_per_source:
                    break
                asked = (make_said_question(texts[a][i], rng) if rng.random() < 0.4 else None) \
                    or make_question(texts[a][i], rng)
                if asked is None or asked[0] in asked_before:
                    continue
                question, kind, key = asked
                asked_before.add(question)
                made += 1
                q_words = content_words(question)
                if rng.random() < 0.4:  # the question is cut from it: a lexical give-away, so only sometimes
                    pairs.append(Pair(story, question, texts[a][i], 1, "self", kind))
                source_vec = vectors[a][i]
                if kind == "said":
                    pairs += _said_pairs(story, question, key, texts, vectors, a, i, ids)
                    continue
                # the same outlet's near misses
                same = [j for j in np.argsort(-(vectors[a] @ source_vec)) if j != i][:4]
                for j in same:
                    s = texts[a][j]
                    if not holds_key(s, key) and not kind_present(kind, s, key) and len(q_words & content_words(s)) >= 1:
                        pairs.append(Pair(story, question, s, 0, "hard_negative_same", kind))
                        break
                for b in ids:
                    if b == a or not texts[b]:
                        continue
                    cos = vectors[b] @ source_vec
                    order = np.argsort(-cos)
                    positives = [j for j in order[:8] if holds_key(texts[b][j], key) and cos[j] >= 0.45
                                 and len(q_words & content_words(texts[b][j]) - {key.lower()}) >= 2]
                    if positives:
                        pairs.append(Pair(story, question, texts[b][positives[0]], 1, "cross_positive", kind))
                    negatives = [j for j in order[:6] if not holds_key(texts[b][j], key)
                                 and not kind_present(kind, texts[b][j], key) and cos[j] < 0.8]
                    for j in negatives[:2 if not positives else 1]:
                        pairs.append(Pair(story, question, texts[b][j], 0, "hard_negative_other", kind))
                easy = [s for _, s in rng.sample(everything, min(6, len(everything)))
                        if not holds_key(s, key) and s != texts[a][i]]
                if easy:
                    pairs.append(Pair(story, question, easy[0], 0, "easy_negative", kind))
        for a in ids:  # headlines: the story's lead in another outlet answers "what happened"
            headline = sources[a][0]
            if len(headline.split()) < 4:
                continue
            head_vec = embed([headline])[0]
            for b in ids:
                if b == a or len(texts[b]) < 5:
                    continue
                cos = vectors[b] @ head_vec
                lead = int(np.argmax(cos[:3]))
                if cos[lead] >= 0.5:
                    pairs.append(Pair(story, headline, texts[b][lead], 1, "headline_positive", "headline"))
                far = [j for j in np.argsort(cos)[:3]]
                pairs.append(Pair(story, headline, texts[b][far[0]], 0, "headline_negative", "headline"))
    return pairs


def _said_pairs(story, question, key, texts, vectors, a, i, ids) -> list[Pair]:
    """Pairs for "What did X say …?": another outlet's close paraphrase naming X is a positive; X saying
    something else (low cosine), or a close sentence not naming X, is a negative."""
    out = []
    source_vec = vectors[a][i]
    for b in ids:
        if not texts[b]:
            continue
        cos = vectors[b] @ source_vec
        for j in np.argsort(-cos)[:10]:
            if b == a and j == i:
                continue
            names = holds_key(texts[b][j], key)
            if b != a and names and cos[j] >= 0.62:
                out.append(Pair(story, question, texts[b][j], 1, "cross_positive", "said"))
            elif names and cos[j] < 0.35:
                out.append(Pair(story, question, texts[b][j], 0, "hard_negative_same" if b == a else "hard_negative_other", "said"))
            elif not names and cos[j] < 0.45 and b != a:
                out.append(Pair(story, question, texts[b][j], 0, "hard_negative_other", "said"))
            else:
                continue
            if len([p for p in out if p.sentence in texts[b]]) >= 2:
                break
    return out


def split_stories(stories: list[str], seed: int = SEED, share: float = 0.1) -> tuple[list[str], list[str]]:
    """(train, validation) story ids: about `share` of the stories held out, chosen by seed."""
    shuffled = sorted(stories)
    random.Random(seed).shuffle(shuffled)
    n = max(1, round(len(shuffled) * share))
    return sorted(shuffled[n:]), sorted(shuffled[:n])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, required=True, help="Folder for pairs.jsonl and data_manifest.json.")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--questions-per-source", type=int, default=30)
    args = parser.parse_args(argv)

    from index.embedding import DEFAULT_MODEL, SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder(DEFAULT_MODEL)
    excluded = excluded_stories()
    stories = read_stories(args.corpus, excluded)
    train, validation = split_stories(list(stories), args.seed)
    pairs = build_pairs(stories, embedder.embed, args.seed, args.questions_per_source)
    args.out.mkdir(parents=True, exist_ok=True)
    held = set(validation)
    with open(args.out / "pairs.jsonl", "w", encoding="utf-8") as fh:
        for p in pairs:
            fh.write(json.dumps({**asdict(p), "split": "validation" if p.story in held else "train"},
                                ensure_ascii=False) + "\n")
    manifest = {
        "command": "python -m evaluation.reader_data " + " ".join(argv if argv is not None else sys.argv[1:]),
        "corpus": str(args.corpus), "seed": args.seed, "questions_per_source": args.questions_per_source,
        "excluded_stories": sorted(excluded), "excluded_because": [str(p.name) for p in DEV_FILES],
        "train_stories": train, "validation_stories": validation,
        "pairs": len(pairs), "positives": sum(p.label for p in pairs),
        "by_kind": dict(Counter(p.kind for p in pairs)), "by_answer": dict(Counter(p.answer for p in pairs)),
        "train_pairs": sum(p.story not in held for p in pairs), "validation_pairs": sum(p.story in held for p in pairs),
    }
    (args.out / "data_manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in manifest.items() if "stories" not in k}, indent=2))


if __name__ == "__main__":
    main()
