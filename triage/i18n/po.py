"""The catalog files: one gettext ``.po`` file per locale, read and written with Babel.

Each entry's ``msgid`` is the string's key (``ui.queue.count``), stable whatever the English says, and its
``msgstr`` the text in that locale; in every catalog but English an extracted comment (``#. English: ...``)
carries the English text, so a translator's tool (Poedit, Weblate, Lokalize) shows what to translate. A key
the locale lacks is written with an empty ``msgstr`` (untranslated, as gettext marks it), counts included: a
plural key gets one entry per CLDR category the locale's rule uses (``key.one``, ``key.few``, ``key.many``;
the plain key is the "other" form). The header names the ``Language`` and Babel's ``Plural-Forms``.

Writing keeps the files stable for review: entries sorted by key, no line wrapping, and the revision date
changes only when a text does.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

__all__ = ["CATEGORIES", "categories", "plural_keys", "read_catalog", "render_catalog", "write_catalog"]

CATEGORIES = ("zero", "one", "two", "few", "many")
"""CLDR plural categories that have their own key (``key.one``); "other" is the plain key."""

_PROJECT = "triage"
_TEAM = "triage support content <support-content@example.invalid>"


def categories(locale: str) -> tuple[str, ...]:
    """The CLDR categories ``locale`` counts with, besides "other": ``('few', 'many', 'one')`` for Polish."""
    return tuple(sorted(Locale.parse(locale.replace("-", "_")).plural_form.tags - {"other"}))


def plural_keys(english: Mapping[str, str]) -> set[str]:
    """The keys that count: those English gives a ``.one`` form (``ui.queue.count`` for ``ui.queue.count.one``)."""
    return {key.removesuffix(".one") for key in english if key.endswith(".one") and key != ".one"}


def read_catalog(path: Path) -> dict[str, str]:
    """The translated strings of one ``.po`` file, by key; untranslated (empty) and fuzzy entries left out."""
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=path.stem)
    return {
        str(m.id): str(m.string)
        for m in catalog
        if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string and not m.fuzzy
    }


def _english_comment(text: str) -> list[str]:
    lines = text.splitlines() or [""]
    return [f"English: {lines[0]}", *(f"         {line}" for line in lines[1:])]


def _wanted_keys(locale: str, english: Mapping[str, str], messages: Mapping[str, str]) -> list[str]:
    keys = set(english) | set(messages)
    if locale != "en":
        for base in plural_keys(english):
            keys |= {f"{base}.{cat}" for cat in categories(locale)}
    return sorted(keys)


def render_catalog(
    locale: str,
    messages: Mapping[str, str],
    english: Mapping[str, str],
    *,
    revised: datetime | None = None,
) -> bytes:
    """The ``.po`` file for ``locale``: every English key (empty where untranslated), the locale's own plural
    keys, and any extra key it has (a category English does not use)."""
    language = Locale.parse(locale.replace("-", "_"))
    when = revised or datetime(2025, 1, 1, tzinfo=UTC)
    catalog = Catalog(
        locale=language,
        project=_PROJECT,
        version="1",
        language_team=_TEAM,
        last_translator=_TEAM,
        creation_date=when,
        revision_date=when,
        msgid_bugs_address=_TEAM,
        fuzzy=False,
        header_comment=(
            f"# Interface strings of triage in {language.english_name}. The msgid is the string's key.\n"
            f"# Counts: key.<category> for CLDR categories {', '.join(categories(locale)) or '(none)'}; "
            "the plain key is 'other'.\n"
            "# Edit the msgstr only; keep {placeholders} exactly as in English."
        ),
    )
    for key in _wanted_keys(locale, english, messages):
        base = key.rsplit(".", 1)[0] if key.rsplit(".", 1)[-1] in CATEGORIES else key
        source = english.get(key) or english.get(base, "")
        comments = [] if locale == "en" else _english_comment(source)
        catalog.add(key, messages.get(key, ""), auto_comments=comments)
    out = io.BytesIO()
    write_po(out, catalog, width=0, no_location=True, sort_output=True)
    return out.getvalue()


def _revision(path: Path) -> datetime | None:
    if not path.exists():
        return None
    with path.open("rb") as fh:
        stamp = read_po(fh).revision_date
    return stamp if isinstance(stamp, datetime) else None


def write_catalog(path: Path, messages: Mapping[str, str], english: Mapping[str, str]) -> bool:
    """Write ``messages`` as the ``.po`` file at ``path`` (its locale is the file's stem); ``False`` when the
    file already said exactly that (then it is left alone, its revision date too)."""
    locale = path.stem
    old = _revision(path)
    if old is not None and render_catalog(locale, messages, english, revised=old) == path.read_bytes():
        return False
    path.write_bytes(
        render_catalog(locale, messages, english, revised=datetime.now(UTC).replace(microsecond=0))
    )
    return True
