"""The customer contact desk: what is checked, where the region comes from, what privacy erases and never exports."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from boxhelp import publish_box, walk

from triage import analytics
from triage.cli.main import main
from triage.desk import customers
from triage.desk import fulfilment as ful
from triage.errors import ContactError, NotFound, PostcodeTableError, Refused
from triage.i18n import t
from triage.records import audit
from triage.records.store import Store


@pytest.fixture
def box(store_url: str) -> Iterator[Store]:
    """A fresh store (SQLite, then PostgreSQL) with the box-help tree published."""
    st = publish_box(Store(store_url))
    yield st
    st.dispose()


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[Store]:
    """A fresh SQLite store with box-help, for the checks that do not depend on the database."""
    st = publish_box(Store(f"sqlite:///{tmp_path / 'c.db'}"))
    yield st
    st.dispose()


def _save(store: Store, sid: str, **kw: object) -> customers.ContactView:
    args: dict[str, object] = {
        "name": "Ana Lopez",
        "phone": "+49 30 1234567",
        "consent": True,
        "locale": "en",
    }
    args.update(kw)
    return customers.save_contact(store, sid, **args)  # type: ignore[arg-type]


def _refused(store: Store, sid: str, **kw: object) -> ContactError:
    with pytest.raises(ContactError) as info:
        _save(store, sid, **kw)
    return info.value


# -- saving and reading ---------------------------------------------------------------------------


def test_a_visit_contact_is_kept_with_the_region_of_its_postcode(box: Store) -> None:
    """Name, phone, address kept as typed (spaces tidied); the region is the table's, read back by contact_for."""
    s = walk(box, "flicker", "fault")
    saved = _save(
        box,
        s.id,
        name="  Ana   Lopez ",
        address=" Hauptstr.  1 ",
        postcode=" 10 115",
        city="Berlin",
        need_address=True,
    )
    assert saved == customers.contact_for(box, s.id)
    assert (
        saved.name,
        saved.phone,
        saved.email,
        saved.address,
        saved.postcode,
        saved.city,
        saved.region,
    ) == (
        "Ana Lopez",
        "+49 30 1234567",
        None,
        "Hauptstr. 1",
        "10 115",
        "Berlin",
        "berlin",
    )
    assert saved.updated_by is None
    assert saved.has_address()
    assert customers.contact_for(box, "no-such-session") is None


def test_an_agent_edits_without_consent_and_is_named(lite: Store) -> None:
    """editor set: no consent needed, updated_by recorded; the customer's consent time stays."""
    s = walk(lite, "flicker", "fault")
    first = _save(lite, s.id)
    edited = _save(lite, s.id, phone=None, email="ana@example.com", consent=False, editor="agent-ana")
    assert (edited.phone, edited.email, edited.updated_by, edited.consent_at) == (
        None,
        "ana@example.com",
        "agent-ana",
        first.consent_at,
    )


@pytest.mark.parametrize(
    ("kw", "field", "message"),
    [
        ({"name": "  "}, "name", "Please give your name, so we know whom to ask for."),
        ({"name": "1234"}, "name", "A name needs at least one letter; please type your name."),
        (
            {"phone": None},
            "phone",
            "Please give a phone number or an e-mail address, so we can reach you. One of them is enough.",
        ),
        (
            {"phone": "030 12"},
            "phone",
            "“030 12” is not a phone number we can call. Use digits, spaces, + ( ) and -, with 7 to 15 digits, "
            "for example +49 30 1234567.",
        ),
        ({"phone": "+49 30 1234567 ext 5"}, "phone", "“+49 30 1234567 ext 5” is not a phone number"),
        ({"phone": "1234567890123456"}, "phone", "is not a phone number"),
        (
            {"phone": None, "email": "ana@example"},
            "email",
            "“ana@example” is not an e-mail address we can write to. It looks like name@example.com.",
        ),
        ({"phone": None, "email": "ana..x@example.com"}, "email", "is not an e-mail address"),
        ({"phone": None, "email": "a b@example.com"}, "email", "is not an e-mail address"),
        (
            {"consent": False},
            "consent",
            "Please tick the box to agree that we may contact you; without it we cannot keep your details.",
        ),
        ({"need_address": True}, "address", "Please give the street and house number."),
        ({"need_address": True, "address": "Hauptstr. 1"}, "postcode", "Please give the postcode."),
        (
            {"need_address": True, "address": "Hauptstr. 1", "postcode": "99999"},
            "postcode",
            "We do not visit or deliver to postcode 99999 yet (we serve berlin, hamburg, munich). Please check the "
            "postcode, or call us and we will find another way.",
        ),
        ({"postcode": "1"}, "postcode", "“1” is not a postcode. Use digits and letters, for example 10115."),
        (
            {"need_phone": True, "phone": None, "email": "ana@example.com"},
            "phone",
            "Please give a phone number:",
        ),
        (
            {"name": "x" * 201},
            "name",
            "The name is at most 200 characters (you typed 201); please shorten it.",
        ),
    ],
)
def test_what_cannot_be_kept_is_refused_naming_the_field(
    lite: Store, kw: dict[str, object], field: str, message: str
) -> None:
    """Each refusal names the form field and says what to type; nothing is stored."""
    s = walk(lite, "flicker", "fault")
    err = _refused(lite, s.id, **kw)
    assert err.field == field
    assert message in str(err)
    assert customers.contact_for(lite, s.id) is None


