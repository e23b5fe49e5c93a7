"""Interface strings in the user's language, the choice of that language, and dates and numbers written its way.

Every string the engine, CLI or app shows (not tree content, which carries its own translations) goes through
:func:`t`. The strings live in gettext catalogs, ``catalogs/<locale>.po`` (:mod:`triage.i18n.po`: the key is the
``msgid``, the text the ``msgstr``), read once per process; add a language by adding a file, and
``triage i18n extract`` (:mod:`triage.i18n.extract`) lists the keys the code uses in ``messages.pot``. A key
missing from a catalog falls back to English, never to an error (and the catalog tests fail on it).

Counts read as the language says them: called with ``count=n``, :func:`t` picks the text for ``n``'s CLDR
plural category (:func:`plural_category`, Babel's rules): ``key.one``, ``key.few``, ``key.many`` when the
catalog has it, else the plain ``key``, which is the general ("other") form. English and German need only
``key.one``; Polish and Lithuanian ``one``, ``few`` and ``many``::

    msgid "ui.queue.count"       msgstr "{count} spraw"
    msgid "ui.queue.count.one"   msgstr "{count} sprawa"
    msgid "ui.queue.count.few"   msgstr "{count} sprawy"

Which language a page speaks is decided by :func:`negotiate_locale` (:mod:`triage.i18n.choice`); dates, times
and numbers are written by Babel (:mod:`triage.i18n.formats`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError

from triage.i18n.po import read_catalog

__all__ = [
    "CATALOGS",
    "LANGUAGES",
    "catalog",
    "language_name",
    "locales",
    "plural_category",
    "reload_catalogs",
    "t",
]

CATALOGS = Path(__file__).parent / "catalogs"
"""One gettext file per locale (``en.po``, ``de.po``, ...): the key as ``msgid``, the text as ``msgstr``."""

_ORDER = ("en", "nl", "de", "pl", "lt")  # the languages we serve, the source language first


def locales() -> tuple[str, ...]:
    """The locales with a catalog, English first: ``('en', 'nl', 'de', 'pl', 'lt')``."""
    return tuple(_catalogs())  # read once per process (pages ask many times a run), like the catalogs


@functools.cache
def _catalogs() -> dict[str, dict[str, str]]:
    found = {path.stem for path in CATALOGS.glob("*.po")}
    ordered = sorted(found, key=lambda loc: (_ORDER.index(loc) if loc in _ORDER else len(_ORDER), loc))
    return {loc: read_catalog(CATALOGS / f"{loc}.po") for loc in ordered}


def reload_catalogs() -> None:
    """Read the catalog files again on next use (after a tool wrote them, in the same process)."""
    _catalogs.cache_clear()


def catalog(locale: str) -> Mapping[str, str]:
    """The strings the catalog of ``locale`` holds (translated ones only), by key; empty for no catalog."""
    return _catalogs().get(locale, {})


@functools.lru_cache(maxsize=64)
def _babel_locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return Locale("en")  # a tag Babel does not know counts as English, as its strings fall back to


def language_name(locale: str, in_locale: str | None = None, *, capitalise: bool = True) -> str:
    """The name of ``locale``'s language, in ``in_locale`` (default: its own), capitalised for a label
    (``Polski``) or as the language writes it inside a sentence (``capitalise=False``: ``polski``).

    >>> language_name("pl"), language_name("fr", "de"), language_name("xx-not-a-tag")
    ('Polski', 'Französisch', 'xx-not-a-tag')
    """
    try:
        language = Locale.parse(locale.replace("-", "_")).language
        name = Locale.parse(language).get_display_name(_babel_locale(in_locale or language))
    except (ValueError, TypeError, UnknownLocaleError):
        return locale
    if not name:
        return locale
    return name[:1].upper() + name[1:] if capitalise else name


LANGUAGES: dict[str, str] = {loc: language_name(loc) for loc in locales()}
"""Every language with a catalog, by locale, named in itself: ``{"en": "English", "nl": "Nederlands", ...}``."""


def plural_category(count: float, locale: str = "en") -> str:
    """The CLDR plural category of ``count`` in ``locale``: ``one``, ``few``, ``many``, ``other``, ...

    >>> plural_category(1), plural_category(0), plural_category(2, "de"), plural_category(3, "pl")
    ('one', 'other', 'other', 'few')
    """
    return str(_babel_locale(locale).plural_form(count))


def _lang(locale: str) -> str:
    return locale.split("-")[0].split("_")[0]


def _template(strings: Mapping[str, str], key: str, category: str | None) -> str | None:
    if category is not None and category != "other":
        found = strings.get(f"{key}.{category}")
        if found:
            return found
    return strings.get(key) or None


def t(key: str, locale: str = "en", **params: Any) -> str:
    """The interface string ``key`` in ``locale`` (falling back to English), formatted with ``params``.

    With a number ``count`` among the ``params``, the text is the one for its plural category.
    """
    catalogs = _catalogs()
    # a language without a catalog reads English, and then counts the English way
    counts_as = locale if locale in catalogs else _lang(locale) if _lang(locale) in catalogs else "en"
    strings = catalogs[counts_as]
    count = params.get("count")
    number = count if isinstance(count, int | float) and not isinstance(count, bool) else None
    template = _template(strings, key, None if number is None else plural_category(number, counts_as))
    if template is None:  # English counts with its own rules
        template = _template(catalogs["en"], key, None if number is None else plural_category(number, "en"))
    template = template or key
    return template.format(**params) if params else template
