"""One visible "Copy" button that puts a text (a hand-off's Markdown) on the clipboard.

Streamlit's own copy icon shows only on hover over a code block, which nobody finds on a call. This draws a
plain button beside formatted text; a click writes the text with ``navigator.clipboard``. Where the browser
refuses (a page served over plain HTTP from another machine, a denied permission), the text appears in a box,
selected, with a line saying to press Ctrl+C: it can always be copied.
"""

from __future__ import annotations

import html
import json
import re

import streamlit as st

__all__ = ["copy_button"]

# the button looks like Streamlit's secondary button; the box for the fallback stays hidden until needed
_STYLE = """<style>
.triage-copy {display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem;}
.triage-copy button {font: inherit; font-size: 0.95rem; padding: 0.3rem 0.8rem; border-radius: 0.5rem;
  border: 1px solid rgba(49, 51, 63, 0.3); background: var(--st-background-color, #fff); color: inherit;
  cursor: pointer; min-height: 2.5rem;}
.triage-copy button:hover {border-color: #ff4b4b; color: #ff4b4b;}
.triage-copy [role=status] {font-size: 0.875rem; opacity: 0.8;}
.triage-copy textarea {width: 100%; min-height: 8rem; font-family: monospace; font-size: 0.8rem;}
</style>"""

_SCRIPT = """<script>
(() => {
  const box = document.getElementById(%(id)s);
  if (!box || box.dataset.ready) return;
  box.dataset.ready = "1";
  const button = box.querySelector("button");
  const status = box.querySelector("[role=status]");
  const area = box.querySelector("textarea");
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(area.value);
      status.textContent = %(done)s;
    } catch (err) {
      area.hidden = false;
      area.focus();
      area.select();
      status.textContent = %(fallback)s;
    }
  });
})();
</script>"""


def copy_button(text: str, *, key: str, label: str, done: str, fallback: str) -> None:
    """A button labelled ``label`` that copies ``text``; ``done`` and ``fallback`` say what happened.

    ``key`` makes the element's id (one per page). Every string is escaped: the text may hold what a customer
    typed.
    """
    element_id = "copy-" + re.sub(r"[^A-Za-z0-9_-]", "-", key)
    body = (
        f'<div class="triage-copy" id="{element_id}">'
        f'<button type="button">{html.escape(label)}</button>'
        '<span role="status" aria-live="polite"></span>'
        f'<textarea readonly hidden aria-label="{html.escape(label)}">{html.escape(text)}</textarea>'
        "</div>"
    )
    # json.dumps quotes the strings for the script; "</" would end the script element early
    script = _SCRIPT % {
        k: json.dumps(v).replace("</", "<\\/")
        for k, v in {"id": element_id, "done": done, "fallback": fallback}.items()
    }
    st.html(_STYLE + body + script, unsafe_allow_javascript=True)
