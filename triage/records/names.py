"""Staff names that cannot pass for someone else's: user names checked, display names cleaned.

A user name is NFKC-normalised and case-folded (so ``ＡＤＭＩＮ`` and ``Admin`` are ``admin``), then refused with
:class:`~triage.errors.InvalidName` if it holds

* an invisible character: a bidi control (``U+202E RIGHT-TO-LEFT OVERRIDE`` ...), a zero-width one
  (``U+200B ZERO WIDTH SPACE`` ...), a variation selector, a Hangul filler;
* anything but letters, digits, '.', '-' and '_' (a space, '@' ...);
* letters of more than one script (``аdmin`` with ``U+0430 CYRILLIC SMALL LETTER A``), except the mixes
  Unicode's "highly restrictive" profile (UTS #39) allows for Japanese, Chinese and Korean;
* only Cyrillic or Greek letters that each look like a Latin one (``асе`` could pass for ``ace``).

Scripts are read from the character names in :mod:`unicodedata` (``CYRILLIC SMALL LETTER A``), so no
Unicode data has to be shipped or kept up to date beside Python's own.

>>> user_name("  Ana.Lopez ")
'ana.lopez'
>>> user_name("\\u0430dmin")
Traceback (most recent call last):
...
triage.errors.InvalidName: user name 'аdmin' mixes scripts: U+0430 CYRILLIC SMALL LETTER A is Cyrillic, the rest is Latin; use letters of one script
>>> display_name("Ana\\u202e Lopez\\u200b")
'Ana Lopez'
"""

from __future__ import annotations

import unicodedata

from triage.errors import InvalidName
from triage.limits import check_length, limits

__all__ = ["display_name", "fold", "user_name"]

_PUNCTUATION = frozenset(".-_")
# letters that are invisible or blank although Unicode calls them letters or marks
_INVISIBLE = frozenset(
    [0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800, 0x034F, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180F]
    + list(range(0xFE00, 0xFE10))  # variation selectors
    + list(range(0xE0100, 0xE01F0))  # variation selectors supplement
)
# script mixes allowed by UTS #39 "highly restrictive": Latin with Han and the Japanese kana, with Han and
# Bopomofo, with Han and Hangul
_ALLOWED_MIXES = (
    frozenset({"Latin", "Han", "Hiragana", "Katakana"}),
    frozenset({"Latin", "Han", "Bopomofo"}),
    frozenset({"Latin", "Han", "Hangul"}),
)
_SCRIPT_WORDS = {
    "CJK": "Han",
    "KATAKANA-HIRAGANA": "Katakana",  # the prolonged sound mark: used in both kana
    "HALFWIDTH": "Katakana",  # NFKC leaves few halfwidth forms; they are kana
    "IDEOGRAPHIC": "Han",  # the iteration mark
    "ARABIC-INDIC": "Arabic",
    "EXTENDED": "Arabic",  # EXTENDED ARABIC-INDIC DIGIT ...
}
# lower-case Cyrillic and Greek letters that look like a Latin letter (from Unicode's confusables.txt)
_LATIN_LOOKALIKES = frozenset("аеорсухіјѕԁһԛԝӏѵьοαικνυ")


def _char(ch: str) -> str:
    """``U+0430 CYRILLIC SMALL LETTER A``: how a message names a character."""
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'an unnamed character')}"


def _shown(name: str) -> str:
    """``name`` quoted for a message, invisible characters written as escapes (``'ad\\u200bmin'``)."""
    return (
        "'"
        + "".join(ascii(ch)[1:-1] if _is_invisible(ch) or not ch.isprintable() else ch for ch in name)
        + "'"
    )


def _is_invisible(ch: str) -> bool:
    """Whether ``ch`` shows nothing or moves text around: format (bidi, zero-width) and control characters, fillers."""
    return unicodedata.category(ch) in ("Cf", "Cc", "Cs", "Co", "Cn") or ord(ch) in _INVISIBLE


def _script(ch: str) -> str | None:
    """The script of a letter or digit (``Latin``, ``Cyrillic``, ``Han`` ...); ``None`` for common characters."""
    if (ch.isascii() and not ch.isalpha()) or unicodedata.category(ch).startswith("M"):
        return None  # digits, '.', '-', '_' and combining marks go with any script
    word = unicodedata.name(ch, "UNKNOWN").split()[0]
    return _SCRIPT_WORDS.get(word, word.title())


def fold(name: str) -> str:
    """The form names are compared in: NFKC, case-folded, trimmed (what :func:`user_name` checks)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold()).strip()


def _check_characters(name: str) -> None:
    for ch in name:
        if _is_invisible(ch):
            raise InvalidName(f"user name {_shown(name)} has {_char(ch)}, an invisible character; remove it")
        if not (ch in _PUNCTUATION or ch.isalnum() or unicodedata.category(ch).startswith("M")):
            raise InvalidName(
                f"user name {_shown(name)} has {_char(ch)}; use letters, digits, '.', '-' or '_'"
            )


def _check_scripts(name: str) -> None:
    scripts: dict[str, str] = {}  # script -> its first character in the name
    for ch in name:
        script = _script(ch)
        if script is not None:
            scripts.setdefault(script, ch)
    if len(scripts) > 1 and not any(set(scripts) <= mix for mix in _ALLOWED_MIXES):
        main = max(scripts, key=lambda s: sum(_script(c) == s for c in name))
        odd = next(s for s in scripts if s != main)
        raise InvalidName(
            f"user name {_shown(name)} mixes scripts: {_char(scripts[odd])} is {odd}, the rest is {main}; "
            "use letters of one script"
        )
    letters = [ch for ch in name if ch.isalpha()]
    if set(scripts) & {"Cyrillic", "Greek"} and letters and all(ch in _LATIN_LOOKALIKES for ch in letters):
        raise InvalidName(
            f"user name {_shown(name)} could pass for a Latin one: {_char(letters[0])} looks like a Latin letter; "
            "use Latin letters or a name that does not look Latin"
        )


def user_name(name: str) -> str:
    """``name`` folded (see :func:`fold`), or :class:`~triage.errors.InvalidName` saying which character is wrong."""
    folded = fold(name)
    if not folded:
        raise InvalidName("a user name is needed")
    check_length("user name", folded, limit=limits().name)
    _check_characters(folded)
    _check_scripts(folded)
    return folded


def display_name(name: str) -> str:
    """``name`` NFKC-normalised with bidi, zero-width and other invisible characters removed, spaces collapsed."""
    normal = unicodedata.normalize("NFKC", name)
    kept = "".join(" " if ch.isspace() else ch for ch in normal if ch.isspace() or not _is_invisible(ch))
    return check_length("display name", " ".join(kept.split()), limit=limits().name)
