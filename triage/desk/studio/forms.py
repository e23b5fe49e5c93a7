"""The node form: the fields an author edits on one node, and those edits written back into the draft.

Values are read from and written to the draft's round-trip document (:mod:`.roundtrip`), so an edit changes
exactly the lines of the values it changes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import ScalarString
from ruamel.yaml.tokens import CommentToken

from triage.desk.studio.roundtrip import load, rewrite
from triage.errors import DraftError

__all__ = ["FormField", "NodeForm", "edit_node", "node_form", "node_ids"]

_TEXT_FIELDS = ("text", "customer_text", "hint", "check", "reason", "next_action")
_LINK_FIELDS = ("next", "default", "on_fixed", "on_not_fixed", "on_could_not")
_OPTIONAL = frozenset({"customer_text", "hint", "check", "reason", "next_action", "on_could_not"})
# which text fields the form offers on each kind when the node does not have them yet
_KIND_TEXTS: dict[str, tuple[str, ...]] = {
    "question": ("text", "customer_text", "hint"),
    "action": ("text", "customer_text", "hint", "check"),
    "collect": ("text", "customer_text", "hint"),
    "outcome": ("text", "reason", "next_action"),
}


def _find_node(doc: Any, node_id: str) -> CommentedMap:
    nodes = doc.get("nodes") if isinstance(doc, CommentedMap) else None
    if isinstance(nodes, CommentedSeq):
        for node in nodes:
            if isinstance(node, CommentedMap) and node.get("id") == node_id:
                return node
    raise DraftError(f"the draft has no node {node_id!r}")


def node_ids(text: str) -> list[str]:
    """The node ids of a draft, in file order (:class:`DraftError` if it is not YAML)."""
    doc = load(text)
    nodes = doc.get("nodes") if isinstance(doc, CommentedMap) else None
    if not isinstance(nodes, CommentedSeq):
        return []
    return [str(n["id"]) for n in nodes if isinstance(n, CommentedMap) and isinstance(n.get("id"), str)]


@dataclass(frozen=True)
class FormField:
    """One editable value of a node: where it is inside the node, a label, its current text, and its kind."""

    loc: tuple[str | int, ...]
    label: str
    value: str
    kind: Literal["text", "link"]
    locale: str | None = None


@dataclass(frozen=True)
class NodeForm:
    """The form for one node: its kind and the fields an author may edit, in the order they are shown."""

    node_id: str
    kind: str
    fields: list[FormField] = field(default_factory=list)

    @property
    def texts(self) -> list[FormField]:
        """The text fields (one per locale of a translated text)."""
        return [f for f in self.fields if f.kind == "text"]

    @property
    def links(self) -> list[FormField]:
        """The fields naming where an answer leads."""
        return [f for f in self.fields if f.kind == "link"]


def _locales(doc: Any) -> list[str]:
    locs = doc.get("locales") if isinstance(doc, CommentedMap) else None
    return [str(x) for x in locs] if isinstance(locs, list) and locs else ["en"]


def _text_fields(
    value: Any, loc: tuple[str | int, ...], label: str, locales: Sequence[str]
) -> list[FormField]:
    if isinstance(value, CommentedMap):
        keys = list(dict.fromkeys([*map(str, value.keys()), *locales]))
        return [
            FormField(
                (*loc, k), f"{label} ({k})", "" if value.get(k) is None else str(value.get(k)), "text", k
            )
            for k in keys
        ]
    return [FormField(loc, label, "" if value is None else str(value), "text")]


def node_form(text: str, node_id: str) -> NodeForm:
    """The fields an author edits on one node: its texts (per locale) and where each answer leads."""
    doc = load(text)
    node = _find_node(doc, node_id)
    locales = _locales(doc)
    kind = str(node.get("kind", ""))
    fields = [
        *_node_texts(node, kind, locales),
        *_option_fields(node, locales),
        *_rule_links(node),
        *_links(node, kind),
        *_return_links(node),
    ]
    return NodeForm(node_id=node_id, kind=kind, fields=fields)


def _node_texts(node: CommentedMap, kind: str, locales: Sequence[str]) -> Iterator[FormField]:
    """The node's texts, plus empty ones its kind usually has (one field per locale of the tree)."""
    for name in _TEXT_FIELDS:
        if name in node:
            yield from _text_fields(node.get(name), (name,), name, locales)
        elif name in _KIND_TEXTS.get(kind, ()):
            # a new text: one field per locale the tree covers (a plain string for a one-language tree)
            empty = CommentedMap() if len(locales) > 1 else None
            yield from _text_fields(empty, (name,), name, locales)


def _option_fields(node: CommentedMap, locales: Sequence[str]) -> Iterator[FormField]:
    """Each option's label (per locale) and where it leads."""
    options = node.get("options")
    if not isinstance(options, CommentedSeq):
        return
    for i, opt in enumerate(options):
        if not isinstance(opt, CommentedMap):
            continue
        yield from _text_fields(opt.get("label"), ("options", i, "label"), f"option {i + 1} label", locales)
        yield FormField(("options", i, "next"), f"option {i + 1} → next", str(opt.get("next", "")), "link")


