"""Which language a page speaks: the address, else the browser, else the configured default; a fallback is
marked; the agent reads in their own language whatever the customer's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from triage.desk import contact as console
from triage.i18n import t
from triage.i18n.choice import DEFAULT_ENV, Chosen, clean_tag, default_locale, negotiate_locale
from triage.i18n.formats import date_input_format, format_datetime, format_decimal, format_percent
from triage.records.store import Store
from triage.trees.library import Library
from triage.trees.model import Audience, localize
from triage.ui.common import boot

ROOT = Path(__file__).resolve().parents[1]
SERVED = ("en", "nl", "de", "pl", "lt")


@pytest.mark.parametrize(
    ("url", "browser", "default", "chosen"),
    [
        ("de", "pl-PL", "en", Chosen("de", None, "de")),  # the address wins
        (None, "pl-PL", "en", Chosen("pl", None, "pl-PL")),  # pl-PL reads pl, written the Polish way
        ("", "de-AT", "en", Chosen("de", None, "de-AT")),
        (None, None, "nl", Chosen("nl", None, "nl")),  # the configured default
        ("fr-FR", None, "en", Chosen("en", "fr-FR", "en")),  # no French: English, marked
        ("fr", "lt-LT", "en", Chosen("lt", "fr", "lt")),  # the browser's language before English
        ("<script>", "xx", None, Chosen("en", "xx", "en")),  # not a tag: ignored, never echoed
        ("PL_pl", None, "en", Chosen("pl", None, "pl-PL")),
    ],
)
def test_negotiation_takes_the_first_served_language(
    url: str | None, browser: str | None, default: str | None, chosen: Chosen
) -> None:
    """URL, then browser, then default; a region reads its language; an unserved tag is kept as the fallback."""
    assert negotiate_locale(url, browser, default, available=SERVED) == chosen


def test_the_default_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """TRIAGE_DEFAULT_LOCALE names the default; one no catalog serves (or garbage) means English."""
    monkeypatch.setenv(DEFAULT_ENV, "pl-PL")
    assert default_locale(SERVED) == "pl"
    assert negotiate_locale(None, None, available=SERVED).locale == "pl"
    monkeypatch.setenv(DEFAULT_ENV, "fr")
    assert default_locale(SERVED) == "en"
    monkeypatch.setenv(DEFAULT_ENV, "'; drop")
    assert default_locale(SERVED) == "en"
    assert clean_tag("de_at") == "de-AT"


def test_dates_and_numbers_are_written_the_languages_way() -> None:
    """Babel writes them: German day.month.year, Lithuanian year-month-day, a decimal comma in Polish."""
    moment = datetime(2025, 12, 8, 14, 30, tzinfo=UTC)
    assert format_datetime(moment, "de") == "08.12.2025, 14:30"
    assert format_datetime(moment, "lt") == "2025-12-08, 14:30"
    assert format_datetime(moment, "en") == "Dec 8, 2025, 2:30\u202fPM"
    assert format_decimal(3, "pl") == "3,0"
    assert format_decimal(1234.56, "en") == "1,234.6"
    assert format_percent(0.256, "de") == "25,6\u00a0%"
    assert [date_input_format(loc) for loc in SERVED] == [
        "MM/DD/YYYY",
        "DD-MM-YYYY",
        "DD.MM.YYYY",
        "DD.MM.YYYY",
        "YYYY-MM-DD",
    ]
    assert date(2025, 12, 8).isoformat() == "2025-12-08"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shipped_lib: Library) -> Iterator[Store]:
    """A fresh app database with the shipped trees published."""
    url = f"sqlite:///{tmp_path / 'ui.db'}"
    monkeypatch.setenv("TRIAGE_DATABASE_URL", url)
    monkeypatch.setenv("TRIAGE_ADMIN_PASSWORD", "admin-pass-1")
    monkeypatch.delenv(DEFAULT_ENV, raising=False)
    store = Store(url)
    store.sync(shipped_lib)
    boot.clear()
    yield store
    store.dispose()
    boot.clear()


def _self_service(browser: str | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    if browser is not None:
        at.context = {"locale": browser}
    at.query_params.update(query)
    return at.run()


def test_a_german_browser_gets_german_self_service(db: Store) -> None:
    """st.context.locale "de-DE" with no ?lang=: the page speaks German, with no fallback note."""
    at = _self_service("de-DE")
    assert at.title[0].value == t("ui.self.title", "de") != t("ui.self.title", "en")
    assert not [c for c in at.caption if "verfügbar" in str(c.value)]


def test_the_address_beats_the_browser_and_a_region_reads_its_language(db: Store) -> None:
    """?lang=pl-PL with a German browser: Polish."""
    at = _self_service("de-DE", lang="pl-PL")
    assert at.title[0].value == t("ui.self.title", "pl")


def test_an_unserved_language_is_marked(db: Store) -> None:
    """?lang=fr from a French browser: English, and a note saying so in English."""
    at = _self_service("fr-FR", lang="fr")
    assert at.title[0].value == t("ui.self.title", "en")
    note = t("ui.language.fallback", "en", shown="English", asked="French")
    assert note in [str(c.value) for c in at.caption]


def test_a_polish_note_names_the_languages_in_polish(db: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A French browser with Polish as the configured default: the note is Polish."""
    monkeypatch.setenv(DEFAULT_ENV, "pl")
    at = _self_service("fr-FR")
    assert at.title[0].value == t("ui.self.title", "pl")
    note = t("ui.language.fallback", "pl", shown="polski", asked="francuski")
    assert note in [str(c.value) for c in at.caption]


def test_the_picker_is_on_the_self_service_page_and_holds_for_the_visit(db: Store) -> None:
    """Self-service draws its picker in the page (a phone hides the sidebar), none in the sidebar; a pick
    switches the page, stays in the address, and beats the browser."""
    at = _self_service("de-DE")
    assert [s.key for s in at.sidebar.selectbox] == []
    picker = at.main.selectbox(key="ss-language")
    assert picker.options == ["English", "Nederlands", "Deutsch", "Polski", "Lietuvių"]
    picker.select("lt").run()
    assert at.title[0].value == t("ui.self.title", "lt")
    assert at.query_params["lang"] == "lt"


def test_the_agent_reads_the_hand_off_in_their_language(db: Store, shipped_lib: Library) -> None:
    """A Polish customer's session, read by a German agent: German steps, the customer's words verbatim, and
    the session keeps its own locale."""
    words = "Internet nie działa od rana!"
    stored = console.start_for_customer(
        db, shipped_lib.get_tree("no-internet"), region=None, customer_words=words, locale="pl"
    )
    asked = shipped_lib.get_tree("no-internet").node(stored.view().node_id)
    stored.answer(stored.view().options[0].value)
    german = console.handoff_files(db.load_session(stored.id), "de").markdown
    english = console.handoff_files(db.load_session(stored.id), "en").markdown
    assert words in german
    assert words in english
    assert localize(asked.text, "de") in german
    assert localize(asked.text, "de") not in english
    assert db.load_session(stored.id).session.locale == "pl"
    assert Audience.SELF_SERVICE is db.load_session(stored.id).session.mode
