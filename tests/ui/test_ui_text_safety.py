"""What a customer or an agent typed shows as plain text on the queue page and in the agent console (AppTest):
every Markdown string the pages draw is rendered with a real CommonMark parser and must hold no image, no link
and nothing GitHub's autolink pass would turn into one, while the typed characters are all there to read."""

from __future__ import annotations

import ast
import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from libraries import shipped
from markdown_it import MarkdownIt
from markdown_it.token import Token
from streamlit.testing.v1 import AppTest

from triage.records.accounts import Accounts
from triage.records.cases import Queue
from triage.records.store import Store
from triage.ui.common import boot

ROOT = Path(__file__).resolve().parents[2]
WIFI_ONLY = [
    *["all", "active", "no", "yes", "ok", "online", "not_fixed", "done", "ready", "ready", "not_fixed"],
    *["wired_ok", "ok", "not_fixed", "not_fixed"],
]  # tier 2
ATTACK = "![t](https://attacker.example/t.png) [Verify login](https://evil.example)"
CUSTOMER = "![c](https://attacker.example/c.png)"  # short enough for a customer id
CODE = "=HYPERLINK([x](https://evil.example))"
MD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
GFM_AUTOLINK = re.compile(r"(?i)(?:https?://|www\.)|[-.\w+]+@[-\w]+(?:\.[-\w]+)+")
MARKDOWN_KINDS = (
    "markdown",
    "caption",
    "title",
    "subheader",
    "header",
    "info",
    "warning",
    "error",
    "success",
)


@pytest.fixture
def app_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The app's own SQLite database with the shipped trees and two staff accounts."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("TRIAGE_DATABASE_URL", url)
    monkeypatch.setenv("TRIAGE_ADMIN_PASSWORD", "admin-password-1")
    monkeypatch.delenv("TRIAGE_IMAGE_HOSTS", raising=False)
    st = Store(url)
    st.sync(shipped())
    boot.clear()
    yield st
    boot.clear()
    st.dispose()


