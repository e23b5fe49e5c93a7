"""Search accuracy on customers' own words: top-1 and top-3 per language, against the old substring search.

Reads the labelled phrasings in ``tests/data/search/<lang>.csv`` (query,tree) and runs each through
:func:`triage.trees.search.search_trees` twice, with the phrasing's locale given (as the app and the terminal
pass it) and with no locale (the language detected from the words), and through the substring search that
``Library.search`` did before (kept below, for the baseline). Targets: top-1 >= 90%, top-3 >= 98% in every
language. Prints a table, the misses with ``--misses``, and the time per query.

    python benchmarks/bench_search.py [--misses] [--trees DIR]
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from triage.trees.library import DEFAULT_TREES, Library, load_library  # noqa: E402
from triage.trees.model import localize  # noqa: E402
from triage.trees.search import index_for, search_trees  # noqa: E402

DATA = ROOT / "tests" / "data" / "search"
LANGUAGES = ("en", "nl", "de", "pl", "lt")

Ranker = Callable[[Library, str, str], list[str]]


def labelled(lang: str) -> list[tuple[str, str]]:
    """The (query, tree id) pairs of one language."""
    with (DATA / f"{lang}.csv").open(encoding="utf-8", newline="") as f:
        return [(row["query"], row["tree"]) for row in csv.DictReader(f)]


def substring_search(lib: Library, query: str, locale: str) -> list[str]:
    """``Library.search`` as it was before this engine: word-start matching with a phrase bonus."""
    words = [w for w in query.lower().split() if w]
    patterns = [re.compile(r"\b" + re.escape(w)) for w in words]
    scored = []
    for t in lib.offered(None):
        title = localize(t.title, locale).lower()
        fields = [
            (title, 5),
            (" ".join(localize(s, locale).lower() for s in t.symptoms), 3),
            (" ".join(t.tags).lower(), 2),
            (t.category.value, 1),
            (localize(t.description, locale).lower(), 1),
        ]
        score = sum(w2 for w in patterns for text, w2 in fields if w.search(text))
        if len(words) > 1 and any(" ".join(words) in text for text, _ in fields[:2]):
            score += 8
        if score or not words:
            scored.append((-score, len(title), title, t.id))
    return [tid for *_, tid in sorted(scored)]


def with_locale(lib: Library, query: str, locale: str) -> list[str]:
    return [h.tree.id for h in search_trees(lib, query, locale=locale)]


def detected(lib: Library, query: str, locale: str) -> list[str]:
    return [h.tree.id for h in search_trees(lib, query)]


def accuracy(lib: Library, rank: Ranker, lang: str, misses: list[str] | None = None) -> tuple[float, float]:
    """Top-1 and top-3 accuracy of ``rank`` on one language's phrasings."""
    rows = labelled(lang)
    top1 = top3 = 0
    for query, tree in rows:
        found = rank(lib, query, lang)
        top1 += found[:1] == [tree]
        top3 += tree in found[:3]
        if misses is not None and found[:1] != [tree]:
            misses.append(f"  {lang}  {query!r}: want {tree}, got {found[:3]}")
    return top1 / len(rows), top3 / len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list the phrasings whose tree is not first")
    parser.add_argument(
        "--trees", default=str(DEFAULT_TREES), help="tree folder (default: the shipped trees)"
    )
    args = parser.parse_args()
    lib = load_library([args.trees])
    t0 = time.perf_counter()
    index = index_for(lib)
    built = time.perf_counter() - t0
    print(
        f"index: {len(index.trees)} trees, languages with texts: {', '.join(index.languages)}; built in {built * 1000:.0f} ms"
    )
    rankers: list[tuple[str, Ranker]] = [
        ("substring (old)", substring_search),
        ("search, locale given", with_locale),
        ("search, detected", detected),
    ]
    misses: list[str] = []
    print(f"{'lang':<5} {'n':>3}  " + "  ".join(f"{name:>24}" for name, _ in rankers))
    totals = {name: [0.0, 0.0] for name, _ in rankers}
    n_all = 0
    for lang in LANGUAGES:
        n = len(labelled(lang))
        n_all += n
        cells = []
        for name, rank in rankers:
            keep = misses if args.misses and rank is with_locale else None
            a1, a3 = accuracy(lib, rank, lang, keep)
            totals[name][0] += a1 * n
            totals[name][1] += a3 * n
            cells.append(f"top1 {a1:6.1%} top3 {a3:6.1%}")
        print(f"{lang:<5} {n:>3}  " + "  ".join(f"{c:>24}" for c in cells))
    print(
        f"{'all':<5} {n_all:>3}  "
        + "  ".join(f"{f'top1 {t[0] / n_all:6.1%} top3 {t[1] / n_all:6.1%}':>24}" for t in totals.values())
    )
    queries = [q for lang in LANGUAGES for q, _ in labelled(lang)]
    t0 = time.perf_counter()
    for q in queries:
        search_trees(lib, q)
    per = (time.perf_counter() - t0) / len(queries)
    print(f"time: {per * 1000:.2f} ms per query (index cached; first use of each query word included)")
    print("targets: top-1 >= 90%, top-3 >= 98% in every language")
    if misses:
        print("misses (locale given):")
        print("\n".join(misses))


if __name__ == "__main__":
    main()
