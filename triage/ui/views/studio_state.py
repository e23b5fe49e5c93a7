"""The author studio's state in ``st.session_state``: each author's drafts (so an unsaved edit survives a
rerun and a page switch), the selected node, a pending conflict, a preview walk, and a one-time notice.

Shared by the studio's page modules (:mod:`.studio`, :mod:`.studio_preview`, :mod:`.studio_review`); the
callbacks there change this state and the next run draws it.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from triage.desk import studio

__all__ = [
    "CONFLICT",
    "DRAFTS",
    "NODE",
    "OPEN",
    "PREVIEW",
    "draft_of",
    "notify",
    "set_draft",
    "show_notice",
    "state",
    "yaml_key",
]

DRAFTS = "studio.drafts"  # rel path -> studio.Draft
OPEN = "studio.open"  # rel path of the tree being edited
NODE = "studio.node"  # rel path -> selected node id
CONFLICT = "studio.conflict"  # rel path -> DraftConflict
PREVIEW = "studio.preview"  # rel path -> (draft digest, Session)
_NOTICE = "studio.notice"  # (level, message) shown once, on the next run


def state(key: str) -> dict[str, Any]:
    """One of the studio's per-file dictionaries (``DRAFTS``, ``NODE``, ``CONFLICT``, ``PREVIEW``)."""
    value = st.session_state.setdefault(key, {})
    assert isinstance(value, dict)
    return value


def notify(level: str, message: str) -> None:
    """A message for the next run: ``success``, ``info``, ``warning`` or ``error``."""
    st.session_state[_NOTICE] = (level, message)


def show_notice() -> None:
    """Draw the pending message, once."""
    notice = st.session_state.pop(_NOTICE, None)
    if notice:
        level, message = notice
        {"success": st.success, "warning": st.warning, "error": st.error}.get(level, st.info)(message)


def draft_of(rel: str) -> studio.Draft:
    """The author's draft of the file ``rel``."""
    value = state(DRAFTS)[rel]
    assert isinstance(value, studio.Draft)
    return value


def yaml_key(rel: str) -> str:
    """The key of the YAML editor of ``rel``."""
    return f"studio.yaml.{rel}"


def set_draft(new: studio.Draft) -> None:
    """Keep the draft, and show its text in the editor (called from callbacks, before the editor is drawn)."""
    state(DRAFTS)[new.rel] = new
    st.session_state[yaml_key(new.rel)] = new.text
