"""Interface strings live in catalog files that translators can edit without touching Python."""

from __future__ import annotations

import json
import re
import string

import pytest

from triage.i18n import CATALOGS, plural_category, t


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


LOCALES = sorted(p.stem for p in CATALOGS.glob("*.json"))


def test_english_and_german_catalogs_ship() -> None:
    """The catalogs are files, one per locale, English complete."""
    assert {"en", "de"} <= set(LOCALES)
    assert len(json.loads((CATALOGS / "en.json").read_text(encoding="utf-8"))) > 300


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_is_a_sorted_flat_map(locale: str) -> None:
    """A catalog is a flat JSON object of strings, sorted by key (so diffs stay small)."""
    strings = json.loads((CATALOGS / f"{locale}.json").read_text(encoding="utf-8"))
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in strings.items())
    assert list(strings) == sorted(strings)


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_use_the_english_placeholders(locale: str) -> None:
    """Every key a translation has exists in English, with the same {placeholders}."""
    en = json.loads((CATALOGS / "en.json").read_text(encoding="utf-8"))
    other = json.loads((CATALOGS / f"{locale}.json").read_text(encoding="utf-8"))
    assert set(other) <= set(en)
    wrong = {k: (en[k], v) for k, v in other.items() if _fields(v) != _fields(en[k])}
    assert wrong == {}


def test_missing_strings_fall_back_to_english() -> None:
    """A key German lacks, or a locale with no catalog, reads in English, never as an error."""
    assert t("yesno.yes", "de") == "Ja"
    assert t("yesno.yes", "pt-BR") == "Yes"
    assert t("answer.required", "de-AT") == t("answer.required", "de")
    assert t("no.such.key", "de") == "no.such.key"


def test_plural_categories_follow_babel() -> None:
    """The CLDR categories of a count: English and German know one and other, Polish few and many too."""
    assert [plural_category(n, "en") for n in (0, 1, 2, 1.5)] == ["other", "one", "other", "other"]
    assert [plural_category(n, "de-AT") for n in (1, 21)] == ["one", "other"]
    assert [plural_category(n, "pl") for n in (1, 3, 5)] == ["one", "few", "many"]
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
        strings = json.loads((CATALOGS / f"{locale}.json").read_text(encoding="utf-8"))
        counted = {k: v for k, v in strings.items() if "count" in _fields(v)}
        hedged = {k: v for k, v in counted.items() if re.search(r"\((s|e|en|n)\)|\w/\w", v)}
        assert hedged == {}
        for key in (k for k in strings if k.endswith(".one")):
            assert key.removesuffix(".one") in strings
    en = json.loads((CATALOGS / "en.json").read_text(encoding="utf-8"))
    plural_nouns = [k for k, v in en.items() if re.search(r"\{count\} (\w+ )?\w+s\b", v) and "." in k]
    missing = [k for k in plural_nouns if not k.endswith(".one") and f"{k}.one" not in en]
    assert missing == []
