"""Search: find the tree a customer means from their own words, in their own language.

One function, :func:`search_trees`, serves the app (through :meth:`Library.search`), the terminal walk and
``triage search``. It ranks trees with BM25F (Robertson & Zaragoza 2009) over four weighted fields, title,
symptoms, tags and description, in every language a tree has texts in:

- each language is a collection of its own: the trees' texts in it, analysed with its stemmer and stop words
  (:mod:`triage.trees._analysis`); a translation added to a tree file joins its language's collection the next
  time the library loads, with no change here;
- the query is analysed once per collection; a word the collection does not know is matched to the words it
  does know that are one or two typing errors away (rapidfuzz), or that begin or end with it (a German compound:
  ``Fernsehbild`` holds ``bild``), each at a discount;
- a tree's score is its best over the collections; the collection of the query's language (the locale given,
  else the language detected from the query) counts in full, the others at :data:`OTHER_LANGUAGE` (words such as
  "internet", "wifi" or "netflix" are shared by every language, so an untranslated tree is still found).

The index is built once per library and kept while the library lives (:func:`index_for`).
"""

from __future__ import annotations

import math
import weakref
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from triage.trees._analysis import Analyzer, Word, analyzer, base_language, detect_language
from triage.trees.basics import Text, localize
from triage.trees.model import Tree

__all__ = [
    "FIELD_WEIGHTS",
    "OTHER_LANGUAGE",
    "PHRASE",
    "SearchHit",
    "SearchIndex",
    "index_for",
    "search_trees",
]

FIELD_WEIGHTS: dict[str, float] = {"title": 3.0, "symptoms": 2.5, "tags": 1.5, "description": 1.0}
"""How much a word counts in each field: a customer's words match a symptom or title more than the prose."""

OTHER_LANGUAGE = 0.8
"""The weight of a match in a language other than the query's."""

PHRASE = 3.0
"""The bonus for a query that says what a title or symptom says (times how closely, from 0 to 1)."""

_K1 = 1.2
_B = 0.5  # fields are short; their length says little about how much of the tree is about a word
_FUZZY = 0.75  # one typing error away; two errors count _FUZZY ** 2
_PART = 0.5  # the word begins or ends a longer word (compounds), or the other way round
_MIN_PART = 4
_PHRASE_FIELDS = ("title", "symptoms")
_MAX_REMEMBERED = 20_000  # query words whose expansions a collection keeps


@dataclass(frozen=True)
class SearchHit:
    """One tree found: its score (higher is better), the query's language (given or detected; ``en`` when
    unknown) and the language of the texts it matched best."""

    tree: Tree
    score: float
    language: str
    matched: str

    def title(self, locale: str | None = None) -> str:
        """The tree's title in ``locale`` (default: the query's language, else English)."""
        return localize(self.tree.title, locale or self.language)


@dataclass
class _Doc:
    fields: dict[str, Counter[str]]
    lengths: dict[str, int]
    phrases: list[frozenset[str]]  # the title and each symptom: what a customer says in one breath


