"""Words → comparable terms: accent folding, British→American spelling, stop words, stemming."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing done down during each either else ever every
    few for from further had has have having he her here hers herself him himself his how however i if
    in into is it its itself just let me might mine more most much must my myself neither no nor not now
    of off on once one only or other our ours ourselves out over own per same shall she should since so
    some such than that the their theirs them themselves then there these they this those though through
    thus to too under until up upon us very was we were what whatever when whenever where whether which
    while who whoever whom whose why will with within without would yet you your yours yourself
    yourselves ago""".split()
)

# Words a question uses to ask rather than to name what it asks about.
QUESTION_WORDS = frozenset(
    """say said says tell told report reported reports according mention mentioned happen happened
    story article outlet outlets news give gave get got make made take took describe described call
    called name named kind sort way thing things reportedly ready today""".split()
)

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_UK_TO_US = [
    (re.compile(r"^(defen|offen|licen|preten)ce$"), r"\1se"),
    (re.compile(r"^(col|hon|lab|fav|behavi|neighb|harb|rum|hum|vig|arm)our(s|ed|ing|ite|ites)?$"), r"\1or\2"),
    (re.compile(r"^(organ|recogn|real|apolog|critic|author|mobil|legal|civil|modern|privat|stabil)is(e|es|ed|ing|ation|ations)$"), r"\1iz\2"),
    (re.compile(r"^(cent|met|theat|fib)re(s)?$"), r"\1er\2"),
]

_stemmer = Stemmer.Stemmer("english")


def fold(text: str) -> str:
    """Lower-case and strip accents: 'Élysée' → 'elysee'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def words(text: str) -> list[str]:
    """Folded word tokens, possessive 's removed."""
    out = []
    for token in _TOKEN.findall(fold(text)):
        token = token.replace("’", "'")
        if token.endswith("'s"):
            token = token[:-2]
        out.append(token)
    return out


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Stem one folded word after mapping British spelling to American."""
    for pattern, repl in _UK_TO_US:
        if pattern.match(word):
            word = pattern.sub(repl, word)
            break
    return _stemmer.stemWord(word)


def terms(text: str) -> list[str]:
    """Stemmed content terms of a text, in order, stop words removed."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]
