"""New nodes and pictures from the studio: a node of any kind (with the fields its kind needs, empty for the
author to fill in the node form) and a picture or link on a node, written into the draft's text.

Like the node form, these go through the round-trip document (:mod:`.roundtrip`), so nothing else in the file
changes: a new node is appended to ``nodes``, a new picture to the node's ``media``. The empty links and texts
they leave are what the live checks then point at ("goes to '', which does not exist"), one by one.
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from triage.desk.studio.forms import find_node, insert_key, tree_locales
from triage.desk.studio.roundtrip import load, rewrite
from triage.errors import DraftError
from triage.trees.model import ID_PATTERN

__all__ = ["NEW_KINDS", "add_media", "new_node"]

NEW_KINDS = (
    "question",
    "action",
    "instruction",
    "wait",
    "check",
    "collect",
    "logic",
    "repeat",
    "outcome:resolved",
    "outcome:escalate",
    "outcome:visit",
    "outcome:ship_part",
    "outcome:repair",
    "outcome:diagnosis",
    "outcome:handover",
)
"""The kinds a new node can have (an outcome as ``outcome:<its kind>``), in the order the studio lists them."""

# what each kind needs besides id and kind: "T" is an empty text (one per locale), "" an empty link or name
_TEXT = "T"
_SKELETONS: dict[str, dict[str, Any]] = {
    "question": {"text": _TEXT, "options": [{"label": _TEXT, "next": ""}]},
    "action": {"text": _TEXT, "on_fixed": "", "on_not_fixed": ""},
    "instruction": {"text": _TEXT, "next": ""},
    "wait": {"text": _TEXT, "seconds": 30, "check": _TEXT, "tries": 1, "next": "", "fallback": ""},
    "check": {
        "text": _TEXT,
        "system": "",
        "timeout": 10,
        "results": [{"label": _TEXT, "value": "ok", "next": ""}],
        "on_unavailable": "",
    },
    "collect": {"text": _TEXT, "fact": "", "type": "text", "next": ""},
    "logic": {"rules": [{"when": "", "next": ""}], "default": ""},
    "repeat": {"max": 3, "body": "", "next": ""},
    "outcome:resolved": {"text": _TEXT},
    "outcome:escalate": {"text": _TEXT, "queue": ""},
    "outcome:visit": {"text": _TEXT, "skill": ""},
    "outcome:ship_part": {"text": _TEXT, "parts": [{"part": "", "quantity": 1}]},
    "outcome:repair": {"text": _TEXT, "depot": "", "packing": _TEXT},
    "outcome:diagnosis": {"text": _TEXT, "finding": _TEXT, "customer_next_step": _TEXT},
    "outcome:handover": {"text": _TEXT, "tree": ""},
}


def _text(locales: list[str]) -> Any:
    if len(locales) == 1:
        return ""
    words = CommentedMap((loc, "") for loc in locales)
    words.fa.set_flow_style()
    return words


def _build(value: Any, locales: list[str]) -> Any:
    """A skeleton value as round-trip data: lists of mappings in flow style, as authors write options."""
    if value == _TEXT:
        return _text(locales)
    if isinstance(value, list):
        return CommentedSeq(_build(v, locales) for v in value)
    if isinstance(value, dict):
        mapping = CommentedMap((k, _build(v, locales)) for k, v in value.items())
        mapping.fa.set_flow_style()
        return mapping
    return value


def new_node(text: str, kind: str, node_id: str) -> str:
    """The draft with a new node ``node_id`` of ``kind`` (one of :data:`NEW_KINDS`) at the end of ``nodes``.

    :class:`DraftError` for an unknown kind, an id that is not a valid node id or is taken, or a draft whose
    ``nodes`` is not a list.
    """
    if kind not in _SKELETONS:
        raise DraftError(f"there is no node kind {kind!r}; choose one of {', '.join(NEW_KINDS)}")
    if not re.match(ID_PATTERN, node_id):
        raise DraftError(
            f"node id {node_id!r} must be lower-case letters, digits, '_' or '-', starting with a letter or digit"
        )
    doc = load(text)
    nodes = doc.get("nodes") if isinstance(doc, CommentedMap) else None
    if not isinstance(nodes, CommentedSeq):
        raise DraftError("the draft has no list of `nodes` to add to; fix it in the YAML editor first")
    if any(isinstance(n, CommentedMap) and n.get("id") == node_id for n in nodes):
        raise DraftError(f"the draft has a node {node_id!r} already; give the new one another id")
    locales = tree_locales(doc)
    base, _, outcome = kind.partition(":")
    node = CommentedMap([("id", node_id), ("kind", base)])
    if outcome:
        node["outcome"] = outcome
    for key, value in _SKELETONS[kind].items():
        built = _build(value, locales)
        if isinstance(built, CommentedSeq):
            built.fa.set_block_style()
        node[key] = built
    nodes.append(node)
    return rewrite(text, doc)


def add_media(text: str, node_id: str, *, image: str | None = None, link: str | None = None) -> str:
    """The draft with a picture (``image``: a file under ``media/`` or an https address) or a link added to
    the node's ``media``, with empty alt text or words per locale for the author to fill in."""
    if (image is None) == (link is None) or not (image or link or "").strip():
        raise DraftError("give a picture's file or address, or a link's address")
    doc = load(text)
    node = find_node(doc, node_id)
    locales = tree_locales(doc)
    item = CommentedMap()
    if image is not None:
        item["image"] = image.strip()
        item["alt"] = _text(locales)
    else:
        item["link"] = (link or "").strip()
        item["label"] = _text(locales)
    media = node.get("media")
    if media is None:
        media = CommentedSeq()
        insert_key(node, "media", media)
    elif not isinstance(media, CommentedSeq):
        raise DraftError(f"node {node_id!r}: `media` is not a list; fix it in the YAML editor first")
    media.append(item)
    return rewrite(text, doc)
