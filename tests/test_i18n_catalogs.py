"""The interface catalogs are complete in every language: every key, every plural form, the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from triage.i18n import CATALOGS, catalog, locales, plural_category, t
from triage.i18n.extract import extract
from triage.i18n.po import categories, plural_keys, read_catalog, render_catalog

LOCALES = list(locales())
TRANSLATIONS = [loc for loc in LOCALES if loc != "en"]
EN = catalog("en")
COUNTS = (0, 1, 2, 3, 5, 11, 12, 21, 22, 25, 101)
PACKAGE = Path(__file__).resolve().parents[1] / "triage"


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("locale", TRANSLATIONS)
def test_every_english_key_is_translated(locale: str) -> None:
    """A key English has and the locale lacks (or leaves empty) fails, named with its locale."""
    strings = catalog(locale)
    missing = sorted(key for key in EN if not strings.get(key))
    assert missing == [], f"{locale} lacks {len(missing)} keys: {missing}"


@pytest.mark.parametrize("locale", TRANSLATIONS)
def test_translations_keep_the_english_placeholders(locale: str) -> None:
    """Every translation names exactly the {placeholders} its English names (a count's forms too)."""
    strings = catalog(locale)
    wrong = {}
    for key, text in strings.items():
        base = (
            key.rsplit(".", 1)[0] if key.rsplit(".", 1)[-1] in ("one", "few", "many", "two", "zero") else key
        )
        english = EN.get(key) or EN.get(base)
        assert english is not None, f"{locale} has {key!r}, which English does not"
        if _fields(text) - {"count"} != _fields(english) - {"count"} or (
            "count" in _fields(english) and key == base and "count" not in _fields(text)
        ):
            wrong[key] = (english, text)
    assert wrong == {}, f"{locale}: placeholders differ from English in {sorted(wrong)}"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_count_has_each_form_its_language_uses(locale: str) -> None:
    """Polish says 1 sprawa, 3 sprawy, 5 spraw: each count reads the text of its own CLDR category, which
    the catalog has, so "1 errors" never appears."""
    strings = catalog(locale)
    needed = categories(locale)
    for base in sorted(plural_keys(EN)):
        lacking = [cat for cat in needed if not strings.get(f"{base}.{cat}")]
        assert lacking == [], f"{locale}: {base} lacks the forms {lacking}"
        for n in COUNTS:
            category = plural_category(n, locale)
            template = strings[base] if category == "other" else strings[f"{base}.{category}"]
            params = dict.fromkeys(_fields(EN[base]), "x") | {"count": n}
            assert t(base, locale, **params) == template.format(**params), (locale, base, n)


def test_polish_and_lithuanian_count_in_three_forms() -> None:
    """The forms read as a native speaker says them: 1 zgłoszenie, 3 zgłoszenia, 5 zgłoszeń; 11 kreipinių."""
    polish = [t("ui.queue.count", "pl", count=n) for n in (1, 3, 5, 22, 112)]
    assert polish == ["1 zgłoszenie", "3 zgłoszenia", "5 zgłoszeń", "22 zgłoszenia", "112 zgłoszeń"]
    lithuanian = [t("ui.queue.count", "lt", count=n) for n in (1, 3, 11, 21)]
    assert lithuanian == ["1 kreipinys", "3 kreipiniai", "11 kreipinių", "21 kreipinys"]


@pytest.mark.parametrize("locale", LOCALES)
def test_po_files_parse_and_round_trip(locale: str) -> None:
    """Each file is valid gettext with its language and Babel's plural rule, and writing what was read gives
    the same bytes (so a tool that rewrites the catalog changes nothing it did not mean to)."""
    path = CATALOGS / f"{locale}.po"
    with path.open("rb") as fh:
        parsed = read_po(fh)
    assert str(parsed.locale) == locale
    assert parsed.plural_forms.startswith(f"nplurals={parsed.num_plurals};")
    assert not parsed.fuzzy
    assert render_catalog(locale, read_catalog(path), EN, revised=parsed.revision_date) == path.read_bytes()


def test_plural_forms_headers_follow_cldr() -> None:
    """Polish and Lithuanian headers say three gettext forms; English, Dutch and German two."""
    forms = {}
    for locale in LOCALES:
        with (CATALOGS / f"{locale}.po").open("rb") as fh:
            forms[locale] = read_po(fh).num_plurals
    assert forms == {"en": 2, "nl": 2, "de": 2, "pl": 3, "lt": 3}
    assert categories("pl") == ("few", "many", "one")
    assert categories("lt") == ("few", "many", "one")


def test_translators_see_the_english_text() -> None:
    """Each translated entry carries its English text as an extracted comment."""
    with (CATALOGS / "pl.po").open("rb") as fh:
        entry = read_po(fh)["ui.queue.count"]
    assert entry is not None
    assert entry.auto_comments == [f"English: {EN['ui.queue.count']}"]


_CALL = re.compile(r"""\btr?\(\s*["']([a-z][a-z0-9_]*(?:\.[a-z0-9_-]+)+)["']""")


def test_extraction_finds_every_key_the_code_calls_by_name() -> None:
    """Every literal ``t("...")``/``tr("...")`` key in triage/ is found, and English has each of them."""
    by_grep = {m for f in PACKAGE.rglob("*.py") for m in _CALL.findall(f.read_text(encoding="utf-8"))}
    found = extract(PACKAGE)
    assert len(by_grep) > 300
    assert by_grep - set(found.direct) == set()
    assert found.missing(EN) == []
