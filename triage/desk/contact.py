"""What the agent console and the self-service pages need beyond the store, as plain Python.

The pages only draw; everything they decide or look up is here, testable without Streamlit:

* **finding a problem** — :func:`find_trees` (search by symptom words, title, tags, category) and
  :func:`problems_by_category`, as :class:`TreeRow` records for pickers;
* **starting** — :func:`known_facts` turns what an agent knows at the start of a call into typed facts,
  and :func:`start_for_agent` starts the call's session with them; :func:`start_for_customer` starts a
  self-service session. Both check the outage board first (:func:`triage.desk.outages.with_outage_facts`): a
  declared outage of the tree's service in the region sets ``outage_in_area`` and ``outage_eta``, unless the
  caller gave them; both keep the problem in the customer's own words (``customer_words``);
* **continuing** — :func:`resolve_session_id` (a reference people read out, ``K7P-4QX``; a full id, a unique
  prefix, or a pasted resume link), :func:`session_reference`; :func:`open_for_agent` opens a session read-only
  (a customer's escalation or walk in progress stays the customer's), :func:`take_over` hands it to the agent
  once they confirm, closing the customer's case as handed over; :func:`handed_over`, :func:`resume_link`;
* **the decision** — :func:`active_case`; :func:`handoff_files` (booking a visit is
  :mod:`triage.desk.booking`'s);
* **flags** — :func:`flag_step` (through :mod:`triage.desk.flags`) marks the current step as wrong or unclear
  for the authors, one of :data:`FLAG_KINDS`;
* **inputs** — :func:`pattern_example` (a sample answer that fits a text step's pattern),
  :func:`fact_text` (a fact in words).

What an agent or a customer types here (start facts, a session id, a region, an address, a flag's comment)
is held to its limit (:mod:`triage.limits`): :class:`~triage.errors.LimitExceeded` names the field and the limit.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from sqlalchemy import select

from triage.desk import flags
from triage.desk.clock import waiting
from triage.desk.flags import FLAG_KINDS, FlagView
from triage.desk.outages import with_outage_facts
from triage.errors import InvalidAnswer, NotFound
from triage.i18n import t
from triage.limits import check_length, limits
from triage.records.cases import CaseView, Queue
from triage.records.refs import normalize
from triage.records.schema import SessionRow, utcnow
from triage.records.sessions import StoredSession, unused_reference
from triage.records.store import Store
from triage.trees.library import Library
from triage.trees.model import Audience, Category, FactType, OutcomeKind, Tree, localize
from triage.walk.handoff import build_handoff
from triage.walk.views import fact_label, node_text

__all__ = [
    "FLAG_KINDS",
    "HandoffFiles",
    "Opened",
    "TreeRow",
    "active_case",
    "fact_text",
    "facts_in_words",
    "find_trees",
    "flag_step",
    "handed_over",
    "handoff_files",
    "known_facts",
    "ACTIVE_FOR",
    "open_for_agent",
    "pattern_example",
    "problems_by_category",
    "resolve_session_id",
    "resume_link",
    "session_reference",
    "start_for_agent",
    "start_for_customer",
    "take_over",
]

# the standard library's own regular expression parser (no public API), for pattern_example
_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

MIN_PREFIX = 6  # characters of a session id that are enough to find it
BUILTIN_FACTS: Mapping[str, FactType] = {
    "visit_covered": FactType.YESNO,
    "region": FactType.TEXT,
    "plan": FactType.TEXT,
    "repeat_contacts": FactType.NUMBER,
    "outage_in_area": FactType.YESNO,
}
_YES = ("yes", "y", "true", "1", "ja", "j")
_NO = ("no", "n", "false", "0", "nein")


# -- finding a problem ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TreeRow:
    """One tree as a picker shows it, in one language."""

    id: str
    title: str
    category: str
    description: str
    symptoms: tuple[str, ...]
    tags: tuple[str, ...]


def _row(tree: Tree, locale: str) -> TreeRow:
    return TreeRow(
        id=tree.id,
        title=localize(tree.title, locale),
        category=tree.category.value,
        description=localize(tree.description, locale),
        symptoms=tuple(localize(s, locale) for s in tree.symptoms),
        tags=tuple(tree.tags),
    )


def find_trees(
    library: Library,
    query: str = "",
    *,
    audience: Audience | str | None = None,
    category: Category | str | None = None,
    locale: str = "en",
) -> list[TreeRow]:
    """Trees open to ``audience`` matching the words of ``query`` (best first; all of them, by category and
    title, for an empty query), optionally only those of ``category``."""
    aud = Audience(audience).value if audience is not None else None
    trees = library.search(query, aud, locale) if query.strip() else library.offered(aud)
    cat = Category(category).value if category else None
    return [_row(tree, locale) for tree in trees if cat is None or tree.category.value == cat]


def problems_by_category(
    library: Library, *, audience: Audience | str | None = None, locale: str = "en"
) -> dict[str, list[TreeRow]]:
    """Trees open to ``audience`` by category (categories in their usual order, empty ones left out), each
    list sorted by title in ``locale``."""
    out: dict[str, list[TreeRow]] = {}
    rows = find_trees(library, audience=audience, locale=locale)
    for cat in Category:
        here = sorted((r for r in rows if r.category == cat.value), key=lambda r: r.title.lower())
        if here:
            out[cat.value] = here
    return out


# -- starting -------------------------------------------------------------------------------------


def known_facts(tree: Tree, values: Mapping[str, Any]) -> dict[str, Any]:
    """Typed start facts from what the agent entered. Blank, ``None`` and ``"unknown"`` values are left out
    (a fact that is not set reads as null); the type is the tree's declaration, else the built-in one
    (``visit_covered`` yes/no, ``repeat_contacts`` a number, others text). :class:`InvalidAnswer` names a
    value that does not fit."""
    out: dict[str, Any] = {}
    for name, raw in values.items():
        if raw is None or (isinstance(raw, str) and raw.strip().lower() in ("", "unknown")):
            continue
        declared = tree.facts.get(name)
        kind = declared.type if declared is not None else BUILTIN_FACTS.get(name, FactType.TEXT)
        out[name] = _typed(name, raw, kind, declared.choices if declared is not None else [])
    return out


def _typed(name: str, raw: Any, kind: FactType, choices: list[str]) -> Any:
    if kind is FactType.YESNO:
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if word in _YES or word in _NO:
            return word in _YES
        raise InvalidAnswer(t("console.fact.not_yesno", fact=name, value=raw))
    if kind is FactType.NUMBER:
        try:
            num = float(str(raw).strip().replace(",", "."))
        except ValueError:
            raise InvalidAnswer(t("console.fact.not_number", fact=name, value=raw)) from None
        if num != num or num in (float("inf"), float("-inf")):
            raise InvalidAnswer(t("console.fact.not_number", fact=name, value=raw))
        return int(num) if num.is_integer() else num
    text = check_length(f"value of fact {name!r}", str(raw).strip(), limit=limits().answer)
    if kind is FactType.CHOICE and choices and text not in choices:
        raise InvalidAnswer(t("console.fact.not_choice", fact=name, value=raw, options=", ".join(choices)))
    return text


def start_for_agent(
    store: Store,
    tree: Tree,
    values: Mapping[str, Any],
    *,
    locale: str = "en",
    customer_id: str | None = None,
    customer_words: str | None = None,
    now: datetime | None = None,
) -> StoredSession:
    """Start an agent's session on ``tree`` with the facts known at the start of the call (read by
    :func:`known_facts`) for the customer ``customer_id`` (blank for none), in the customer's ``locale``.

    ``customer_words`` is the problem as the customer put it (at most ``limits().answer`` characters). The
    outage facts for the ``region`` fact and the tree's service are added unless ``values`` gives them.
    """
    facts = _with_words(known_facts(tree, values), customer_words)
    facts = with_outage_facts(store, tree.service, facts, now=now)
    customer = (customer_id or "").strip() or None
    return store.start_session(tree.id, mode=Audience.AGENT, locale=locale, facts=facts, customer_id=customer)


def start_for_customer(
    store: Store,
    tree: Tree,
    *,
    region: str | None = None,
    customer_words: str | None = None,
    locale: str = "en",
    now: datetime | None = None,
) -> StoredSession:
    """Start a customer's self-service session on ``tree``: the ``region`` they picked (``None`` when they do
    not know it), the problem in their own words, and the outage facts for that region and the tree's service."""
    facts: dict[str, Any] = {}
    place = (region or "").strip()
    if place:
        facts["region"] = check_length("region", place, limit=limits().identifier)
    facts = with_outage_facts(store, tree.service, _with_words(facts, customer_words), now=now)
    return store.start_session(tree.id, mode=Audience.SELF_SERVICE, locale=locale, facts=facts)