@dataclass
class _Collection:
    """The trees' texts in one language, indexed."""

    language: str
    analyzer: Analyzer
    docs: dict[str, _Doc] = field(default_factory=dict)
    df: Counter[str] = field(default_factory=Counter)
    avg: dict[str, float] = field(default_factory=dict)
    surfaces: dict[str, set[str]] = field(default_factory=dict)  # folded word -> its stems
    expansions: dict[tuple[Word, bool], list[tuple[str, float]]] = field(default_factory=dict)

    def add(self, tree_id: str, texts: Mapping[str, list[str]]) -> None:
        fields: dict[str, Counter[str]] = {}
        for name, parts in texts.items():
            analysed = [w for part in parts for w in self.analyzer.analyze(part)]
            fields[name] = Counter(w.stem for w in analysed)
            for w in analysed:
                self.surfaces.setdefault(w.surface, set()).add(w.stem)
        phrases = [
            frozenset(w.stem for w in self.analyzer.analyze(part))
            for name in _PHRASE_FIELDS
            for part in texts.get(name, [])
        ]
        doc = _Doc(fields, {name: sum(c.values()) for name, c in fields.items()}, [p for p in phrases if p])
        self.docs[tree_id] = doc
        self.df.update({stem for c in fields.values() for stem in c})

    def finish(self) -> None:
        n = max(len(self.docs), 1)
        self.avg = {
            f: max(sum(d.lengths.get(f, 0) for d in self.docs.values()) / n, 1.0) for f in FIELD_WEIGHTS
        }
        self._stems = sorted(self.df)
        self._surface_list = sorted(self.surfaces)

    def idf(self, stem: str) -> float:
        df = self.df.get(stem, 0)
        return math.log(1 + (len(self.docs) - df + 0.5) / (df + 0.5))

    def expand(self, word: Word, fuzzy: bool = True) -> list[tuple[str, float]]:
        """The collection's stems a query word stands for, each with its weight; ``fuzzy`` allows typos."""
        known = self.expansions.get((word, fuzzy))
        if known is None:
            if len(self.expansions) >= _MAX_REMEMBERED:
                self.expansions.clear()  # a long-running app meets ever new words: forget, rather than grow
            known = self.expansions[word, fuzzy] = self._expand(word, fuzzy)
        return known

    def _expand(self, word: Word, fuzzy: bool) -> list[tuple[str, float]]:
        if word.stem in self.df:
            return [(word.stem, 1.0)]
        best: dict[str, float] = {}

        def offer(stem: str, weight: float) -> None:
            best[stem] = max(best.get(stem, 0.0), weight)

        for text, choices, to_stems in (
            ()
            if not fuzzy
            else (
                (word.surface, self._surface_list, lambda s: self.surfaces[s]),
                (word.stem, self._stems, lambda s: {s}),
            )
        ):
            limit = 2 if len(text) >= 8 else 1 if len(text) >= 4 else 0
            if not limit:
                continue
            for choice, dist, _ in process.extract(
                text, choices, scorer=Levenshtein.distance, score_cutoff=limit, limit=8
            ):
                for stem in to_stems(choice):
                    offer(stem, _FUZZY**dist)
        if len(word.stem) >= _MIN_PART:
            for stem in self._stems:
                if len(stem) >= _MIN_PART and _part_of(word.stem, stem):
                    offer(stem, _PART)
        return sorted(best.items())

    def score(self, tree_id: str, query: list[Word], fuzzy: bool = True) -> float:
        """BM25F of one tree's texts in this language, plus the phrase bonus."""
        doc = self.docs.get(tree_id)
        if doc is None:
            return 0.0
        total = 0.0
        for word in query:
            total += max((w * self._term(stem, doc) for stem, w in self.expand(word, fuzzy)), default=0.0)
        if total:
            total += PHRASE * max((self._phrase(p, query, fuzzy) for p in doc.phrases), default=0.0)
        return total

    def _phrase(self, phrase: frozenset[str], query: list[Word], fuzzy: bool) -> float:
        """How closely the query and one phrase say the same thing (F1 of the words each covers)."""
        said = 0.0
        covered: dict[str, float] = {}
        for word in query:
            weights = [(stem, w) for stem, w in self.expand(word, fuzzy) if stem in phrase]
            if weights:
                said += max(w for _, w in weights)
                for stem, w in weights:
                    covered[stem] = max(covered.get(stem, 0.0), w)
        if not said:
            return 0.0
        precision, recall = said / len(query), sum(covered.values()) / len(phrase)
        return 2 * precision * recall / (precision + recall)

    def _term(self, stem: str, doc: _Doc) -> float:
        tf = 0.0
        for name, weight in FIELD_WEIGHTS.items():
            count = doc.fields.get(name, Counter()).get(stem, 0)
            if count:
                norm = 1 - _B + _B * doc.lengths[name] / self.avg[name]
                tf += weight * count / norm
        return self.idf(stem) * tf * (_K1 + 1) / (_K1 + tf) if tf else 0.0


def _part_of(a: str, b: str) -> bool:
    """One word begins or ends the other (``internet`` / ``internetverbindung``, ``bild`` / ``fernsehbild``)."""
    return a != b and (b.startswith(a) or b.endswith(a) or a.startswith(b) or a.endswith(b))


def _texts(text: Text | None, source: str) -> dict[str, str]:
    """A text by language; a plain string is in the tree's source language."""
    if text is None:
        return {}
    if isinstance(text, str):
        return {source: text}
    return {base_language(loc): value for loc, value in text.items()}


