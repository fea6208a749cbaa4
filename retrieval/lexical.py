"""Lexical evidence over one story's passages: BM25 and question-term coverage.

BM25 here is bm25s's default scoring (Lucene: k1 1.5, b 0.75, idf log(1 + (N − df + ½)/(df + ½)), no (k1 + 1) factor) in a
few lines of numpy; a test holds it equal to bm25s. bm25s itself imports scipy, which cost 0.85 s of
every cold start for a story of a few hundred sentences.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from retrieval.answer_type import AnswerType
from retrieval.expansion import Phrase, alternatives
from retrieval.models import Passage
from retrieval.questions import Question, analyse_question
from retrieval.text_terms import QUESTION_WORDS, stem, terms



@dataclass
class TermGroup:
    """One thing the question names, with every way an article may say it."""

    surface: Phrase
    options: frozenset[Phrase]
    weight: float = 1.0
    entity: bool = False


@dataclass
class QuestionTerms:
    """A question analysed once: weighted term groups, the flat query for BM25, the kinds of answer it
    asks for (a person, a time, a number…) and whether it asks who made the report rather than what it says."""

    groups: list[TermGroup]
    question: Question
    query: list[str] = field(default_factory=list)
    # Which of the story's passages hold each group, (groups × passages), filled by the lexicon on first use.
    hits: np.ndarray | None = field(default=None, repr=False, compare=False)

    @cached_property
    def predicate(self) -> QuestionTerms:
        """The groups that are not names: what the question asks about them."""
        keep = [i for i, g in enumerate(self.groups) if not g.entity]
        return QuestionTerms(groups=[self.groups[i] for i in keep], question=self.question, query=self.query,
                             hits=None if self.hits is None else self.hits[keep])

    @property
    def kinds(self) -> tuple[AnswerType, ...]:
        return self.question.kinds


def _contains(sequence: list[str], phrase: Phrase) -> bool:
    n = len(phrase)
    if n == 1:
        return phrase[0] in sequence
    return any(tuple(sequence[i : i + n]) == phrase for i in range(len(sequence) - n + 1))


# A passage that says the question's own word is surer evidence than one that says an alias of it
# ("Tehran" asked, "Iran" written): an alias earns this share of the group's weight.
ALIAS_CREDIT = 0.7


class BM25:
    """Okapi BM25 (Lucene variant) over tokenised documents; `scores` gives every document's score."""

    def __init__(self, documents: list[list[str]], k1: float = 1.5, b: float = 0.75):
        lengths = np.asarray([len(d) for d in documents], dtype=np.float64)
        average = lengths.mean() if len(documents) else 1.0
        self.norm = k1 * (1 - b + b * lengths / average)
        self.k1 = k1
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        counts: dict[str, dict[int, int]] = {}
        for doc, words in enumerate(documents):
            for word in words:
                per_doc = counts.setdefault(word, {})
                per_doc[doc] = per_doc.get(doc, 0) + 1
        n = len(documents)
        self.idf: dict[str, float] = {}
        for word, per_doc in counts.items():
            self.postings[word] = (np.fromiter(per_doc.keys(), dtype=np.int64),
                                   np.fromiter(per_doc.values(), dtype=np.float64))
            self.idf[word] = math.log(1 + (n - len(per_doc) + 0.5) / (len(per_doc) + 0.5))
        self.size = n

    def scores(self, query: list[str]) -> np.ndarray:
        out = np.zeros(self.size)
        for word in dict.fromkeys(query):
            if word in self.postings:
                docs, tf = self.postings[word]
                out[docs] += self.idf[word] * tf / (tf + self.norm[docs])  # bm25s omits the (k1 + 1) factor
        return out


