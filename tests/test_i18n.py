"""Interface strings live in catalog files that translators can edit without touching Python."""

from __future__ import annotations

import json
import string

import pytest

from triage.i18n import CATALOGS, t


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