def _rule_links(node: CommentedMap) -> Iterator[FormField]:
    """Where each rule of a logic node leads."""
    rules = node.get("rules")
    if not isinstance(rules, CommentedSeq):
        return
    for i, rule in enumerate(rules):
        if isinstance(rule, CommentedMap):
            label = f"rule {i + 1} ({rule.get('when', '')}) → next"
            yield FormField(("rules", i, "next"), label, str(rule.get("next", "")), "link")


def _links(node: CommentedMap, kind: str) -> Iterator[FormField]:
    """The node's plain links (``next``, ``on_fixed``, ...); an action always offers ``on_could_not``."""
    for name in _LINK_FIELDS:
        if name in node or (name == "on_could_not" and kind == "action"):
            value = node.get(name)
            yield FormField((name,), name, "" if value is None else str(value), "link")


def _return_links(node: CommentedMap) -> Iterator[FormField]:
    """Where a call node goes for each status its procedure returns."""
    on_return = node.get("on_return")
    if isinstance(on_return, CommentedMap):
        for status, target in on_return.items():
            yield FormField(("on_return", str(status)), f"on_return {status}", str(target), "link")


def _like(old: Any, new: str) -> Any:
    """``new`` written the way ``old`` was (keeps an author's quotes)."""
    if isinstance(old, ScalarString) and "\n" not in new:
        return type(old)(new)
    return new


def _get(container: Any, key: str | int) -> Any:
    if isinstance(container, dict):
        return container.get(key)
    if isinstance(container, list) and isinstance(key, int) and 0 <= key < len(container):
        return container[key]
    return None


def edit_node(text: str, node_id: str, changes: Mapping[tuple[str | int, ...], str]) -> str:
    """The draft with some of one node's values changed (``{("text", "en"): "New text"}``).

    Values equal to what is there already change nothing, and a draft with no real change comes back
    as the same text. Clearing an optional field (hint, customer_text, …) removes it. Comments, key
    order and quoting are kept: only the lines whose values changed differ.
    """
    doc = load(text)
    node = _find_node(doc, node_id)
    changed = False
    for loc, value in changes.items():
        if not loc:
            raise DraftError("say which field of the node to change")
        parent: Any = node
        for depth, part in enumerate(loc[:-1]):
            child = _get(parent, part)
            if child is None and value == "":
                break  # clearing something that is not there
            if child is None and depth == 0 and len(loc) == 2 and part in _TEXT_FIELDS:
                child = CommentedMap()  # a new translated text, written {en: ..., de: ...}
                child.fa.set_flow_style()
                _insert_key(parent, str(part), child)
            if child is None:
                raise DraftError(f"node {node_id!r} has no {'.'.join(map(str, loc[: depth + 1]))}")
            parent = child
        else:
            changed |= _set(node, parent, loc[-1], value)
    if not changed:
        return text
    return rewrite(text, doc)


def _set(node: CommentedMap, parent: Any, key: str | int, value: str) -> bool:
    """Set ``parent[key]`` to ``value`` inside ``node``; whether anything changed."""
    current = _get(parent, key)
    if (current is None and value == "") or (current is not None and str(current) == value):
        return False
    if isinstance(parent, list):
        if not isinstance(key, int) or not 0 <= key < len(parent):
            raise DraftError(f"node {node.get('id')!r} has no item {key!r} there")
        parent[key] = _like(current, value)
    elif value == "" and parent is node and key in _OPTIONAL:
        del parent[key]
    elif value == "" and isinstance(parent, CommentedMap) and parent is not node and len(parent) > 1:
        del parent[key]  # one translation cleared: the others stay
    elif parent is node and key not in node:
        _insert_key(node, str(key), value)
    else:
        parent[key] = _like(current, value)
    return True


_NODE_ORDER = (
    "id",
    "kind",
    "outcome",
    "text",
    "customer_text",
    "hint",
    "check",
    "reason",
    "next_action",
    "on_fixed",
    "on_not_fixed",
    "on_could_not",
)


def _insert_key(node: CommentedMap, key: str, value: Any) -> None:
    """Add ``key`` where an author would write it (texts after ``text``), keeping blank lines where they were."""
    rank = _NODE_ORDER.index(key) if key in _NODE_ORDER else len(_NODE_ORDER)
    keys = list(node.keys())
    pos = 0
    for i, k in enumerate(keys):
        if k in _NODE_ORDER and _NODE_ORDER.index(k) < rank:
            pos = i + 1
    if pos < len(keys):
        node.insert(pos, key, value)
        return
    # at the end: blank lines and comments after the last value lead into what follows, so they move
    # below the new key; an end-of-line comment stays on its line
    last = keys[-1]
    moved = ""
    items = node.ca.items.get(last)
    last_value = node[last]
    if items and len(items) > 2 and isinstance(items[2], CommentToken):
        head, sep, rest = items[2].value.partition("\n")
        if rest:
            items[2].value = head + sep
            moved = rest
    elif isinstance(last_value, CommentedMap | CommentedSeq) and last_value.ca.end:
        moved = "".join(t.value for t in last_value.ca.end)
        last_value.ca.end = []
    node[key] = value
    if moved:
        node.ca.items[key] = [None, None, CommentToken("\n" + moved, CommentMark(0), None), None]
