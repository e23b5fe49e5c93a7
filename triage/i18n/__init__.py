"""Interface strings in the user's language.

Every string the engine, CLI or app shows (not tree content, which carries its own
translations) goes through :func:`t`. The strings live in catalog files, ``catalogs/<locale>.json`` (a flat,
sorted map from key to text that translators edit without touching Python); add a language by adding a file.
A key missing from a catalog falls back to English, never to an error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["CATALOGS", "LANGUAGES", "t"]

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


def t(key: str, locale: str = "en", **params: Any) -> str:
    """The interface string ``key`` in ``locale`` (falling back to English), formatted with ``params``."""
    lang = locale.split("-")[0].split("_")[0]
    catalog = _CATALOGS.get(locale) or _CATALOGS.get(lang) or _EN
    template = catalog.get(key) or _EN.get(key) or key
    return template.format(**params) if params else template
