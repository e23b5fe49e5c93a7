"""Typed text is literal Markdown, authored Markdown loads no remote image: exact strings, and Hypothesis
rendering with a real CommonMark parser (markdown-it-py) plus GitHub's autolink-literal pass."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from triage.trees.markdown import code, escape, image_hosts, remote_images, safe_markdown

ATTACK = "![t](https://attacker.example/t.png) [Verify login](https://evil.example)"
# Streamlit's renderer (remark + GFM) at its most permissive: raw HTML on, tables, strikethrough
MD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
# the patterns mdast-util-gfm-autolink-literal looks for in text *after* escapes are resolved
GFM_AUTOLINK = re.compile(r"(?i)(?:https?://|www\.)|[-.\w+]+@[-\w]+(?:\.[-\w]+)+")
MARKDOWN_CHARS = list("\\`*_[]()<>!#+-=.|~$&:@/ \n\t") + ["https://", "www.", "![", "](", "a@b.co", "1. "]
typed = st.lists(st.sampled_from(MARKDOWN_CHARS) | st.text(max_size=4), max_size=40).map("".join)


def _walk(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    for tok in tokens:
        out.append(tok)
        out += _walk(tok.children or [])
    return out


def shown(markdown: str) -> str:
    """The characters a reader sees, whitespace collapsed."""
    parts = []
    for t in _walk(MD.parse(markdown)):
        if t.type in ("text", "code_inline", "code_block", "fence", "html_inline", "html_block"):
            parts.append(t.content)
        elif t.type in ("softbreak", "hardbreak") or t.nesting == -1 and t.block:
            parts.append("\n")
    return " ".join("".join(parts).split())


def test_the_reported_attack_shows_literally() -> None:
    """The issue's answer reads as typed: no image, no link, and the addresses in code spans."""
    out = escape(ATTACK)
    assert out == r"`![t](https://attacker.example/t.png)` \[Verify `login](https://evil.example)`"
    html = MD.render(out)
    assert "<img" not in html
    assert "<a " not in html
    assert shown(out) == ATTACK


@pytest.mark.parametrize(
    ("typed_text", "escaped"),
    [
        ("Router is off.", "Router is off."),
        ("customer_id C-1001", "customer_id C-1001"),
        ("_x_ *y* **z**", r"\_x\_ \*y\* \*\*z\*\*"),
        ("# not a heading", r"\# not a heading"),
        ("- not a list", r"\- not a list"),
        ("+ not a list", r"\+ not a list"),
        ("2. not a list", r"2\. not a list"),
        ("===", r"\==="),
        ("> not a quote", r"\> not a quote"),
        ("<img src=x onerror=alert(1)>", r"\<img src=x onerror=alert(1)\>"),
        ("&lt; stays &amp;", r"\&lt; stays \&amp;"),
        ("$x^2$ ~gone~ a|b", r"\$x^2\$ \~gone\~ a\|b"),
        ("`code`", r"\`code\`"),
        ("mail jane@example.com", "mail `jane@example.com`"),
        ("see www.evil.example now", "see `www.evil.example` now"),
        ("line one\r\n\r\n  - line two  ", "line one  \n\\- line two"),
        ("", ""),
    ],
)
def test_escape_exact(typed_text: str, escaped: str) -> None:
    """Each Markdown construct a person can type is escaped, and nothing else is touched."""
    assert escape(typed_text) == escaped


@given(typed)
def test_escaped_text_never_becomes_a_link_an_image_or_html(text: str) -> None:
    """Whatever was typed, the rendered escape has no link, image or HTML tag, and no text GFM would link."""
    out = escape(text)
    html = MD.render(out)
    assert "<a " not in html
    assert "<img" not in html
    tokens = _walk(MD.parse(out))
    assert not [t for t in tokens if t.type in ("html_inline", "html_block", "link_open", "image")]
    assert not [t.content for t in tokens if t.type == "text" and GFM_AUTOLINK.search(t.content)]


@given(typed)
def test_escaped_text_reads_as_typed(text: str) -> None:
    """The reader sees exactly the typed characters (blank lines and runs of spaces aside)."""
    assert shown(escape(text)) == " ".join(text.replace("\x00", "\ufffd").split())


