"""Which language a page speaks: the address's ``?lang=``, else the browser's language, else the configured
default (``TRIAGE_DEFAULT_LOCALE``), else English, each matched to a catalog by :func:`negotiate_locale`.

A tag with a region reads its language's catalog (``pl-PL`` reads ``pl``; ``de-AT`` reads ``de``, and keeps
``de-AT`` for dates and numbers). A language with no catalog is not silently replaced: :class:`Chosen` says
which tag was asked for (``fallback_from``), so the page can say it is shown in another language and why.

>>> negotiate_locale("pl-PL", "de-DE", available=("en", "de", "pl"))
Chosen(locale='pl', fallback_from=None, format_locale='pl-PL')
>>> negotiate_locale("fr", None, "de", available=("en", "de"))
Chosen(locale='de', fallback_from='fr', format_locale='de')
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["DEFAULT_ENV", "Chosen", "clean_tag", "default_locale", "negotiate_locale"]

DEFAULT_ENV = "TRIAGE_DEFAULT_LOCALE"
"""The environment variable naming the language for a visitor whose address and browser name none we have."""

_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,3}")


@dataclass(frozen=True)
class Chosen:
    """The language a page speaks, and what it replaced."""

    locale: str
    """The catalog's locale: ``pl``."""
    fallback_from: str | None = None
    """The tag asked for (``fr-FR``) when the page speaks another language because it has no catalog."""
    format_locale: str = ""
    """The tag dates and numbers are written for: the one asked for when it is this language (``de-AT``)."""


def clean_tag(tag: object) -> str | None:
    """A language tag as ``ll`` or ``ll-RR`` (``pl_pl`` -> ``pl-PL``), or ``None`` when ``tag`` is not one.

    >>> clean_tag("pl_pl"), clean_tag(" de-at "), clean_tag("<script>"), clean_tag(None)
    ('pl-PL', 'de-AT', None, None)
    """
    if not isinstance(tag, str) or not _TAG.fullmatch(tag.strip()):
        return None
    head, *rest = tag.strip().replace("_", "-").split("-")
    return "-".join([head.lower(), *(part.upper() if len(part) == 2 else part for part in rest)])


def _match(tag: str, available: Sequence[str]) -> str | None:
    by_lower = {loc.lower(): loc for loc in available}
    return by_lower.get(tag.lower()) or by_lower.get(tag.split("-")[0].lower())


def default_locale(available: Sequence[str] | None = None) -> str:
    """The configured default (``TRIAGE_DEFAULT_LOCALE``) when a catalog serves it, else English."""
    tag = clean_tag(os.environ.get(DEFAULT_ENV, ""))
    if tag is None:
        return "en"
    if available is None:
        from triage.i18n import locales  # noqa: PLC0415 - the package imports this module

        available = locales()
    return _match(tag, available) or "en"


def negotiate_locale(
    url_lang: str | None,
    browser_lang: str | None,
    default: str | None = None,
    *,
    available: Sequence[str] | None = None,
) -> Chosen:
    """The first of ``url_lang``, ``browser_lang``, ``default`` (default :func:`default_locale`) that a catalog
    serves, by exact tag or by language; English when none is. The first tag asked for that has no catalog is
    kept as :attr:`Chosen.fallback_from` when the page ends up in another language."""
    if available is None:
        from triage.i18n import locales  # noqa: PLC0415 - the package imports this module

        available = locales()
    asked: str | None = None
    for raw in (url_lang, browser_lang, default if default is not None else default_locale(available)):
        tag = clean_tag(raw)
        if tag is None:
            continue
        found = _match(tag, available)
        if found is not None:
            same = asked is None
            return Chosen(found, None if same else asked, tag if same else found)
        asked = asked or tag
    fallback = "en" if "en" in available else available[0]
    return Chosen(fallback, asked, fallback)
