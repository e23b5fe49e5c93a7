"""Text analysis for search: accent folding, words, stop words, stems, and the language a text is in.

Every text goes through one pipeline, tree texts and customers' queries alike: words (a hyphenated compound
gives its parts and the joined word: ``Wi-Fi`` -> ``wi``, ``fi``, ``wifi``; an apostrophe is dropped:
``can't`` -> ``cant``), lower case, stop words of the language left out, the word stemmed by the language's
Snowball stemmer, then folded (``ł`` -> ``l``, ``ä`` -> ``a``), so a customer who types without accents
meets the same stems as one who types with them. A language without a stemmer keeps its words whole.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer  # type: ignore[import-untyped]  # ships no type information

from triage.trees._stopwords import STOP_WORDS

__all__ = ["LETTERS", "Analyzer", "Word", "analyzer", "base_language", "detect_language", "fold", "words"]

_STEMMERS = {"en": "english", "de": "german", "nl": "dutch", "pl": "polish", "lt": "lithuanian"}

LETTERS: dict[str, str] = {"de": "äöüß", "pl": "ąćęłńóśźż", "lt": "ąčęėįšųūž"}
"""Letters of a language's alphabet that English lacks: a customer who types one gives the language away."""

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_FOLD = str.maketrans({"ł": "l", "ß": "ss", "æ": "ae", "ø": "o", "đ": "d", "ı": "i"})
_MIN_STEM = 4  # the Polish stemmer cuts "działa" to "dz": a stem keeps at least this many letters of its word


def base_language(locale: str) -> str:
    """The language of a locale: ``pl-PL`` -> ``pl``."""
    return locale.replace("_", "-").split("-")[0].lower()


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case without accents: ``Działa`` -> ``dziala``, ``Größe`` -> ``grosse``."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The lower-case words of ``text``, compounds split and joined, numbers left out."""
    out: list[str] = []
    for m in _WORD.finditer(text.lower()):
        word = m.group().replace("'", "").replace("’", "")
        parts = word.split("-")
        if len(parts) > 1:
            out.extend(parts)
            word = "".join(parts)
        out.append(word)
    return [w for w in out if len(w) > 1 and not w.isdigit()]


@dataclass(frozen=True)
class Word:
    """One analysed word: as folded (for typo matching) and its folded stem (for matching)."""

    surface: str
    stem: str


class Analyzer:
    """The pipeline of one language (see the module docstring)."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.stop_words = frozenset(fold(w) for w in STOP_WORDS.get(language, ()))
        name = _STEMMERS.get(language)
        self._stemmer = snowballstemmer.stemmer(name) if name else None
        self._stems: dict[str, str] = {}

    def stem(self, word: str) -> str:
        """The folded stem of a lower-case word."""
        known = self._stems.get(word)
        if known is not None:
            return known
        if len(self._stems) >= 50_000:
            self._stems.clear()  # the words of tree texts come back at once; customers' odd words need not stay
        stem = str(self._stemmer.stemWord(word)) if self._stemmer is not None else word
        if len(stem) < _MIN_STEM:
            stem = word[: max(len(stem), _MIN_STEM)]
        self._stems[word] = out = fold(stem)
        return out

    def analyze(self, text: str) -> list[Word]:
        """The words of ``text`` that count, stop words left out."""
        out = []
        for w in words(text):
            surface = fold(w)
            if surface not in self.stop_words:
                out.append(Word(surface, self.stem(w)))
        return out


@lru_cache(maxsize=32)
def analyzer(language: str) -> Analyzer:
    """The (shared) analyser of a language."""
    return Analyzer(language)


def detect_language(
    text: str, candidates: Iterable[str], vocabulary: Mapping[str, frozenset[str]] | None = None
) -> str | None:
    """The language of ``text`` among ``candidates``, or ``None`` when the text does not say.

    Evidence, per language: its stop words (2 points a word), letters only its alphabet has (3 points a
    word), and words found in the tree texts written in it (``vocabulary``: folded words by language, 1 point
    a word). A tie at the top is no answer.
    """
    tokens = words(text)
    folded = [fold(w) for w in tokens]
    scores: dict[str, int] = {}
    for lang in candidates:
        stops = analyzer(lang).stop_words
        letters = LETTERS.get(lang, "")
        known = (vocabulary or {}).get(lang, frozenset())
        score = sum(2 for f in folded if f in stops)
        score += sum(3 for w in tokens if letters and any(c in letters for c in w))
        score += sum(1 for f in folded if f in known)
        scores[lang] = score
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] == 0 or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return None
    return ranked[0][0]