def _with_words(facts: dict[str, Any], words: str | None) -> dict[str, Any]:
    """``facts`` with ``customer_words`` set from ``words`` (blank: left as it is)."""
    text = (words or "").strip()
    if text:
        facts["customer_words"] = check_length("description of the problem", text, limit=limits().answer)
    return facts


# -- continuing -----------------------------------------------------------------------------------


def resolve_session_id(store: Store, ref: str) -> str:
    """The id of the session ``ref`` names: its reference (``K7P-4QX``, any case, dashes and spaces optional,
    O and I/L read as 0 and 1), a full id, a unique prefix of at least 6 characters, or a resume link carrying
    ``?s=<id>``. :class:`~triage.errors.NotFound` says why nothing matched."""
    # a pasted link is longer than an id (host, port, ?lang=): hold it to a typed answer's size, the id inside it
    # to an identifier's
    text = check_length("session link", ref.strip(), limit=limits().answer)
    if "s=" in text:
        found = parse_qs(urlsplit(text).query).get("s")
        if found:
            text = found[0].strip()
    if not text:
        raise NotFound("give the session's reference, like K7P-4QX (or the customer's link)")
    check_length("session id", text, limit=limits().identifier)
    written = normalize(text)
    with store.tx() as db:
        if written is not None:  # a reference first: six hex digits read as one too, then as a prefix
            by_ref = db.scalar(select(SessionRow.id).where(SessionRow.reference == written))
            if by_ref is not None:
                return str(by_ref)
        if db.get(SessionRow, text) is not None:
            return text
        if len(text) < MIN_PREFIX or not re.fullmatch(r"[0-9A-Za-z_-]+", text):
            raise NotFound(
                f"no session {text!r} (give its reference, like K7P-4QX, or at least the first "
                f"{MIN_PREFIX} characters of its id)"
            )
        ids = list(db.scalars(select(SessionRow.id).where(SessionRow.id.startswith(text)).limit(3)))
    if not ids:
        raise NotFound(f"no session has the reference or an id starting with {text!r}")
    if len(ids) > 1:
        raise NotFound(f"several sessions start with {text!r}; give more of the id, or the reference")
    return ids[0]


