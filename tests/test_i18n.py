"""Interface strings live in catalog files that translators can edit without touching Python."""

from __future__ import annotations

import re
import string

import pytest

from triage.i18n import CATALOGS, LANGUAGES, catalog, language_name, locales, plural_category, t


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


LOCALES = list(locales())


def test_every_served_language_ships_a_catalog() -> None:
    """The catalogs are .po files, one per locale, English complete; the picker names each in itself."""
    assert LOCALES == ["en", "nl", "de", "pl", "lt"]
    assert not list(CATALOGS.glob("*.json"))
    assert len(catalog("en")) > 300
    assert list(LANGUAGES.values()) == ["English", "Nederlands", "Deutsch", "Polski", "Lietuvių"]
    assert language_name("fr", "pl") == "Francuski"


def test_missing_strings_fall_back_to_english() -> None:
    """A locale with no catalog, or a key no catalog has, reads in English (or as the key), never an error."""
    assert t("yesno.yes", "de") == "Ja"
    assert t("yesno.yes", "pt-BR") == "Yes"
    assert t("answer.required", "de-AT") == t("answer.required", "de")
    assert t("yesno.yes", "pl-PL") == t("yesno.yes", "pl") != "Yes"
    assert t("no.such.key", "de") == "no.such.key"


def test_plural_categories_follow_babel() -> None:
    """The CLDR categories of a count: English and German know one and other, Polish few and many too."""
    assert [plural_category(n, "en") for n in (0, 1, 2, 1.5)] == ["other", "one", "other", "other"]
    assert [plural_category(n, "de-AT") for n in (1, 21)] == ["one", "other"]
    assert [plural_category(n, "pl") for n in (1, 3, 5)] == ["one", "few", "many"]
    assert [plural_category(n, "lt") for n in (1, 3, 11, 1.5)] == ["one", "few", "other", "many"]
    assert plural_category(1, "no-such-tag") == "one"


@pytest.mark.parametrize(
    ("locale", "one", "two"),
    [
        ("en", "1 case", "2 cases"),
        ("de", "1 Fall", "2 Fälle"),
        ("fr", "1 case", "2 cases"),  # no French catalog: English, counted the English way
    ],
)
def test_a_count_picks_the_plural_form(locale: str, one: str, two: str) -> None:
    """``count=1`` reads "1 case", never "1 cases"; 0 and 2 read as the plain ("other") form."""
    assert t("ui.queue.count", locale, count=1) == one
    assert t("ui.queue.count", locale, count=2) == two
    assert t("ui.queue.count", locale, count=0) == two.replace("2", "0")
    assert t("ui.studio.errors", "en", count=1) == "1 error"
    assert t("ui.studio.summary", "en", errors="1 error", warnings="0 warnings") == "1 error, 0 warnings"


def test_count_strings_have_a_singular_and_no_bracketed_plurals() -> None:
    """Every string that counts with ``{count}`` and a plural noun has its ``.one`` form, and no string that
    counts hedges with "(s)", "(en)" or "Fall/Fälle"; every ``.one`` belongs to a plain key."""
    for locale in LOCALES:
        strings = catalog(locale)
        counted = {k: v for k, v in strings.items() if "count" in _fields(v)}
        hedged = {k: v for k, v in counted.items() if re.search(r"\((s|e|en|n|i|y|ów|ai|ių)\)|\w/\w", v)}
        assert hedged == {}, locale
        for key in (k for k in strings if k.endswith(".one")):
            assert key.removesuffix(".one") in strings
    en = catalog("en")
    plural_nouns = [k for k, v in en.items() if re.search(r"\{count\} (\w+ )?\w+s\b", v) and "." in k]
    missing = [k for k in plural_nouns if not k.endswith(".one") and f"{k}.one" not in en]
    assert missing == []
