"""Interface strings in the user's language.

Every string the engine, CLI or app shows (not tree content, which carries its own
translations) goes through :func:`t`. The strings live in catalog files, ``catalogs/<locale>.json`` (a flat,
sorted map from key to text that translators edit without touching Python); add a language by adding a file.
A key missing from a catalog falls back to English, never to an error.

Counts read as the language says them: called with ``count=n``, :func:`t` picks the text for ``n``'s CLDR
plural category (:func:`plural_category`, Babel's rules): ``key.one``, ``key.few``, ... when the catalog has
it, else the plain ``key``, which is the general ("other") form. English and German need only ``key.one``::

    "ui.queue.count": "{count} cases",
    "ui.queue.count.one": "{count} case",
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError

__all__ = ["CATALOGS", "LANGUAGES", "plural_category", "t"]

CATALOGS = Path(__file__).parent / "catalogs"
"""One JSON file per locale (``en.json``, ``de.json``, ...): a flat map from key to text, sorted by key."""


def _read_catalogs() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for path in sorted(CATALOGS.glob("*.json")):
        strings = json.loads(path.read_text(encoding="utf-8"))
        out[path.stem] = {str(k): str(v) for k, v in strings.items()}
    return out


_CATALOGS: dict[str, dict[str, str]] = _read_catalogs()
_EN = _CATALOGS["en"]

LANGUAGES: dict[str, str] = {"en": "English", "de": "Deutsch"}


@lru_cache(maxsize=64)
def _babel_locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return Locale("en")  # a tag Babel does not know counts as English, as its strings fall back to


def plural_category(count: float, locale: str = "en") -> str:
    """The CLDR plural category of ``count`` in ``locale``: ``one``, ``few``, ``many``, ``other``, ...

    >>> plural_category(1), plural_category(0), plural_category(2, "de"), plural_category(3, "pl")
    ('one', 'other', 'other', 'few')
    """
    return str(_babel_locale(locale).plural_form(count))


def _lang(locale: str) -> str:
    return locale.split("-")[0].split("_")[0]


def _template(catalog: dict[str, str], key: str, category: str | None) -> str | None:
    if category is not None and category != "other":
        found = catalog.get(f"{key}.{category}")
        if found:
            return found
    return catalog.get(key) or None


def t(key: str, locale: str = "en", **params: Any) -> str:
    """The interface string ``key`` in ``locale`` (falling back to English), formatted with ``params``.

    With a number ``count`` among the ``params``, the text is the one for its plural category.
    """
    # a language without a catalog reads English, and then counts the English way
    counts_as = locale if locale in _CATALOGS else _lang(locale) if _lang(locale) in _CATALOGS else "en"
    catalog = _CATALOGS[counts_as]
    count = params.get("count")
    number = count if isinstance(count, int | float) and not isinstance(count, bool) else None
    template = _template(catalog, key, None if number is None else plural_category(number, counts_as))
    if template is None:  # English counts with its own rules
        template = _template(_EN, key, None if number is None else plural_category(number, "en")) or key
    return template.format(**params) if params else template