def session_reference(store: Store, session_id: str) -> str:
    """The reference people read out for a session (``K7P-4QX``); a session stored before references had them
    gets one now. :class:`~triage.errors.NotFound` if there is no such session."""
    check_length("session id", session_id, limit=limits().identifier)
    with store.tx() as db:
        row = db.get(SessionRow, session_id)
        if row is None:
            raise NotFound(f"no session {session_id!r}")
        if row.reference is None:
            row.reference = unused_reference(db, SessionRow.reference)
        return row.reference


ACTIVE_FOR = timedelta(minutes=15)
"""A customer whose last click is this recent is taken to be still at their screen."""


@dataclass(frozen=True)
class Opened:
    """A session as an agent opens it: read-only until the agent takes it over (:func:`take_over`).

    ``escalated``: a customer's self-service session that asked for a person (its case stays open until the
    agent takes over). ``customer_active``: a self-service walk the customer has not finished.
    ``last_click``: when the customer last did something in it, ``idle`` how long ago in words (``3 min``);
    ``recent``: that was within :data:`ACTIVE_FOR`, so the customer is probably still at their screen.
    ``where``: the step the customer is at (or asked for a person at), in the agent's words.
    """

    stored: StoredSession
    escalated: bool = False
    customer_active: bool = False
    last_click: datetime | None = None
    idle: str = ""
    recent: bool = False
    where: str = ""

    @property
    def readonly(self) -> bool:
        """Whether the session is still the customer's: the agent reads it and can only take it over."""
        return self.escalated or self.customer_active

    @property
    def reference(self) -> str | None:
        """The session's reference, as people read it out."""
        return self.stored.reference


