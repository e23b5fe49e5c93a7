"""Customers' contact details and address: what self-service asks for, what agents see and correct.

* **Reading.** :func:`contact_for` is the contact given in a session (a :class:`ContactView`), or ``None``.
* **Keeping.** :func:`save_contact` checks what was typed and keeps it: a name; a phone number or an e-mail
  address (at least one); the customer's consent (an agent's edit needs none: ``editor`` names the agent); for a
  visit or a parcel, an address and a postcode. The region is looked up in the postcode table
  (:func:`region_for`), never typed. A parcel still waiting for its address is sent to the one given.
* **The postcode table.** ``triage/desk/postcodes.csv`` as shipped, or the file ``TRIAGE_POSTCODES`` names: one
  range a line, ``first,last,region``; see :func:`load_postcodes`.
* **Privacy.** :func:`purge_expired` erases contacts older than ``TRIAGE_CONTACT_RETENTION_DAYS`` (default 90;
  start-up and ``triage customer purge`` run it); :func:`forget` erases one customer's (``triage customer
  forget``). Both erase the copies on bookings, shipments and outage notices and write one audit line without
  personal data. Contacts are never part of analytics or of an export.

Errors: :class:`~triage.errors.ContactError` (what was typed; its message is in the customer's language and
``field`` names the form field), :class:`~triage.errors.PostcodeTableError` (a broken table file),
:class:`~triage.errors.Refused` (a bad retention setting), :class:`~triage.errors.NotFound`.
"""

from __future__ import annotations

import csv
import functools
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

from triage.desk import fulfilment
from triage.errors import ContactError, LimitExceeded, NotFound, PostcodeTableError, Refused
from triage.i18n import t
from triage.limits import check_length, limits
from triage.records.contacts import ContactRow, Contacts, Forgotten
from triage.records.schema import utcnow
from triage.records.store import Store

__all__ = [
    "DEFAULT_RETENTION_DAYS",
    "ContactView",
    "Forgotten",
    "PostcodeRange",
    "contact_for",
    "forget",
    "load_postcodes",
    "masked",
    "postcode_table",
    "purge_expired",
    "region_for",
    "retention_days",
    "safety_instruction",
    "save_contact",
]

DEFAULT_RETENTION_DAYS = 90
"""Days a contact is kept when ``TRIAGE_CONTACT_RETENTION_DAYS`` is not set."""

RETENTION_ENV = "TRIAGE_CONTACT_RETENTION_DAYS"
POSTCODES_ENV = "TRIAGE_POSTCODES"

_PHONE_CHARS = re.compile(r"\+?[0-9 ()\-]+")
_PHONE_DIGITS = (7, 15)  # E.164: at most 15 digits; fewer than 7 reaches nobody outside a switchboard
_EMAIL = re.compile(
    r"(?P<local>[^@\s\"(),:;<>\[\]\\]{1,64})@(?P<domain>(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63})"
)
_POSTCODE = re.compile(r"[0-9A-Z][0-9A-Z -]{1,10}[0-9A-Z]")
_COLUMNS = {"name": 200, "phone": 40, "email": 254, "address": 1000, "city": 100}  # customer_contacts sizes
_CUSTOMER = "customer"  # who confirmed a parcel's address taken from the customer's own form


@dataclass(frozen=True)
class ContactView:
    """How to reach the customer of one session; ``region`` comes from the postcode table, never typed."""

    session_id: str
    name: str
    phone: str | None
    email: str | None
    address: str | None
    postcode: str | None
    city: str | None
    region: str | None
    consent_at: datetime
    updated_by: str | None

    def has_address(self) -> bool:
        """Whether a technician or a parcel can find the customer: a street, a postcode and its region."""
        return bool(self.address and self.postcode and self.region)


def _view(row: ContactRow) -> ContactView:
    return ContactView(
        session_id=row.session_id,
        name=row.name,
        phone=row.phone,
        email=row.email,
        address=row.address,
        postcode=row.postcode,
        city=row.city,
        region=row.region,
        consent_at=row.consent_at,
        updated_by=row.updated_by,
    )


def contact_for(store: Store, session_id: str) -> ContactView | None:
    """The contact given in session ``session_id``, or ``None`` if none was given (or it was erased)."""
    row = Contacts(store).get(session_id)
    return _view(row) if row is not None else None


