r"""Markdown on staff and customer screens: typed text shown literally, authored text without remote images.

Two kinds of text meet in every page and in the hand-off:

- what a customer or an agent **typed** (answers, notes, names, ids, closure codes, contact details) is
  untrusted: :func:`escape` makes it literal Markdown, so ``![t](https://attacker.example/t.png)`` shows as
  those characters, never as an image, a link, a heading or raw HTML;
- what an author **wrote** in a tree (step texts, hints, messages) is Markdown on purpose:
  :func:`safe_markdown` keeps it, but turns off images whose host is not listed in ``TRIAGE_IMAGE_HOSTS``
  (comma-separated host names; none by default), so pasting a tree cannot make every reader's browser fetch a
  tracking pixel. Images without a host (shipped with the trees) still show. Raw HTML is never rendered because
  no page passes ``unsafe_allow_html``.

Streamlit renders Markdown with remark and GitHub's autolink literals, which turn ``https://...``, ``www.``
and e-mail addresses into links *after* backslash escapes are resolved; so :func:`escape` puts such words in
inline code, which no later step turns into a link.

>>> print(escape("![t](https://attacker.example/t.png) [Verify login](https://evil.example)"))
`![t](https://attacker.example/t.png)` \[Verify `login](https://evil.example)`
"""

from __future__ import annotations

import functools
import os
import re
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

__all__ = ["IMAGE_HOSTS_ENV", "code", "escape", "image_hosts", "remote_images", "safe_markdown"]

IMAGE_HOSTS_ENV = "TRIAGE_IMAGE_HOSTS"

# characters that start inline syntax wherever they are (emphasis, code, links, raw HTML, entities, LaTeX in
# Streamlit, GFM strikethrough and tables)
_INLINE = re.compile(r"[\\`*\[\]<>&$~|]")
# an underscore between two letters or digits can neither open nor close emphasis (CommonMark 6.2), so
# ``customer_id`` stays readable
_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
# block syntax at the start of a line: headings, list items, setext underlines, ordered list items
_LINE_START = re.compile(r"^[#+\-=]")
_ORDERED = re.compile(r"^(\d+)([.)])")
# words a GFM autolink-literal pass would turn into links (its own patterns, and the extended protocols)
_AUTOLINK = re.compile(r"(?i)(?:https?://|mailto:|xmpp:|www\.)|[-.\w+]+@[-\w]+(?:\.[-\w]+)+")
_WORD = re.compile(r"[^\s`]+")
_NEWLINES = re.compile(r"\r\n|\r|\n")


def escape(text: str) -> str:
    """``text`` as Markdown that shows exactly these characters: no emphasis, link, image, heading or HTML.

    Line breaks become Markdown hard breaks (blank lines are dropped, so the text stays inside a list item);
    words a GFM renderer would auto-link (URLs, ``www.``, e-mail addresses) become inline code.
    """
    # leading and trailing blanks of a line mean nothing in Markdown (or start an indented code block)
    lines = [_escape_line(line.strip()) for line in _NEWLINES.split(text) if line.strip()]
    return "  \n".join(lines)


def _escape_line(line: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _WORD.finditer(line):
        if _AUTOLINK.search(m.group()):
            out.append(_escape_inline(line[pos : m.start()]))
            out.append(code(m.group()))
            pos = m.end()
    out.append(_escape_inline(line[pos:]))
    escaped = _LINE_START.sub(r"\\\g<0>", "".join(out), count=1)
    return _ORDERED.sub(r"\1\\\2", escaped, count=1)


def _escape_inline(text: str) -> str:
    return _UNDERSCORE.sub(r"\\_", _INLINE.sub(r"\\\g<0>", text))


def code(text: str) -> str:
    """``text`` as one inline code span (an id, a queue, a URL): shown literally, in a fence it cannot close.

    >>> code("a`b")
    '``a`b``'
    """
    text = " ".join(_NEWLINES.split(text))
    if not text:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    # a space on both sides keeps a leading or trailing backtick apart from the fence (and is stripped again)
    pad = (
        " "
        if text.startswith("`") or text.endswith("`") or (text.startswith(" ") and text.endswith(" "))
        else ""
    )
    return f"{fence}{pad}{text}{pad}{fence}"


# -- authored Markdown -----------------------------------------------------------------------------------------

_PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
# above this many ``![`` in one text, do not look for the remote ones one by one: turn every image off
_MAX_CANDIDATES = 64


def image_hosts() -> frozenset[str]:
    """The hosts tree texts may load images from: ``TRIAGE_IMAGE_HOSTS`` (comma-separated), none by default."""
    raw = os.environ.get(IMAGE_HOSTS_ENV, "")
    return frozenset(h.strip().lower().rstrip(".") for h in raw.split(",") if h.strip())


def safe_markdown(text: str, hosts: frozenset[str] | None = None) -> str:
    """Authored Markdown with every image from a host outside ``hosts`` (default :func:`image_hosts`) shown as
    its literal source instead of loaded; everything else (emphasis, links, lists, local images) unchanged.
    """
    return _sanitized(text, image_hosts() if hosts is None else hosts)


def remote_images(text: str, hosts: frozenset[str] = frozenset()) -> list[str]:
    """The image addresses in Markdown ``text`` (as a renderer resolves them) whose host is not in ``hosts``."""
    return [src for src in _image_sources(_PARSER.parse(text)) if not _allowed(src, hosts)]


@functools.lru_cache(maxsize=1024)
def _sanitized(text: str, hosts: frozenset[str]) -> str:
    blocked = len(remote_images(text, hosts))
    if blocked == 0:
        return text
    starts = [m.start() for m in re.finditer(r"!\[", text)]
    if len(starts) > _MAX_CANDIDATES:
        return _no_images(text)
    # escape one ``![`` at a time, from the end (earlier offsets stay valid), and keep the escape only where
    # the parser then sees one blocked image fewer: the parser, not a regex, decides what is an image
    for i in reversed(starts):
        candidate = text[: i + 1] + "\\" + text[i + 1 :]
        left = len(remote_images(candidate, hosts))
        if left < blocked:
            text, blocked = candidate, left
    return text if blocked == 0 else _no_images(text)


def _no_images(text: str) -> str:
    # a character reference is never syntax, so no "!" left can start an image
    return text.replace("!", "&#33;")


def _image_sources(tokens: list[Token]) -> list[str]:
    found: list[str] = []
    for tok in tokens:
        if tok.type == "image":
            found.append(str(tok.attrGet("src") or ""))
        if tok.children:
            found += _image_sources(tok.children)
    return found


def _allowed(src: str, hosts: frozenset[str]) -> bool:
    parts = urlsplit(src)
    if not parts.scheme and not parts.netloc:
        return True  # a path: an image shipped with the trees
    host = (parts.hostname or "").rstrip(".")
    return parts.scheme in ("http", "https") and host in hosts