@given(st.text(max_size=30))
def test_code_span_holds_any_text(text: str) -> None:
    """``code`` keeps any text in one code span that shows it (line breaks as spaces)."""
    out = code(text)
    inline = [t for t in _walk(MD.parse(out)) if t.type == "code_inline"]
    flat = " ".join(re.split(r"\r\n|\r|\n", text)).replace("\x00", "\ufffd")  # CommonMark replaces NUL
    if flat.strip(" "):
        assert len(inline) == 1
        assert " ".join(inline[0].content.split()) == " ".join(flat.split())
    else:
        assert inline == [] or inline[0].content.strip() == ""


def test_code_exact() -> None:
    """A backtick inside picks a longer fence."""
    assert code("golden-1") == "`golden-1`"
    assert code("a`b") == "``a`b``"
    assert code("`x`") == "`` `x` ``"


# -- authored Markdown ---------------------------------------------------------------------------------------


def test_remote_images_are_turned_off_and_local_ones_kept() -> None:
    """A remote image becomes its literal source; a shipped image, links and emphasis stay."""
    text = "**Look** at ![led](img/led.png) and ![t](https://evil.example/t.png), see [docs](https://docs.example)"
    assert safe_markdown(text, frozenset()) == (
        r"**Look** at ![led](img/led.png) and !\[t](https://evil.example/t.png), see [docs](https://docs.example)"
    )
    assert remote_images(safe_markdown(text, frozenset())) == []


def test_allowed_hosts_keep_their_images() -> None:
    """An image from a listed host shows; the same image from another host does not."""
    text = "![a](https://cdn.example.com/a.png) ![b](https://cdn.example.com.evil.example/b.png)"
    out = safe_markdown(text, frozenset({"cdn.example.com"}))
    assert out == r"![a](https://cdn.example.com/a.png) !\[b](https://cdn.example.com.evil.example/b.png)"


@pytest.mark.parametrize(
    "text",
    [
        "![ref][pix]\n\n[pix]: https://evil.example/p.png",  # reference image
        "![a](<https://evil.example/a b.png>)",  # angle-bracket destination
        "![a [nested] alt](https://evil.example/x.png)",
        "![a](https&#58;//evil.example/x.png)",  # an entity the renderer decodes
        "![a](//evil.example/x.png)",  # protocol-relative
        "![a](https://cdn.example.com@evil.example/x.png)",  # user info before the real host
        "[![a](https://evil.example/x.png)](https://ok.example)",  # image inside a link
        "| h |\n|---|\n| ![a](https://evil.example/x.png) |",  # inside a table
        "![a](data:image/png;base64,AAAA)",
    ],
)
def test_tricky_remote_images_are_found_and_turned_off(text: str) -> None:
    """The parser, not a regex, finds images, so the spellings a regex misses are caught too."""
    hosts = frozenset({"cdn.example.com"})
    assert remote_images(text, hosts)
    assert remote_images(safe_markdown(text, hosts), hosts) == []


def test_code_spans_are_left_alone() -> None:
    """Image syntax shown as code is not an image, and is not changed."""
    text = "Type `![x](https://evil.example/x.png)` to see it"
    assert safe_markdown(text, frozenset()) == text


def test_many_images_all_go() -> None:
    """Past the candidate budget every image goes at once, still without any remote one left."""
    text = " ".join(f"![i{n}](https://evil.example/{n}.png)" for n in range(200))
    out = safe_markdown(text, frozenset())
    assert remote_images(out) == []
    assert "<img" not in MD.render(out)


@given(typed)
def test_safe_markdown_never_leaves_a_remote_image(text: str) -> None:
    """Whatever an author pastes, no image from an unlisted host is left."""
    assert remote_images(safe_markdown(text, frozenset())) == []


def test_image_hosts_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """``TRIAGE_IMAGE_HOSTS`` lists hosts, comma-separated, case and spaces ignored; none by default."""
    monkeypatch.delenv("TRIAGE_IMAGE_HOSTS", raising=False)
    assert image_hosts() == frozenset()
    assert safe_markdown("![a](https://cdn.example.com/a.png)") == r"!\[a](https://cdn.example.com/a.png)"
    monkeypatch.setenv("TRIAGE_IMAGE_HOSTS", " CDN.example.com, img.example.org ,")
    assert image_hosts() == frozenset({"cdn.example.com", "img.example.org"})
    assert safe_markdown("![a](https://cdn.example.com/a.png)") == "![a](https://cdn.example.com/a.png)"