# -- the postcode table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PostcodeRange:
    """Postcodes from ``first`` to ``last`` (both included, of the same length) are in ``region``."""

    first: str
    last: str
    region: str
    line: int

    def holds(self, postcode: str) -> bool:
        """Whether ``postcode`` (normalized) is in this range."""
        return len(postcode) == len(self.first) and self.first <= postcode <= self.last


def _key(postcode: str) -> str:
    """A postcode as the table compares it: upper case, without spaces or dashes."""
    return re.sub(r"[\s\-]", "", postcode).upper()


def load_postcodes(text: str, source: str = "postcodes.csv") -> tuple[PostcodeRange, ...]:
    """The ranges of a table's text: ``first,last,region`` a line, a header line, ``#`` comments.

    >>> [r.region for r in load_postcodes("first,last,region\\n10115,14199,berlin\\n")]
    ['berlin']
    >>> load_postcodes("10115,1419,berlin")
    Traceback (most recent call last):
    ...
    triage.errors.PostcodeTableError: postcodes.csv:1: '10115' and '1419' differ in length; a range's ends are postcodes of one length
    """
    ranges: list[PostcodeRange] = []
    lines = [
        (n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip() and not line.startswith("#")
    ]
    for (n, _), cells in zip(lines, csv.reader(line for _, line in lines), strict=True):
        cells = [c.strip() for c in cells]
        if [c.lower() for c in cells] == ["first", "last", "region"]:
            continue
        ranges.append(_range(cells, f"{source}:{n}", n))
    _no_overlap(ranges, source)
    if not ranges:
        raise PostcodeTableError(f"{source}: no postcode ranges; add lines like 10115,14199,berlin")
    return tuple(ranges)


def _range(cells: list[str], where: str, line: int) -> PostcodeRange:
    if len(cells) != 3 or not all(cells):
        raise PostcodeTableError(f"{where}: expected first,last,region (got {','.join(cells)!r})")
    first, last, region = _key(cells[0]), _key(cells[1]), cells[2]
    if len(first) != len(last):
        raise PostcodeTableError(
            f"{where}: {cells[0]!r} and {cells[1]!r} differ in length; a range's ends are postcodes of one length"
        )
    if first > last:
        raise PostcodeTableError(
            f"{where}: the range {cells[0]}-{cells[1]} is backwards; write the lower end first"
        )
    return PostcodeRange(first, last, region, line)


def _no_overlap(ranges: list[PostcodeRange], source: str) -> None:
    ordered = sorted(ranges, key=lambda r: (len(r.first), r.first))
    for a, b in zip(ordered, ordered[1:], strict=False):
        if len(a.first) == len(b.first) and b.first <= a.last:
            raise PostcodeTableError(
                f"{source}:{b.line}: {b.first}-{b.last} ({b.region}) overlaps {a.first}-{a.last} ({a.region}) "
                f"on line {a.line}; a postcode is in one region"
            )


@functools.cache
def _table(path: str, mtime: float) -> tuple[PostcodeRange, ...]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PostcodeTableError(
            f"{POSTCODES_ENV}={path}: cannot read it ({exc.__class__.__name__})"
        ) from None
    return load_postcodes(text, path)


@functools.cache
def _shipped() -> tuple[PostcodeRange, ...]:
    text = resources.files("triage.desk").joinpath("postcodes.csv").read_text(encoding="utf-8")
    return load_postcodes(text, "triage/desk/postcodes.csv")


def postcode_table() -> tuple[PostcodeRange, ...]:
    """The table in force: the file ``TRIAGE_POSTCODES`` names (re-read when it changes), else the shipped one."""
    path = os.environ.get(POSTCODES_ENV)
    if not path:
        return _shipped()
    try:
        mtime = Path(path).stat().st_mtime
    except OSError:
        raise PostcodeTableError(f"{POSTCODES_ENV}={path}: no such file") from None
    return _table(path, mtime)


def region_for(postcode: str) -> str | None:
    """The region ``postcode`` is in, or ``None`` if the table has no range for it.

    >>> region_for("10 115"), region_for("80331"), region_for("99999")
    ('berlin', 'munich', None)
    """
    key = _key(postcode)
    return next((r.region for r in postcode_table() if r.holds(key)), None)


def _regions() -> str:
    return ", ".join(sorted({r.region for r in postcode_table()}))


# -- checking and keeping -------------------------------------------------------------------------


def _clean(text: str | None) -> str:
    """What was typed, with runs of white space (line breaks too) as one space."""
    return " ".join((text or "").split())


def _fits(field: str, text: str, locale: str, limit: int) -> str:
    try:
        return check_length(field, text, limit=min(limit, _COLUMNS.get(field, limit)))
    except LimitExceeded:
        cap = min(limit, _COLUMNS.get(field, limit))
        what = t(f"contact.field.{field}", locale)
        raise ContactError(
            t("contact.error.too_long", locale, field=what, limit=cap, got=len(text)), field
        ) from None


def _name(text: str | None, locale: str) -> str:
    name = _clean(text)
    if not name:
        raise ContactError(t("contact.error.name", locale), "name")
    if not any(ch.isalpha() for ch in name):
        raise ContactError(t("contact.error.name_letters", locale), "name")
    return _fits("name", name, locale, limits().contact)


def _phone(text: str | None, locale: str) -> str | None:
    phone = _clean(text)
    if not phone:
        return None
    digits = sum(ch.isdigit() for ch in phone)
    if not _PHONE_CHARS.fullmatch(phone) or not _PHONE_DIGITS[0] <= digits <= _PHONE_DIGITS[1]:
        raise ContactError(t("contact.error.phone", locale, phone=phone[:40]), "phone")
    return _fits("phone", phone, locale, limits().contact)


def _email(text: str | None, locale: str) -> str | None:
    email = (text or "").strip()
    if not email:
        return None
    m = _EMAIL.fullmatch(email)
    local = m.group("local") if m else ""
    if m is None or local.startswith(".") or local.endswith(".") or ".." in local:
        raise ContactError(t("contact.error.email", locale, email=email[:60]), "email")
    return _fits("email", email, locale, limits().contact)


@dataclass(frozen=True)
class _Place:
    address: str | None
    postcode: str | None
    city: str | None
    region: str | None


def _place(address: str | None, postcode: str | None, city: str | None, *, need: bool, locale: str) -> _Place:
    street, code, town = _clean(address), _clean(postcode).upper(), _clean(city)
    if need and not street:
        raise ContactError(t("contact.error.address", locale), "address")
    if need and not code:
        raise ContactError(t("contact.error.postcode_needed", locale), "postcode")
    if code and not _POSTCODE.fullmatch(code):
        raise ContactError(t("contact.error.postcode", locale, postcode=code[:20]), "postcode")
    region = region_for(code) if code else None
    if need and region is None:
        raise ContactError(
            t("contact.error.postcode_unknown", locale, postcode=code, regions=_regions()), "postcode"
        )
    return _Place(
        _fits("address", street, locale, limits().contact) or None,
        code or None,
        _fits("city", town, locale, limits().contact) or None,
        region,
    )


def save_contact(
    store: Store,
    session_id: str,
    *,
    name: str,
    phone: str | None = None,
    email: str | None = None,
    consent: bool,
    locale: str,
    address: str | None = None,
    postcode: str | None = None,
    city: str | None = None,
    need_address: bool = False,
    need_phone: bool = False,
    editor: str | None = None,
) -> ContactView:
    """Check what was typed and keep it as the contact of ``session_id``; the contact as kept.

    ``editor`` is the agent who edits (no consent asked: the customer gave it, or gives it on the call);
    ``None`` is the customer, who must consent. ``need_address`` for a visit or a parcel: a street and a
    postcode in a region we serve. ``need_phone`` when we must call (a safety stop). Messages are in
    ``locale``. A parcel of this session still waiting for its address is sent to this one.
    """
    clean_name = _name(name, locale)
    clean_phone, clean_email = _phone(phone, locale), _email(email, locale)
    if need_phone and clean_phone is None:
        raise ContactError(t("contact.error.phone_needed", locale), "phone")
    if clean_phone is None and clean_email is None:
        raise ContactError(t("contact.error.reach", locale), "phone")
    place = _place(address, postcode, city, need=need_address, locale=locale)
    if editor is None and not consent:
        raise ContactError(t("contact.error.consent", locale), "consent")
    fields = {
        "name": clean_name,
        "phone": clean_phone,
        "email": clean_email,
        "address": place.address,
        "postcode": place.postcode,
        "city": place.city,
        "region": place.region,
    }
    row = Contacts(store).save(session_id, fields, locale=locale, editor=editor)
    view = _view(row)
    _address_parcel(store, view, editor or _CUSTOMER)
    return view


def _address_parcel(store: Store, contact: ContactView, by: str) -> None:
    """Send a parcel still waiting for its address to the contact's, so nobody types it twice."""
    if not contact.has_address():
        return
    shipment = fulfilment.session_fulfilment(store, contact.session_id).shipment
    if shipment is None or shipment.status != "requested":
        return
    town = " ".join(x for x in (contact.postcode, contact.city) if x)
    fulfilment.confirm_address(store, shipment.reference, f"{contact.address}\n{town}", by)


def masked(contact: ContactView) -> str:
    """The phone number (else the e-mail address) with most of it hidden, for a page anyone with the link sees.

    >>> from datetime import UTC
    >>> c = ContactView("s", "Ana", "+49 30 1234567", None, None, None, None, None, datetime.now(UTC), None)
    >>> masked(c)
    '+49 ••••••567'
    >>> masked(ContactView("s", "Ana", None, "ana.lopez@example.com", None, None, None, None, c.consent_at, None))
    'a•••@example.com'
    """
    if contact.phone:
        head = contact.phone[:3]
        digits = [ch for ch in contact.phone[3:] if ch.isdigit()]
        return f"{head} {'•' * max(len(digits) - 3, 0)}{''.join(digits[-3:])}"
    local, _, domain = (contact.email or "").partition("@")
    return f"{local[:1]}•••@{domain}"


# -- privacy --------------------------------------------------------------------------------------


def retention_days() -> int:
    """Days a contact is kept: ``TRIAGE_CONTACT_RETENTION_DAYS`` (a whole number, at least 1), default 90."""
    raw = os.environ.get(RETENTION_ENV, "").strip()
    if not raw:
        return DEFAULT_RETENTION_DAYS
    try:
        days = int(raw)
    except ValueError:
        raise Refused(f"{RETENTION_ENV} must be a whole number of days (got {raw!r})") from None
    if days < 1:
        raise Refused(f"{RETENTION_ENV} must be at least 1 day (got {raw!r})")
    return days


def purge_expired(store: Store, *, now: datetime | None = None, actor: str = "retention") -> Forgotten:
    """Erase every contact given more than :func:`retention_days` ago, with its copies; what was erased.

    One audit line (``contacts_purged``) when anything was erased; none when nothing was due.
    """
    before = (now or utcnow()) - timedelta(days=retention_days())
    contacts = Contacts(store)
    due = contacts.expired(before)
    if not due:
        return Forgotten(0, 0, 0, 0, 0)
    return contacts.forget(due, event="contacts_purged", actor=actor)


def forget(store: Store, ident: str, *, actor: str) -> Forgotten:
    """Erase the contact data of ``ident`` (a customer id, a session's or a case's reference, a session id).

    :class:`~triage.errors.NotFound` if ``ident`` names no session; one audit line (``contact_forgotten``)
    with the counts, never the id or the data.
    """
    text = ident.strip()
    contacts = Contacts(store)
    sessions = contacts.sessions_for(text) if text else []
    if not sessions:
        raise NotFound(
            f"no customer, session or case {text!r}; give a customer id, a reference or a session id"
        )
    return contacts.forget(sessions, event="contact_forgotten", actor=actor)


def safety_instruction(message: str, message_locale: str, locale: str) -> str:
    """What a customer is told to do at a safety stop, once.

    The tree's own words for the hazard when an authored outcome lies behind the sign (``message`` is then the
    policy's general warning followed by them), else: switch it off, unplug it, do not use it. The general
    warning is dropped: it says the same again and promises a call the page confirms with the number given.
    """
    general = t("policy.safety.message", message_locale)
    authored = message[len(general) :].strip() if message.startswith(general) else ""
    return authored or t("ui.self.safety_stop", locale)
