"""Dates, times and numbers as the reader's language writes them, by Babel (CLDR): 08.12.2025 in German,
8.12.2025 in Polish, 2025-12-08 in Lithuanian; 1.234,5 in German, 1 234,5 in Polish.

``locale`` may carry a region (``de-AT``, ``en-GB``): the region's conventions win where CLDR has them. A tag
Babel does not know is written the English way.

>>> from datetime import date
>>> format_day(date(2025, 12, 8), "de"), format_day(date(2025, 12, 8), "lt"), format_decimal(12345.5, "de")
('08.12.2025', '2025-12-08', '12.345,5')
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time

from babel import Locale, UnknownLocaleError
from babel import dates as _dates
from babel import numbers as _numbers

__all__ = [
    "date_input_format",
    "format_datetime",
    "format_day",
    "format_decimal",
    "format_number",
    "format_percent",
    "format_time",
]


@functools.lru_cache(maxsize=64)
def _locale(tag: str) -> Locale:
    try:
        return Locale.parse(tag.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return Locale("en")


def format_day(day: date, locale: str = "en", style: str = "medium") -> str:
    """A date: ``08.12.2025`` (de), ``8 gru 2025`` (pl), ``Dec 8, 2025`` (en); ``style`` short/medium/long/full."""
    return str(_dates.format_date(day, format=style, locale=_locale(locale)))


def format_time(moment: time | datetime, locale: str = "en", style: str = "short") -> str:
    """A time of day: ``14:30`` (de), ``2:30 PM`` (en)."""
    return str(_dates.format_time(moment, format=style, locale=_locale(locale)))


def format_datetime(moment: datetime, locale: str = "en", style: str = "medium") -> str:
    """A date with its time, in the moment's own time zone (UTC for stored times): ``08.12.2025, 14:30``."""
    day = format_day(moment.date(), locale, style)
    return (
        f"{day}, {format_time(moment, locale)}"
        if style != "full"
        else str(_dates.format_datetime(moment, format=style, locale=_locale(locale)))
    )


def format_number(value: int, locale: str = "en") -> str:
    """A whole number with the language's grouping: ``12.345`` (de), ``12 345`` (pl)."""
    return str(_numbers.format_decimal(value, locale=_locale(locale)))


def format_decimal(value: float, locale: str = "en", digits: int = 1) -> str:
    """A number with ``digits`` decimals (kept even when zero): ``3,0`` (de), ``3.0`` (en)."""
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return str(_numbers.format_decimal(value, format=pattern, locale=_locale(locale)))


def format_percent(share: float, locale: str = "en", digits: int = 1) -> str:
    """A share (0.25) as a percentage with ``digits`` decimals: ``25,0 %`` (de), ``25.0%`` (en)."""
    language = _locale(locale)
    own = str(language.percent_formats[None].pattern)  # "#,##0 %": where the sign goes, and its space
    pattern = own.replace("0", "0" + ("." + "0" * digits if digits > 0 else ""), 1) if "0" in own else own
    return str(_numbers.format_percent(share, format=pattern, locale=language))


def date_input_format(locale: str = "en") -> str:
    """The day order and separator of the language's short date, as Streamlit's ``date_input`` takes it:
    ``DD.MM.YYYY`` (de, pl), ``DD-MM-YYYY`` (nl), ``YYYY-MM-DD`` (lt), ``MM/DD/YYYY`` (en)."""
    pattern = _dates.get_date_format("short", locale=_locale(locale)).pattern
    separator = next((ch for ch in pattern if ch in "./-"), "/")
    order = [part for part in ("y", "M", "d") if part in pattern]
    order.sort(key=pattern.index)
    names = {"y": "YYYY", "M": "MM", "d": "DD"}
    return separator.join(names[part] for part in order)
