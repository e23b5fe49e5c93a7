"""The node form: the fields an author edits on one node, and those edits written back into the draft.

Values are read from and written to the draft's round-trip document (:mod:`.roundtrip`), so an edit changes
exactly the lines of the values it changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import PlainScalarString, ScalarString
from ruamel.yaml.tokens import CommentToken

from triage.desk.studio.roundtrip import load, rewrite
from triage.errors import DraftError

__all__ = [
    "CHOICES",
    "LONG_TEXTS",
    "FormField",
    "NodeForm",
    "edit_node",
    "find_node",
    "insert_key",
    "node_form",
    "node_ids",
    "tree_locales",
]

_TEXT_FIELDS = (
    "text",
    "customer_text",
    "hint",
    "caution",
    "check",
    "reason",
    "next_action",
    "follow_up",
    "instructions",
    "packing",
    "finding",
    "customer_next_step",
)
LONG_TEXTS = frozenset(_TEXT_FIELDS) - {"check"}
"""Text fields a page draws as several lines."""
_LINK_FIELDS = (
    "next",
    "default",
    "body",
    "on_fixed",
    "on_not_fixed",
    "on_could_not",
    "fallback",
    "on_unavailable",
)
_OPTIONAL = frozenset(
    {
        "customer_text",
        "hint",
        "caution",
        "check",
        "reason",
        "next_action",
        "on_could_not",
        "follow_up",
        "follow_up_days",
        "instructions",
        "minutes",
        "system",
        "timeout",
        "tries",
        "fact",
        "over",
        "max",
        "item",
        "counter",
        "until",
        "return_old",
    }
)
# which text fields the form offers on each kind (an outcome: "outcome:<its kind>") when the node lacks them
_STEP_TEXTS = ("text", "customer_text", "hint", "caution")
_OUTCOME_TEXTS = ("text", "reason", "next_action", "caution")
_KIND_TEXTS: dict[str, tuple[str, ...]] = {
    "question": _STEP_TEXTS,
    "action": (*_STEP_TEXTS, "check"),
    "instruction": _STEP_TEXTS,
    "wait": (*_STEP_TEXTS, "check"),
    "check": ("text", "hint", "caution"),
    "collect": _STEP_TEXTS,
    "outcome": _OUTCOME_TEXTS,
    "outcome:resolved": (*_OUTCOME_TEXTS, "follow_up"),
    "outcome:ship_part": (*_OUTCOME_TEXTS, "instructions"),
    "outcome:repair": (*_OUTCOME_TEXTS, "packing"),
    "outcome:diagnosis": (*_OUTCOME_TEXTS, "finding", "customer_next_step"),
}
# the plain values (numbers, names, conditions) the form offers on each kind, in the order shown
_PERFORMED = ("minutes", "performer", "system")
_KIND_VALUES: dict[str, tuple[str, ...]] = {
    "action": _PERFORMED,
    "instruction": _PERFORMED,
    "wait": ("seconds", "tries"),
    "check": ("system", "timeout", "fact"),
    "repeat": ("over", "max", "item", "counter", "until"),
    "outcome:resolved": ("follow_up_days",),
    "outcome:escalate": ("queue", "tier", "priority"),
    "outcome:visit": ("skill", "urgency", "duration_minutes"),
    "outcome:ship_part": ("return_old",),
    "outcome:repair": ("depot",),
    "outcome:handover": ("tree",),
}
CHOICES: dict[str, tuple[str, ...]] = {
    "performer": ("customer", "agent", "technician", "system"),
    "priority": ("low", "normal", "high", "urgent"),
    "urgency": ("normal", "urgent"),
    "return_old": ("true", "false"),
}
"""Values whose field offers a fixed list."""
_TRANSLATED = frozenset({*_TEXT_FIELDS, "alt", "caption", "label"})
_INTEGERS = frozenset({"seconds", "tries", "max", "follow_up_days", "tier", "duration_minutes", "quantity"})
_NUMBERS = frozenset({"minutes", "timeout"})


def find_node(doc: Any, node_id: str) -> CommentedMap:
    """The node ``node_id`` in a round-trip document (:class:`DraftError` if there is none)."""
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
    """One editable value of a node: where it is inside the node, a label, its current text, and its kind.

    ``text`` is words people read (one field per locale), ``link`` names a node, ``value`` is a number, a
    name or a condition (``choices`` lists the values it may take, when they are fixed).
    """

    loc: tuple[str | int, ...]
    label: str
    value: str
    kind: Literal["text", "link", "value"]
    locale: str | None = None
    choices: tuple[str, ...] = ()


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

    @property
    def values(self) -> list[FormField]:
        """The fields holding numbers, names and conditions."""
        return [f for f in self.fields if f.kind == "value"]


def tree_locales(doc: Any) -> list[str]:
    """The locales a round-trip document's tree covers (``["en"]`` when it names none)."""
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
    node = find_node(doc, node_id)
    locales = tree_locales(doc)
    kind = str(node.get("kind", ""))
    sort = f"outcome:{node.get('outcome', '')}" if kind == "outcome" else kind
    fields = [
        *_node_texts(node, sort, locales),
        *_values(node, sort),
        *_option_fields(node, "options", locales),
        *_option_fields(node, "results", locales),
        *_part_fields(node),
        *_rule_links(node),
        *_links(node, kind),
        *_return_links(node),
        *_media_fields(node, locales),
    ]
    return NodeForm(node_id=node_id, kind=sort if kind == "outcome" else kind, fields=fields)