class StoryLexicon:
    """BM25 and document frequencies over one story's passages (passage ids are global)."""

    def __init__(self, passage_ids: list[int], passages: list[Passage]):
        self.passage_ids = passage_ids
        self.position = {pid: i for i, pid in enumerate(passage_ids)}
        self.sequences = [terms(p.text) for p in passages]
        self.term_sets = [set(seq) for seq in self.sequences]
        self.bm25_index = BM25([seq or ["\0"] for seq in self.sequences])
        self.size = len(passages)
        self._holding: dict[Phrase, np.ndarray] = {}

    def passages_holding(self, phrase: Phrase) -> np.ndarray:
        """Story positions of the passages that hold the phrase (remembered: a story's text does not change)."""
        if phrase not in self._holding:
            posting = self.bm25_index.postings.get(phrase[0])
            docs = posting[0] if posting is not None else np.zeros(0, dtype=np.int64)
            if len(phrase) > 1:
                docs = np.asarray([d for d in docs.tolist() if _contains(self.sequences[d], phrase)], dtype=np.int64)
            self._holding[phrase] = docs
        return self._holding[phrase]

    def idf(self, group_options: frozenset[Phrase]) -> float:
        """Smoothed inverse document frequency of the group: of the passages holding any of its options.

        A group matches wherever any option occurs, so it is as rare as their union, not as its rarest
        option ("Tehran" in an Iran story is common once it also matches "Iran").
        """
        if not group_options:
            return 0.0
        holding = np.unique(np.concatenate([self.passages_holding(option) for option in group_options]))
        return math.log((self.size + 1) / (len(holding) + 0.5))

    def analyse(self, question: Question | str, expand: bool = True) -> QuestionTerms:
        """Weigh a question's phrases as term groups over this story; question words ('say', 'report') weigh little.

        With `expand`, each group also matches the aliases and synonyms of its words.
        """
        if isinstance(question, str):
            question = analyse_question(question)
        names = question.names
        groups = []
        for phrase, _known in question.phrases:
            options = alternatives(phrase) if expand else frozenset({phrase})
            weight = self.idf(options) or math.log(self.size + 1)
            if len(phrase) == 1 and phrase[0] in {stem(w) for w in QUESTION_WORDS}:
                weight *= 0.2
            entity = any(t in names for t in phrase)
            groups.append(TermGroup(phrase, options, weight, entity))
        # BM25 scores words, not phrases: a several-word alias would add its loose words ("Democratic People's
        # Republic of Korea" would reward any "Republican"), so only the question's own words and one-word options.
        query = sorted({t for g in groups for option in g.options | {g.surface} if len(option) == 1 or option == g.surface
                        for t in option})
        return QuestionTerms(groups=groups, question=question, query=query)

    def bm25(self, query: list[str]) -> np.ndarray:
        """BM25 score of every story passage, in story order."""
        if not query:
            return np.zeros(self.size)
        return self.bm25_index.scores(query)

    def hits(self, question: QuestionTerms) -> np.ndarray:
        """How far each passage holds each group, as (groups × passages): 1 for its own words, ALIAS_CREDIT for an alias."""
        if question.hits is None:
            hits = np.zeros((len(question.groups), self.size), dtype=np.float64)
            for i, group in enumerate(question.groups):
                for option in group.options - {group.surface}:
                    hits[i, self.passages_holding(option)] = ALIAS_CREDIT
                hits[i, self.passages_holding(group.surface)] = 1.0
            question.hits = hits
        return question.hits

    def coverage(self, question: QuestionTerms, positions: list[int]) -> float:
        """Weighted share of the question's groups found in these passages (story positions)."""
        total = sum(g.weight for g in question.groups)
        if total == 0:
            return 0.0
        if len(positions) == 1:
            held = self.hits(question)[:, positions[0]]
            return float(sum(g.weight * h for g, h in zip(question.groups, held.tolist()))) / total
        # Several passages read together: a phrase may run from one into the next, so look at their words.
        present = set().union(*(self.term_sets[pos] for pos in positions))
        sequence: list[str] | None = None

        def holds(option: Phrase) -> bool:
            nonlocal sequence
            if not present.issuperset(option):  # a cheap test first: every word of the phrase must be there
                return False
            if len(option) == 1:
                return True
            if sequence is None:
                sequence = [t for pos in positions for t in self.sequences[pos]]
            return _contains(sequence, option)

        hit = sum(g.weight * (1.0 if holds(g.surface) else ALIAS_CREDIT if any(holds(o) for o in g.options) else 0.0)
                  for g in question.groups)
        return hit / total

    def entity_coverage(self, question: QuestionTerms, positions: list[int]) -> float:
        """Weighted share of the names the question mentions found anywhere in these passages (1 if none)."""
        names = [g for g in question.groups if g.entity]
        if not names:
            return 1.0
        return self.coverage(QuestionTerms(groups=names, question=question.question), positions)
