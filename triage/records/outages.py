"""Declared outages and the customers waiting to hear that one has ended.

Staff declare an outage of a service (``internet``, ``tv``, ``phone``: a tree's ``service``) in a region, from a
start to an expected end (or until further notice), with a message per locale for customers. While it lasts no
technician is booked for that service there (:mod:`triage.visits.booking` asks :meth:`Outages.active_for`), and
every session started there learns of it through the built-in facts ``outage_in_area`` and ``outage_eta``.

* **Matching.** A region is compared ignoring case and surrounding spaces (``" berlin "`` is ``Berlin``), a service
  ignoring case. An outage counts from its start until it is ended; one that has not started yet, or has been
  ended, does not. Passing its expected end does not end it: staff end it, so the board never drops an outage
  that is running late.
* **Notices.** A customer may ask to be told when it is fixed (:meth:`Outages.subscribe`, with an e-mail address
  or a phone number). There is no SMS or mail gateway: ending an outage marks its notices as released
  (``sent_at``) and returns them, and the board and the CLI list them for staff to send.
* **Limits.** Regions and services are held to their columns and :mod:`triage.limits`, messages to the note
  limit, contacts to the contact limit, the same on SQLite and PostgreSQL.

Errors: :class:`~triage.errors.Refused` (bad input, ending twice, subscribing to an ended outage) and
:class:`~triage.errors.NotFound` (no such outage), both with a message that is safe to show.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session as DBSession

from triage.errors import NotFound, Refused
from triage.limits import check_length, limits
from triage.records.schema import Outage, OutageNotice, utcnow
from triage.walk.values import check_locale

if TYPE_CHECKING:
    from triage.records.store import Store

__all__ = ["NoticeView", "OutageView", "Outages", "contact_kind", "same_region", "until_text"]

_SERVICE_COLUMN = 40  # outages.service is String(40)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ()./-]*")
_PHONE_DIGITS = (6, 15)  # E.164 allows at most 15 digits; fewer than 6 is no phone number


def _region_key(region: str) -> str:
    return region.strip().casefold()


def same_region(a: str | None, b: str | None) -> bool:
    """Whether two regions are the same, ignoring case and surrounding spaces.

    >>> same_region(" berlin ", "Berlin"), same_region("Berlin", "Bern"), same_region(None, "Berlin")
    (True, False, False)
    """
    return a is not None and b is not None and _region_key(a) == _region_key(b)


def until_text(expected_end: datetime | None) -> str:
    """An expected end for a message: ``Mon 2025-03-03 18:00 UTC``, or ``further notice``."""
    if expected_end is None:
        return "further notice"
    return expected_end.astimezone(UTC).strftime("%a %Y-%m-%d %H:%M UTC")


def contact_kind(contact: str) -> str | None:
    """``"email"`` or ``"phone"`` for a contact detail a customer typed, ``None`` if it is neither.

    >>> contact_kind("ana@example.com"), contact_kind("+49 30 1234-567"), contact_kind("call me")
    ('email', 'phone', None)
    """
    text = contact.strip()
    if _EMAIL.fullmatch(text):
        return "email"
    digits = sum(ch.isdigit() for ch in text)
    if _PHONE.fullmatch(text) and _PHONE_DIGITS[0] <= digits <= _PHONE_DIGITS[1]:
        return "phone"
    return None


@dataclass(frozen=True)
class OutageView:
    """An outage as stored."""

    id: int
    region: str
    service: str
    starts_at: datetime
    expected_end: datetime | None
    ended_at: datetime | None
    message: dict[str, str]
    declared_by: str
    declared_at: datetime
    ended_by: str | None

    def active_at(self, at: datetime) -> bool:
        """Whether the outage counts at ``at``: it has started and has not been ended."""
        return self.starts_at <= at and (self.ended_at is None or at < self.ended_at)

    def message_for(self, locale: str) -> str:
        """The customers' message in ``locale`` (its language, else English)."""
        lang = locale.split("-")[0].split("_")[0]
        return self.message.get(locale) or self.message.get(lang) or self.message.get("en", "")

    @property
    def eta(self) -> str | None:
        """The expected end as ISO text (UTC, to the minute), the value of the ``outage_eta`` fact."""
        if self.expected_end is None:
            return None
        return self.expected_end.astimezone(UTC).isoformat(timespec="minutes")


@dataclass(frozen=True)
class NoticeView:
    """A customer waiting to hear that an outage has ended; ``sent_at`` once it ended and they are to be told."""

    id: int
    outage_id: int
    session_id: str | None
    contact: str
    locale: str
    created_at: datetime
    sent_at: datetime | None