def test_refusals_speak_the_customers_language(lite: Store) -> None:
    """The same refusal in German, from the German catalog."""
    s = walk(lite, "flicker", "fault")
    err = _refused(lite, s.id, locale="de", need_address=True, address="Hauptstr. 1", postcode="99999")
    assert str(err) == t(
        "contact.error.postcode_unknown", "de", postcode="99999", regions="berlin, hamburg, munich"
    )
    assert str(err).startswith("Die Postleitzahl 99999 bedienen wir noch nicht")


def test_sane_phone_numbers_and_addresses_pass(lite: Store) -> None:
    """Brackets, dashes, a leading +, and e-mail addresses with + tags or umlaut domains are kept."""
    s = walk(lite, "flicker", "fault")
    assert _save(lite, s.id, phone="+49 (0)30 123-4567").phone == "+49 (0)30 123-4567"
    kept = _save(lite, s.id, phone=None, email="ana+support@müller.de")
    assert kept.email == "ana+support@müller.de"


def test_a_postcode_outside_the_table_is_kept_without_region_when_no_visit_needs_it(lite: Store) -> None:
    """An escalation does not need an address: an unknown postcode is kept, with no region."""
    s = walk(lite, "flicker", "fault")
    kept = _save(lite, s.id, postcode="99999", address="Somewhere 1")
    assert (kept.postcode, kept.region, kept.has_address()) == ("99999", None, False)


def test_a_parcel_waiting_for_its_address_goes_to_the_contacts(box: Store) -> None:
    """The customer types their address once: a requested shipment is confirmed to it."""
    s = walk(box, "both")
    _save(box, s.id, address="Hafenstr. 2", postcode="20457", city="Hamburg", need_address=True)
    shipment = ful.session_fulfilment(box, s.id).shipment
    assert shipment is not None
    assert (shipment.address, shipment.address_confirmed, shipment.updated_by) == (
        "Hafenstr. 2\n20457 Hamburg",
        True,
        "customer",
    )


# -- the postcode table ---------------------------------------------------------------------------


def test_the_shipped_table_covers_the_technicians_regions() -> None:
    """Berlin, Hamburg and Munich postcodes map to the regions the demo technicians cover; others to none."""
    assert [customers.region_for(p) for p in ("10115", "14199", "20457", "22769", "80331", "81929")] == [
        "berlin",
        "berlin",
        "hamburg",
        "hamburg",
        "munich",
        "munich",
    ]
    assert [customers.region_for(p) for p in ("14200", "99999", "1011", "101150")] == [None, None, None, None]


def test_the_table_named_by_the_environment_replaces_the_shipped_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file named by TRIAGE_POSTCODES is the table; an edit to it is seen; letters compare too."""
    table = tmp_path / "codes.csv"
    table.write_text(
        "# ours\nfirst,last,region\n01000,01999,dresden\nSW1A 0AA,SW1A 9ZZ,london\n", encoding="utf-8"
    )
    monkeypatch.setenv("TRIAGE_POSTCODES", str(table))
    assert (
        customers.region_for("01067"),
        customers.region_for("sw1a 1aa"),
        customers.region_for("10115"),
    ) == (
        "dresden",
        "london",
        None,
    )
    table.write_text("10115,10115,mitte\n", encoding="utf-8")
    os.utime(table, (1, 1))  # a new modification time, however fast the rewrite
    assert customers.region_for("10115") == "mitte"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10115,berlin", "codes.csv:1: expected first,last,region (got '10115,berlin')"),
        ("20000,10000,x", "codes.csv:1: the range 20000-10000 is backwards; write the lower end first"),
        (
            "10000,19999,a\n# note\n15000,25000,b",
            "codes.csv:3: 15000-25000 (b) overlaps 10000-19999 (a) on line 1; a postcode is in one region",
        ),
        ("first,last,region\n", "codes.csv: no postcode ranges; add lines like 10115,14199,berlin"),
    ],
)
def test_a_broken_table_names_the_file_and_line(text: str, message: str) -> None:
    """Every mistake in a table file is reported with its line."""
    with pytest.raises(PostcodeTableError) as info:
        customers.load_postcodes(text, "codes.csv")
    assert str(info.value) == message


def test_a_missing_table_file_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """TRIAGE_POSTCODES naming nothing is said so, not a traceback from deep down."""
    monkeypatch.setenv("TRIAGE_POSTCODES", str(tmp_path / "none.csv"))
    with pytest.raises(PostcodeTableError, match=r"TRIAGE_POSTCODES=.*none\.csv: no such file"):
        customers.region_for("10115")


# -- privacy --------------------------------------------------------------------------------------


def test_retention_is_configurable_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """90 days by default; a number of days from the environment; nonsense refused with the variable's name."""
    monkeypatch.delenv("TRIAGE_CONTACT_RETENTION_DAYS", raising=False)
    assert customers.retention_days() == 90
    monkeypatch.setenv("TRIAGE_CONTACT_RETENTION_DAYS", "30")
    assert customers.retention_days() == 30
    for bad, why in (("soon", "a whole number of days (got 'soon')"), ("0", "at least 1 day (got '0')")):
        monkeypatch.setenv("TRIAGE_CONTACT_RETENTION_DAYS", bad)
        with pytest.raises(Refused, match=re.escape(f"TRIAGE_CONTACT_RETENTION_DAYS must be {why}")):
            customers.retention_days()