def open_for_agent(
    store: Store, session_id: str, *, locale: str = "en", now: datetime | None = None
) -> Opened:
    """Open a session in the agent console without changing it. A customer's self-service session (escalated
    or still being walked) stays theirs: the agent sees the path, the facts, the customer's words and where
    the customer is now (in ``locale``), and continues only after :func:`take_over`."""
    stored = store.load_session(session_id)
    session = stored.session
    if session.mode is not Audience.SELF_SERVICE:
        return Opened(stored)
    d = stored.decision
    at = utcnow() if now is None else now
    clicks = [e.at for e in session.events if e.type != "note"]
    last = max(clicks) if clicks else None
    where = node_text(session.node_at(session.pos), Audience.AGENT, locale) if session.pos else ""
    return Opened(
        stored,
        escalated=d is not None and d.kind is OutcomeKind.ESCALATE,
        customer_active=d is None,
        last_click=last,
        idle=waiting(last, at) if last is not None else "",
        recent=last is not None and at - last <= ACTIVE_FOR,
        where=where,
    )


def take_over(store: Store, session_id: str, agent: str, *, seen: int | None = None) -> StoredSession:
    """The agent confirmed: they take over the customer's self-service session (escalated or still in
    progress): agent mode, the customer's step, every answer intact; an open case from the customer is closed
    as handed over. With ``seen`` (the event count the agent's page showed), a customer who clicked since is a
    :class:`~triage.errors.SessionConflict`: the agent confirms again, knowing where the customer is now."""
    if seen is not None:
        store.load_session(session_id).check_seen(seen)
    taken: StoredSession = Queue(store).take_over(session_id, agent)
    return taken


def handed_over(stored: StoredSession) -> bool:
    """Whether the session was handed from self-service to an agent at some point."""
    return any(e.type == "handover" for e in stored.session.events)


def resume_link(base_url: str, session_id: str, lang: str | None = None) -> str:
    """The page address with ``?s=<session id>`` (and the page's language): opening it resumes the session.

    The language is ``lang`` when given, else the one ``base_url`` carries (``?lang=``).

    >>> resume_link("http://localhost:8501/?lang=de&x=1", "abc123")
    'http://localhost:8501/?s=abc123&lang=de'
    >>> resume_link("http://localhost:8501/help", "abc123", lang="de")
    'http://localhost:8501/help?s=abc123&lang=de'
    >>> resume_link("", "abc123")
    '?s=abc123'
    """
    parts = urlsplit(base_url)
    query = {"s": session_id}
    language = lang or (parse_qs(parts.query).get("lang") or [""])[0]
    if language:
        query["lang"] = language
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


# -- the decision ---------------------------------------------------------------------------------


def active_case(store: Store, session_id: str) -> CaseView | None:
    """The session's queued case (open or claimed, the latest), if its escalation made one."""
    live = [c for c in Queue(store).for_session(session_id) if c.status in ("open", "claimed")]
    return live[-1] if live else None


@dataclass(frozen=True)
class HandoffFiles:
    """A session's hand-off as Markdown (to copy or download) and JSON (for other systems)."""

    markdown: str
    json: str
    markdown_name: str
    json_name: str


def handoff_files(stored: StoredSession, locale: str = "en") -> HandoffFiles:
    """The hand-off of a session, in ``locale`` (staff read English by default)."""
    h = build_handoff(stored.session, locale, reference=stored.reference)
    stem = f"handoff-{stored.reference or stored.id}"
    return HandoffFiles(h.to_markdown(), h.to_json(), f"{stem}.md", f"{stem}.json")


# -- flags and inputs -----------------------------------------------------------------------------