def _view(o: Outage) -> OutageView:
    return OutageView(
        id=o.id,
        region=o.region,
        service=o.service,
        starts_at=o.starts_at,
        expected_end=o.expected_end,
        ended_at=o.ended_at,
        message=dict(o.message or {}),
        declared_by=o.declared_by,
        declared_at=o.declared_at,
        ended_by=o.ended_by,
    )


def _notice(n: OutageNotice) -> NoticeView:
    return NoticeView(n.id, n.outage_id, n.session_id, n.contact, n.locale, n.created_at, n.sent_at)


def _aware(what: str, value: datetime) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise Refused(f"{what} must be a date and time with a timezone (got {value!r})")
    return value.astimezone(UTC)


def _name(what: str, value: str, limit: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise Refused(f"an outage needs a {what} (got {value!r})")
    return check_length(what, text, limit=limit)


def _messages(message: Mapping[str, str]) -> dict[str, str]:
    """Locale -> text, blank ones left out; English is required, since every other language falls back to it."""
    if not isinstance(message, Mapping):
        raise Refused(f"an outage message maps locales to texts, like {{'en': '...'}} (got {message!r})")
    out: dict[str, str] = {}
    for locale, text in message.items():
        clean = text.strip() if isinstance(text, str) else ""
        if clean:
            out[check_locale(locale)] = check_length("message", clean, limit=limits().note)
    if "en" not in out:
        raise Refused("an outage message needs an English text (other languages fall back to it)")
    return out


class Outages:
    """Declare, list and end outages, and keep the customers who asked to hear when one ends."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def declare(
        self,
        region: str,
        service: str,
        *,
        message: Mapping[str, str],
        who: str,
        start: datetime | None = None,
        expected_end: datetime | None = None,
        now: datetime | None = None,
    ) -> OutageView:
        """Declare an outage of ``service`` in ``region`` from ``start`` (default now) until ``expected_end``
        (``None``: until further notice), with the customers' ``message`` per locale (English required)."""
        lim = limits()
        clean_region = _name("region", region, lim.identifier)
        clean_service = _name("service", service, _SERVICE_COLUMN).lower()
        author = _name("declarer", who, lim.name)
        texts = _messages(message)
        when = _aware("now", now or utcnow())
        begins = _aware("the start", start) if start is not None else when
        ends = _aware("the expected end", expected_end) if expected_end is not None else None
        if ends is not None and ends <= begins:
            raise Refused(
                f"the expected end {until_text(ends)} is not after the start {until_text(begins)}; "
                "give a later end, or none for until further notice"
            )
        with self.store.tx() as db:
            row = Outage(
                region=clean_region,
                service=clean_service,
                starts_at=begins,
                expected_end=ends,
                ended_at=None,
                message=texts,
                declared_by=author,
                declared_at=when,
            )
            db.add(row)
            db.flush()
            return _view(row)

    def get(self, outage_id: int) -> OutageView:
        """One outage by id; :class:`~triage.errors.NotFound` if there is none."""
        with self.store.tx() as db:
            return _view(self._row(db, outage_id))

    @staticmethod
    def _row(db: DBSession, outage_id: int) -> Outage:
        row = db.get(Outage, outage_id, populate_existing=True)
        if row is None:
            raise NotFound(f"no outage {outage_id}; `triage outage list --all` shows them")
        return row

    def every(self, limit: int = 200) -> list[OutageView]:
        """Every outage, active or not (up to ``limit``), the latest start first."""
        with self.store.tx() as db:
            q = select(Outage).order_by(Outage.starts_at.desc(), Outage.id.desc()).limit(limit)
            return [_view(o) for o in db.scalars(q)]

    def active(self, at: datetime | None = None) -> list[OutageView]:
        """The outages active at ``at`` (default now): started and not ended; the latest start first."""
        when = _aware("at", at or utcnow())
        with self.store.tx() as db:
            q = (
                select(Outage)
                .where(Outage.starts_at <= when, Outage.ended_at.is_(None) | (Outage.ended_at > when))
                .order_by(Outage.starts_at.desc(), Outage.id.desc())
            )
            return [_view(o) for o in db.scalars(q)]

    def active_for(self, region: str, service: str, at: datetime | None = None) -> list[OutageView]:
        """The outages of ``service`` in ``region`` active at ``at`` (default now), the latest expected end first
        (one without an expected end before any)."""
        if not (isinstance(region, str) and region.strip() and isinstance(service, str) and service.strip()):
            return []
        when = _aware("at", at or utcnow())
        key, svc = _region_key(region), service.strip().lower()
        with self.store.tx() as db:
            rows = db.scalars(
                select(Outage).where(
                    Outage.service == svc,
                    Outage.starts_at <= when,
                    Outage.ended_at.is_(None) | (Outage.ended_at > when),
                )
            ).all()
            # case-folded in Python: SQL lower() and casefold() disagree outside ASCII (ß, dotted I)
            found = [_view(o) for o in rows if _region_key(o.region) == key]
        far = datetime.max.replace(tzinfo=UTC)
        return sorted(found, key=lambda o: (o.expected_end or far, o.id), reverse=True)

    def regions(self) -> list[str]:
        """Every region an outage was ever declared for, as first spelled, sorted ignoring case."""
        with self.store.tx() as db:
            names = db.scalars(select(Outage.region).order_by(Outage.id)).all()
        seen: dict[str, str] = {}
        for name in names:
            seen.setdefault(_region_key(name), name)
        return sorted(seen.values(), key=str.casefold)

    def end(self, outage_id: int, who: str, when: datetime | None = None) -> list[NoticeView]:
        """End an outage at ``when`` (default now); the notices of customers to tell, now marked as released."""
        author = _name("person ending it", who, limits().name)
        at = _aware("the end", when or utcnow())
        with self.store.tx() as db:
            row = db.get(Outage, outage_id, with_for_update=True, populate_existing=True)
            if row is None:
                raise NotFound(f"no outage {outage_id}; `triage outage list --all` shows them")
            if row.ended_at is not None:
                raise Refused(
                    f"outage {outage_id} was already ended by {row.ended_by} at {until_text(row.ended_at)}"
                )
            if at < row.starts_at:
                raise Refused(
                    f"outage {outage_id} starts {until_text(row.starts_at)}; it cannot end before "
                    f"(given {until_text(at)})"
                )
            res = db.execute(
                update(Outage)
                .where(Outage.id == outage_id, Outage.ended_at.is_(None))
                .values(ended_at=at, ended_by=author)
                .execution_options(synchronize_session=False)
            )
            if res.rowcount == 0:  # type: ignore[attr-defined]  # ended by someone else a moment ago
                raise Refused(f"outage {outage_id} was ended by someone else a moment ago")
            db.execute(
                update(OutageNotice)
                .where(OutageNotice.outage_id == outage_id, OutageNotice.sent_at.is_(None))
                .values(sent_at=at)
                .execution_options(synchronize_session=False)
            )
            return self._notices(db, outage_id)

    def subscribe(
        self,
        outage_id: int,
        session_id: str | None,
        contact: str,
        locale: str = "en",
        *,
        now: datetime | None = None,
    ) -> NoticeView:
        """Tell ``contact`` (an e-mail address or a phone number) when outage ``outage_id`` ends. Asking twice
        with the same contact keeps one notice."""
        text = contact.strip() if isinstance(contact, str) else ""
        check_length("contact", text, limit=limits().contact)
        if contact_kind(text) is None:
            raise Refused(
                f"{text!r} is neither an e-mail address (like name@example.com) nor a phone number "
                "(like +49 30 1234567); give one of them"
            )
        check_locale(locale)
        sid = (
            check_length("session id", session_id.strip(), limit=limits().identifier) if session_id else None
        )
        at = _aware("now", now or utcnow())
        with self.store.tx() as db:
            row = self._row(db, outage_id)
            if row.ended_at is not None and row.ended_at <= at:
                raise Refused(f"outage {outage_id} has already ended; there is nothing to wait for")
            same = db.scalar(
                select(OutageNotice).where(
                    OutageNotice.outage_id == outage_id, func.lower(OutageNotice.contact) == text.lower()
                )
            )
            if same is not None:
                return _notice(same)
            notice = OutageNotice(
                outage_id=outage_id, session_id=sid, contact=text, locale=locale, created_at=at, sent_at=None
            )
            db.add(notice)
            db.flush()
            return _notice(notice)

    def notices(self, outage_id: int) -> list[NoticeView]:
        """The customers who asked to hear about outage ``outage_id``, in the order they asked."""
        with self.store.tx() as db:
            self._row(db, outage_id)
            return self._notices(db, outage_id)

    def notice_counts(self) -> dict[int, int]:
        """Outage id -> how many customers asked to hear when it ends."""
        with self.store.tx() as db:
            rows = db.execute(
                select(OutageNotice.outage_id, func.count()).group_by(OutageNotice.outage_id)
            ).all()
            return {int(r[0]): int(r[1]) for r in rows}

    @staticmethod
    def _notices(db: DBSession, outage_id: int) -> list[NoticeView]:
        q = select(OutageNotice).where(OutageNotice.outage_id == outage_id).order_by(OutageNotice.id)
        return [_notice(n) for n in db.scalars(q)]