def test_purge_erases_contacts_past_the_retention_only(box: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Contacts older than the retention go with their copies and one audit line; nothing due, no line."""
    monkeypatch.setenv("TRIAGE_CONTACT_RETENTION_DAYS", "10")
    s = walk(box, "both")
    _save(box, s.id, address="Hafenstr. 2", postcode="20457", need_address=True)
    assert customers.purge_expired(box).contacts == 0
    assert audit.entries(box) == []
    done = customers.purge_expired(box, now=datetime.now(UTC) + timedelta(days=10, minutes=1), actor="cron")
    assert (done.contacts, done.shipments) == (1, 1)
    assert customers.contact_for(box, s.id) is None
    shipment = ful.session_fulfilment(box, s.id).shipment
    assert shipment is not None
    assert shipment.address is None
    assert [(e.event, e.actor) for e in audit.entries(box)] == [("contacts_purged", "cron")]


def test_forget_by_any_id_and_refuse_an_unknown_one(lite: Store) -> None:
    """A customer id erases all their sessions' contacts; an id naming nothing is NotFound with a hint."""
    a = walk(lite, "flicker", "fault", customer="C-1")
    b = walk(lite, "other", customer="C-1")
    _save(lite, a.id)
    _save(lite, b.id, phone=None, email="ana@example.com")
    done = customers.forget(lite, " C-1 ", actor="dpo")
    assert (done.sessions, done.contacts) == (2, 2)
    assert customers.contact_for(lite, a.id) is None
    with pytest.raises(
        NotFound, match="no customer, session or case 'C-404'; give a customer id, a reference"
    ):
        customers.forget(lite, "C-404", actor="dpo")


def test_the_masked_contact_hides_most_of_it(lite: Store) -> None:
    """On a page anyone with the link sees, only the start and the last digits of a number show."""
    s = walk(lite, "flicker", "fault")
    shown = customers.masked(_save(lite, s.id, phone="+49 30 1234567"))
    assert shown == "+49 ••••••567"
    assert "1234" not in shown


def test_the_safety_instruction_is_said_once() -> None:
    """The policy's general warning before an authored outcome is dropped; alone it becomes stop-and-unplug."""
    general = t("policy.safety.message", "en")
    assert (
        customers.safety_instruction(f"{general} Unplug the router now.", "en", "en")
        == "Unplug the router now."
    )
    assert customers.safety_instruction(general, "en", "de") == t("ui.self.safety_stop", "de")
    assert "specialist" not in customers.safety_instruction(general, "en", "en")


def test_contact_data_is_never_in_analytics_or_a_csv_export(lite: Store, tmp_path: Path) -> None:
    """A unique name, phone, e-mail and street appear in no analytics report, table, CSV or `triage stats --csv`."""
    secrets = ("Zyxwvut Qorlandsen", "+49 30 9876543", "zyx.qorl@example.com", "Qorlstraße 77")
    sessions = [walk(lite, "flicker", "fault"), walk(lite, "both"), walk(lite, "other")]
    for s in sessions:
        _save(
            lite,
            s.id,
            name=secrets[0],
            phone=secrets[1],
            email=secrets[2],
            address=secrets[3],
            postcode="10115",
            need_address=True,
        )
    summary = analytics.summary(lite)
    exports = [analytics.render_text(summary)]
    exports += [analytics.to_csv(rows) for rows in summary.tables().values()]
    exports.append(analytics.to_csv(analytics.tree_stats(lite, by_version=True)))
    exports.append(analytics.to_csv(analytics.node_stats(lite)))
    for name in summary.tables():
        target = tmp_path / f"{name}.csv"
        out = io.StringIO()
        assert (
            main(["stats", "--csv", str(target), "--table", name, "--db", str(lite.engine.url)], out=out) == 0
        )
        exports += [out.getvalue(), target.read_text(encoding="utf-8")]
    assert summary.overall.sessions >= 3  # the sessions with contacts are counted, so they were read
    for text in exports:
        for secret in (*secrets, "9876543", "Qorlandsen"):
            assert secret not in text