def _tree_texts(tree: Tree) -> dict[str, dict[str, list[str]]]:
    """Per language, the tree's searchable texts by field."""
    source = base_language(tree.locales[0]) if tree.locales else "en"
    out: dict[str, dict[str, list[str]]] = {}

    def put(name: str, text: Text | None) -> None:
        for lang, value in _texts(text, source).items():
            out.setdefault(lang, {}).setdefault(name, []).append(value)

    put("title", tree.title)
    for symptom in tree.symptoms:
        put("symptoms", symptom)
    put("description", tree.description)
    for lang in out:
        out[lang]["tags"] = list(tree.tags)  # tags are the trade's words, shared by every language
    return out


class SearchIndex:
    """The trees of a library, indexed for :meth:`search`."""

    def __init__(self, trees: Iterable[Tree]) -> None:
        self.trees = {t.id: t for t in trees}
        self.collections: dict[str, _Collection] = {}
        for tree in self.trees.values():
            for lang, texts in _tree_texts(tree).items():
                if lang not in self.collections:
                    self.collections[lang] = _Collection(lang, analyzer(lang))
                self.collections[lang].add(tree.id, texts)
        for c in self.collections.values():
            c.finish()
        self.vocabulary = {lang: frozenset(c.surfaces) for lang, c in self.collections.items()}

    @property
    def languages(self) -> list[str]:
        """The languages the trees have texts in."""
        return sorted(self.collections)

    def language_of(
        self, query: str, candidates: Iterable[str] = ("en", "nl", "de", "pl", "lt")
    ) -> str | None:
        """The language ``query`` is written in, or ``None`` when it does not say."""
        langs = sorted({*candidates, *self.collections})
        return detect_language(query, langs, self.vocabulary)

    def search(
        self,
        query: str,
        *,
        locale: str | None = None,
        audience: str | None = None,
        include_procedures: bool = False,
    ) -> list[SearchHit]:
        """Trees matching ``query``, best first (none for a query without words that count)."""
        language = base_language(locale) if locale else self.language_of(query)
        # the query's own stop words leave it in every collection: "nicht" is no word to look for in English
        stops = (
            analyzer(language).stop_words
            if language
            else frozenset[str]().union(*(analyzer(lang).stop_words for lang in self.collections))
        )
        queries = {
            lang: [w for w in c.analyzer.analyze(query) if w.surface not in stops]
            for lang, c in self.collections.items()
        }
        shown = language or "en"
        hits = []
        for tree in self.trees.values():
            if tree.procedure and (not include_procedures or audience == "self_service"):
                continue
            if audience is not None and audience not in tree.audiences:
                continue
            best, where = 0.0, shown
            for lang, c in self.collections.items():
                weight = 1.0 if language in (None, lang) else OTHER_LANGUAGE
                # typos are looked for in the query's language; in another one they find look-alike words
                fuzzy = language not in self.collections or language == lang
                s = weight * c.score(tree.id, queries[lang], fuzzy)
                if s > best:
                    best, where = s, lang
            if best > 0:
                hits.append(SearchHit(tree, round(best, 4), shown, where))
        return sorted(hits, key=lambda h: (-h.score, len(h.title(shown)), h.title(shown)))


_INDEXES: dict[int, tuple[tuple[tuple[str, int], ...], SearchIndex]] = {}


def index_for(library: Mapping[str, Tree]) -> SearchIndex:
    """The search index of ``library``: built on first use, kept while the library lives and holds the same
    trees (a tree added, removed or replaced builds it anew)."""
    key = id(library)
    stamp = tuple((tid, id(t)) for tid, t in library.items())
    cached = _INDEXES.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    index = SearchIndex(library.values())
    if cached is None:
        weakref.finalize(library, _INDEXES.pop, key, None)
    _INDEXES[key] = (stamp, index)
    return index


def search_trees(
    library: Mapping[str, Tree],
    query: str,
    *,
    locale: str | None = None,
    audience: str | None = None,
    include_procedures: bool = False,
) -> list[SearchHit]:
    """Trees of ``library`` matching a customer's words, best first.

    Args:
        library: trees by id (a :class:`~triage.trees.library.Library`).
        query: the customer's words, as typed.
        locale: the language they are in; ``None`` detects it from the query.
        audience: only trees open to it (``agent``, ``self_service``).
        include_procedures: list shared procedures too (never for ``self_service``).
    """
    return index_for(library).search(
        query, locale=locale, audience=audience, include_procedures=include_procedures
    )