def flag_step(store: Store, stored: StoredSession, kind: str, author: str, comment: str = "") -> FlagView:
    """Flag the session's current step as ``wrong`` or ``unclear`` for the authors; the comment is a note
    (at most ``limits().note`` characters)."""
    check_length("flag comment", comment, limit=limits().note)
    return flags.flag_step(store, stored, kind, author, comment)


def facts_in_words(stored: StoredSession, locale: str = "en") -> list[tuple[str, str]]:
    """The session's facts by name, each value in words (a choice as its label in ``locale``); the
    customer's own words are left out (a page shows them on their own)."""
    session = stored.session
    hidden = ("mode", "locale", "customer_words")
    return [
        (name, fact_label(session.library, name, value, locale))
        for name, value in sorted(session.facts.items())
        if name not in hidden
    ]


def fact_text(value: Any, locale: str = "en") -> str:
    """A fact's value in words.

    >>> fact_text(True), fact_text(False, "de"), fact_text(12.0), fact_text(None)
    ('Yes', 'Nein', '12', '-')
    """
    if isinstance(value, bool):
        return t("yesno.yes" if value else "yesno.no", locale)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value is None:
        return "-"
    return str(value)


def pattern_example(pattern: str) -> str | None:
    """A short answer that fits ``pattern`` (the whole answer must match), to show the expected format;
    ``None`` if no example can be made.

    >>> pattern_example("0x[0-9A-Fa-f]{8}")
    '0x01234567'
    >>> pattern_example("[A-Z]{2}[0-9]{4}")
    'AB0123'
    """
    try:
        parsed = _parser.parse(pattern)
        text = _example(list(parsed))
    except (re.error, _NoExample, RecursionError):
        return None
    return text if text and re.fullmatch(pattern, text) else None


class _NoExample(Exception):
    pass


_DIGITS_FIRST = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LETTERS_FIRST = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_REPEATS = (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None))


def _example(items: list[tuple[Any, Any]]) -> str:
    return "".join(_piece(op, av) for op, av in items if op is not _c.AT)


def _piece(op: Any, av: Any) -> str:
    """The text one parsed item of a pattern stands for."""
    if op is _c.LITERAL:
        return chr(av)
    if op is _c.ANY:
        return "a"
    if op is _c.IN:
        return _pick(av, 0)
    if op in _REPEATS:
        return _repeat(*av)
    if op is _c.SUBPATTERN:
        return _example(list(av[-1]))
    if op is _c.BRANCH:
        return _example(list(av[1][0]))
    raise _NoExample(str(op))


def _repeat(low: int, high: int, sub: Any) -> str:
    body = list(sub)
    if low >= 1 and high == _c.MAXREPEAT:  # "one or more": a few read more naturally
        low = max(low, 3)
    if len(body) == 1 and body[0][0] is _c.IN:
        return "".join(_pick(body[0][1], i) for i in range(low))
    return _example(body) * low


def _pick(items: list[tuple[Any, Any]], index: int) -> str:
    """The ``index``-th character (cycling) a character class admits: digits first for a narrow class (hex
    digits), letters first for a wide one (names, addresses)."""
    negate = any(op is _c.NEGATE for op, _ in items)
    allowed = [ch for ch in _DIGITS_FIRST if _admits(items, ch) != negate]
    if len(allowed) > 30:
        allowed = [ch for ch in _LETTERS_FIRST if _admits(items, ch) != negate]
    if not negate and not allowed:
        allowed = [chr(av) for op, av in items if op is _c.LITERAL]
        allowed += [chr(av[0]) for op, av in items if op is _c.RANGE]
    if not allowed:
        raise _NoExample("empty class")
    return allowed[index % len(allowed)]


def _admits(items: list[tuple[Any, Any]], ch: str) -> bool:
    code = ord(ch)
    for op, av in items:
        if op is _c.LITERAL and av == code:
            return True
        if op is _c.RANGE and av[0] <= code <= av[1]:
            return True
        if op is _c.CATEGORY:
            name = str(av)
            if "DIGIT" in name and ch.isdigit() and "NOT" not in name:
                return True
            if "WORD" in name and (ch.isalnum() or ch == "_") and "NOT" not in name:
                return True
    return False