def _node_texts(node: CommentedMap, kind: str, locales: Sequence[str]) -> Iterator[FormField]:
    """The node's texts, plus empty ones its kind usually has (one field per locale of the tree)."""
    offered = _KIND_TEXTS.get(kind) or _KIND_TEXTS.get(kind.partition(":")[0], ())
    for name in _TEXT_FIELDS:
        if name in node:
            yield from _text_fields(node.get(name), (name,), name, locales)
        elif name in offered:
            # a new text: one field per locale the tree covers (a plain string for a one-language tree)
            empty = CommentedMap() if len(locales) > 1 else None
            yield from _text_fields(empty, (name,), name, locales)


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _values(node: CommentedMap, kind: str) -> Iterator[FormField]:
    """The node's numbers, names and conditions its kind has (``seconds``, ``system``, ``until``, ...)."""
    for name in _KIND_VALUES.get(kind, ()):
        yield FormField((name,), name, _scalar(node.get(name)), "value", choices=CHOICES.get(name, ()))


def _option_fields(node: CommentedMap, key: str, locales: Sequence[str]) -> Iterator[FormField]:
    """Each option's (or a check's result's) label (per locale), its value for a check, and where it leads."""
    options = node.get(key)
    if not isinstance(options, CommentedSeq):
        return
    name = "option" if key == "options" else "result"
    for i, opt in enumerate(options):
        if not isinstance(opt, CommentedMap):
            continue
        yield from _text_fields(opt.get("label"), (key, i, "label"), f"{name} {i + 1} label", locales)
        if key == "results":
            yield FormField((key, i, "value"), f"{name} {i + 1} value", _scalar(opt.get("value")), "value")
        yield FormField((key, i, "next"), f"{name} {i + 1} → next", str(opt.get("next", "")), "link")


def _part_fields(node: CommentedMap) -> Iterator[FormField]:
    """A part shipment's parts: each part's id and quantity."""
    parts = node.get("parts")
    if node.get("outcome") != "ship_part" or not isinstance(parts, CommentedSeq):
        return
    for i, line in enumerate(parts):
        if isinstance(line, CommentedMap):
            yield FormField(("parts", i, "part"), f"part {i + 1}", _scalar(line.get("part")), "value")
            yield FormField(
                ("parts", i, "quantity"), f"part {i + 1} quantity", _scalar(line.get("quantity")), "value"
            )


def _media_fields(node: CommentedMap, locales: Sequence[str]) -> Iterator[FormField]:
    """Each picture's file or address, alt text and caption; each link's address and words."""
    media = node.get("media")
    if not isinstance(media, CommentedSeq):
        return
    for i, item in enumerate(media):
        if not isinstance(item, CommentedMap):
            continue
        what = "image" if "image" in item else "link"
        yield FormField(("media", i, what), f"media {i + 1} {what}", _scalar(item.get(what)), "value")
        for text in ("alt", "caption") if what == "image" else ("label",):
            value = item.get(text)
            if value is None and len(locales) > 1:
                value = CommentedMap()  # a new text: one field per locale
            yield from _text_fields(value, ("media", i, text), f"media {i + 1} {text}", locales)


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
    """The node's plain links (``next``, ``on_fixed``, ...); an action or instruction always offers ``on_could_not``."""
    for name in _LINK_FIELDS:
        if name in node or (name == "on_could_not" and kind in ("action", "instruction")):
            value = node.get(name)
            yield FormField((name,), name, "" if value is None else str(value), "link")