def _walk(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    for tok in tokens:
        out.append(tok)
        out += _walk(tok.children or [])
    return out


def live_markup(markdown: str) -> list[str]:
    """Everything in ``markdown`` a browser would load or follow: images, links, raw HTML, auto-linked text."""
    found = [t.type for t in _walk(MD.parse(markdown)) if t.type in ("image", "link_open", "html_inline")]
    found += [
        t.content for t in _walk(MD.parse(markdown)) if t.type == "text" and GFM_AUTOLINK.search(t.content)
    ]
    return found


def shown(markdown: str) -> str:
    """The characters a reader sees, whitespace collapsed."""
    parts = []
    for t in _walk(MD.parse(markdown)):
        if t.type in ("text", "code_inline", "code_block", "fence"):
            parts.append(t.content)
        elif t.type in ("softbreak", "hardbreak") or t.nesting == -1 and t.block:
            parts.append("\n")
    return " ".join("".join(parts).split())


def drawn(at: AppTest) -> list[str]:
    """Every string the page handed to Streamlit as Markdown (texts, messages and button labels)."""
    out = [str(el.value) for kind in MARKDOWN_KINDS for el in at.get(kind)]
    return out + [b.label for b in at.button]


def signed_in(store: Store, username: str, role: str, **query: str) -> AppTest:
    identity = Accounts(store).create(username, "password-123", [role])
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["identity"] = identity
    at.query_params.update(query)
    return at.run()


def open_page(at: AppTest, url_path: str) -> AppTest:
    """Open a registered page by its URL path (the router's pages are callables ``switch_page`` cannot name)."""
    pages = {info.get("url_pathname"): h for h, info in at._registered_pages.items()}
    if url_path not in pages:
        raise ValueError(f"page {url_path!r} is not registered; known: {sorted(map(str, pages))}")
    at._page_hash = pages[url_path]
    return at.run()


def hostile_session(store: Store) -> str:
    """A self-service walk to tier 2 whose customer id and note are Markdown attacks."""
    s = store.start_session("no-internet", customer_id=CUSTOMER)
    for a in WIFI_ONLY[:-1]:
        s.answer(a)
    s.add_note(ATTACK + "\n# not a heading\n- not a list")
    s.answer(WIFI_ONLY[-1])
    return s.id


def assert_plain(texts: list[str]) -> None:
    live = {t: live_markup(t) for t in texts if live_markup(t)}
    assert live == {}


def test_queue_page_shows_customer_markdown_as_plain_text(app_store: Store) -> None:
    """Tier 2 reads the customer's image and link as characters, in the hand-off, the notes and the closure."""
    sid = hostile_session(app_store)
    queue = Queue(app_store)
    case = next(c for c in queue.list_cases() if c.session_id == sid)
    queue.add_note(case.id, "system", ATTACK)
    queue.close(case.id, "system", CODE, fix=ATTACK)
    at = open_page(signed_in(app_store, "tom", "tier2"), "queue")
    at.query_params["case"] = str(case.id)
    at.run()
    texts = drawn(at)
    assert not at.exception
    assert_plain(texts)
    seen = " ".join(shown(t) for t in texts)
    assert f"customer_id: {CUSTOMER}" in seen  # the hand-off's facts
    assert f"{ATTACK} # not a heading - not a list" in seen  # the session note, in the hand-off
    assert f"Closed with code {CODE}. What fixed it: {ATTACK}" in seen
    assert seen.count(ATTACK) >= 3  # session note, case note, what fixed it


def test_agent_console_shows_customer_markdown_as_plain_text(app_store: Store) -> None:
    """The agent sees the customer id and the note as typed; the hand-off to copy is escaped Markdown."""
    sid = hostile_session(app_store)
    at = open_page(signed_in(app_store, "amy", "agent"), "agent")
    at.query_params["s"] = sid
    at.run()
    texts = drawn(at)
    assert not at.exception
    assert_plain(texts)
    seen = " ".join(shown(t) for t in texts)
    assert f"Customer: {CUSTOMER}" in seen or CUSTOMER in seen
    assert f"{ATTACK} # not a heading - not a list" in seen
    # the Markdown the Copy button puts on the clipboard sits html-escaped in the button's hidden text box
    copies = [h.proto.body for h in at.get("html") if "Copy hand-off" in h.proto.body]
    assert len(copies) == 1
    boxed = re.search(r"<textarea[^>]*>(.*?)</textarea>", copies[0], re.DOTALL)
    assert boxed is not None
    assert "<" not in boxed.group(1)  # nothing in the text becomes markup
    handoff = [html.unescape(boxed.group(1))]
    assert handoff[0].startswith("# Hand-off")
    assert live_markup(handoff[0]) == []
    assert ATTACK in shown(handoff[0])
    # and it is drawn as a page (headings under the console's own), not as raw Markdown
    drawn_handoff = [str(m.value) for m in at.markdown if str(m.value).startswith("#### Hand-off")]
    assert len(drawn_handoff) == 1
    assert "##### What this walk found" in drawn_handoff[0]
    assert live_markup(drawn_handoff[0]) == []


# st.html of fixed markup whose every inserted value is html-escaped: the staff sign-in and sign-out forms (they
# post to the server, which sets the cookie), the script folding the phone menu (#11, staff sessions) and the
# one "Copy hand-off" button (#11, polish)
_FIXED_HTML = {"sign_in.py", "app.py", "copy_button.py"}


def test_no_page_renders_raw_html() -> None:
    """No page passes ``unsafe_allow_html`` or calls ``st.html``, so raw HTML in any text is never rendered."""
    offenders = []
    for path in sorted((ROOT / "triage" / "ui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg == "unsafe_allow_html":
                offenders.append(f"{path.name}:{node.value.lineno} unsafe_allow_html")
            if isinstance(node, ast.Attribute) and node.attr == "html" and path.name not in _FIXED_HTML:
                offenders.append(f"{path.name}:{node.lineno} .html")
    assert offenders == []