def _return_links(node: CommentedMap) -> Iterator[FormField]:
    """Where a call node goes for each status its procedure returns."""
    on_return = node.get("on_return")
    if isinstance(on_return, CommentedMap):
        for status, target in on_return.items():
            yield FormField(("on_return", str(status)), f"on_return {status}", str(target), "link")


_PLAIN_WORD = re.compile(r"[a-z][a-z0-9_\-]*")
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


def _like(old: Any, new: str) -> Any:
    """``new`` written the way ``old`` was (keeps an author's quotes); a node id or name replacing an empty
    text (the ``''`` a new node leaves) is written plain, as authors write links."""
    if isinstance(old, ScalarString) and old == "" and _PLAIN_WORD.fullmatch(new) and new not in _YAML_WORDS:
        return PlainScalarString(new)  # a plain str would take the old quotes (ruamel keeps a key's style)
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
    node = find_node(doc, node_id)
    changed = False
    for loc, value in changes.items():
        if not loc:
            raise DraftError("say which field of the node to change")
        parent: Any = node
        for depth, part in enumerate(loc[:-1]):
            child = _get(parent, part)
            if child is None and value == "":
                break  # clearing something that is not there
            if (
                child is None
                and depth == len(loc) - 2
                and part in _TRANSLATED
                and isinstance(parent, CommentedMap)
            ):
                child = CommentedMap()  # a new translated text, written {en: ..., de: ...}
                child.fa.set_flow_style()
                if parent is node:
                    insert_key(parent, str(part), child)
                else:  # inside an option or a picture: after what is there
                    parent[str(part)] = child
            if child is None:
                raise DraftError(f"node {node_id!r} has no {'.'.join(map(str, loc[: depth + 1]))}")
            parent = child
        else:
            changed |= _set(node, parent, loc[-1], value)
    if not changed:
        return text
    return rewrite(text, doc)


def _typed(key: str | int, value: str) -> Any:
    """A number field's value as a number and a yes/no field's as a boolean, so the file says ``30``, not
    ``'30'``; anything that does not read as one stays text, for the checks to name."""
    text = value.strip()
    try:
        if key in _INTEGERS:
            return int(text)
        if key in _NUMBERS:
            number = float(text)
            return int(number) if number.is_integer() else number
    except ValueError:
        return value
    if key == "return_old" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return value


def _set(node: CommentedMap, parent: Any, key: str | int, value: str) -> bool:
    """Set ``parent[key]`` to ``value`` inside ``node``; whether anything changed."""
    current = _get(parent, key)
    if (current is None and value == "") or (current is not None and _scalar(current) == value):
        return False
    typed = _typed(key, value)
    if isinstance(parent, list):
        if not isinstance(key, int) or not 0 <= key < len(parent):
            raise DraftError(f"node {node.get('id')!r} has no item {key!r} there")
        parent[key] = _like(current, value)
    elif value == "" and parent is node and key in _OPTIONAL:
        del parent[key]
    elif value == "" and isinstance(parent, CommentedMap) and parent is not node and len(parent) > 1:
        del parent[key]  # one translation cleared: the others stay
    elif parent is node and key not in node:
        insert_key(node, str(key), typed)
    else:
        parent[key] = typed if typed is not value else _like(current, value)
    return True


_NODE_ORDER = (
    "id",
    "kind",
    "outcome",
    "text",
    "customer_text",
    "hint",
    "caution",
    "check",
    "reason",
    "next_action",
    "media",
    "follow_up_days",
    "follow_up",
    "minutes",
    "performer",
    "system",
    "seconds",
    "tries",
    "timeout",
    "fact",
    "over",
    "max",
    "item",
    "counter",
    "until",
    "on_fixed",
    "on_not_fixed",
    "on_could_not",
)


def insert_key(node: CommentedMap, key: str, value: Any) -> None:
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
