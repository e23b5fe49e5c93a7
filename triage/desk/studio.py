"""The author studio's logic: tree files, drafts, round-trip edits, live checks, pictures, save and publish.

A :class:`Draft` is an author's working copy of one tree file: the text in the editor, plus what it was
based on (the file's digest when it was opened, and the published version the author started from).
Edits go through a ruamel.yaml round-trip document, so saving keeps comments, key order and quoting:
changing one node's text changes exactly that line of the file.

Conflicts never lose work::

    TriageError
    ├── DraftError (ValueError)   the draft is not YAML the node form can edit
    └── DraftConflict             the file changed on disk, or someone published in between;
                                  carries the author's text and the other side's

Saving a draft with errors is allowed (the file is the author's); publishing needs a valid tree.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import networkx as nx
import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.scalarstring import ScalarString
from ruamel.yaml.tokens import CommentToken

from triage.errors import Diagnostic, DraftConflict, DraftError, Severity
from triage.errors import VersionConflict as StoreConflict
from triage.records.store import Store, VersionInfo
from triage.trees.checks import build_graph
from triage.trees.export import OUTCOME_COLOURS, node_label
from triage.trees.library import Library, ScenarioResult
from triage.trees.loader import LoadedTree, find_tree_files, load_tree, parse_tree
from triage.trees.model import Tree, localize
from triage.walk.scenarios import build_library, load_library, run_scenarios
from triage.walk.session import Session

__all__ = [
    "GRAPH_LIMIT",
    "DraftConflict",
    "Draft",
    "DraftCheck",
    "DraftError",
    "FormField",
    "NodeForm",
    "TreeStatus",
    "annotate",
    "check_draft",
    "digest",
    "edit_node",
    "flags_by_node",
    "folder_stamp",
    "graph_nodes",
    "load_others",
    "neighbourhood",
    "node_form",
    "node_ids",
    "open_draft",
    "publish_draft",
    "published_versions",
    "save_draft",
    "start_preview",
    "text_diff",
    "tree_dot",
    "tree_file",
    "tree_statuses",
]

GRAPH_LIMIT = 60
"""Trees with more nodes than this are drawn as the neighbourhood of the selected node."""

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


def digest(text: str) -> str:
    """SHA-256 of a text, as tree versions are identified."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def text_diff(old: str, new: str, old_name: str = "old", new_name: str = "new") -> str:
    """A unified line diff from ``old`` to ``new`` (empty when they are equal)."""
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), old_name, new_name, lineterm="")
    out = "\n".join(lines)
    return out + "\n" if out else ""


# -- the tree folder ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TreeStatus:
    """One tree file as the studio lists it."""

    rel: str
    path: str
    tree_id: str | None
    title: str
    ok: bool
    errors: list[Diagnostic]
    warnings: list[Diagnostic]
    open_flags: int = 0
    published: int | None = None

    @property
    def offered(self) -> bool:
        """Whether agents and customers can run it: a published version exists (only valid trees publish)."""
        return self.published is not None


def tree_file(folder: str | Path, rel: str) -> Path:
    """The tree file ``rel`` inside ``folder``; :class:`DraftError` for anything outside or not a tree file."""
    root = Path(folder).resolve()
    p = (root / rel).resolve()
    if root not in p.parents or p.suffix not in (".yaml", ".yml") or not p.is_file():
        raise DraftError(f"{rel!r} is not a tree file in {folder}")
    return p


def tree_statuses(
    folder: str | Path,
    *,
    support: Iterable[str | Path] = (),
    flag_counts: Mapping[str, int] | None = None,
    published: Mapping[str, int] | None = None,
) -> list[TreeStatus]:
    """Every tree file under ``folder``, checked together (procedures may come from ``support``).

    Messages name files by their path inside ``folder``, as the studio shows them.
    """
    root = Path(folder)
    lib = load_library([root], support=support)
    flag_counts = flag_counts or {}
    published = published or {}
    out = []
    for path in sorted(lib.named):
        f = lib.files[path]
        tree_id = f.tree.id if f.tree is not None else _raw_id(f.raw)
        title = localize(f.tree.title, "en") if f.tree is not None else ""
        rel = Path(path).resolve().relative_to(root.resolve()).as_posix()
        out.append(
            TreeStatus(
                rel=rel,
                path=path,
                tree_id=tree_id,
                title=title,
                ok=f.ok,
                errors=[d.model_copy(update={"path": rel}) for d in f.errors],
                warnings=[d.model_copy(update={"path": rel}) for d in f.warnings],
                open_flags=flag_counts.get(tree_id or "", 0),
                published=published.get(tree_id or ""),
            )
        )
    return out


def folder_stamp(folder: str | Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when any tree file under ``folder`` changes: path, size and modification time of each."""
    out = []
    for p in find_tree_files([folder]):
        try:
            stat = p.stat()
        except OSError:
            continue
        out.append((str(p), stat.st_size, stat.st_mtime_ns))
    return tuple(out)


def annotate(
    statuses: Iterable[TreeStatus], flag_counts: Mapping[str, int], published: Mapping[str, int]
) -> list[TreeStatus]:
    """The statuses with today's open flags and published versions (checks are cached; these are not)."""
    return [
        replace(s, open_flags=flag_counts.get(s.tree_id or "", 0), published=published.get(s.tree_id or ""))
        for s in statuses
    ]


def flags_by_node(flags: Iterable[Any]) -> dict[str, int]:
    """How many of ``flags`` (anything with a ``node_id``) sit on each node."""
    out: dict[str, int] = {}
    for f in flags:
        out[f.node_id] = out.get(f.node_id, 0) + 1
    return out


def published_versions(store: Store, tree_ids: Iterable[str | None]) -> dict[str, int]:
    """The latest published version number of each tree id that has one."""
    out = {}
    for tid in tree_ids:
        if tid:
            info = store.latest_version(tid)
            if info is not None:
                out[tid] = info.version
    return out


def _raw_id(raw: Any) -> str | None:
    value = raw.get("id") if isinstance(raw, dict) else None
    return value if isinstance(value, str) else None


@lru_cache(maxsize=512)
def _parsed(path: str, text: str) -> LoadedTree:
    return parse_tree(text, path)


def _fresh(f: LoadedTree) -> LoadedTree:
    # build_library adds diagnostics to the objects it gets: hand it copies of the cached parse
    return LoadedTree(path=f.path, text=f.text, tree=f.tree, diagnostics=list(f.diagnostics), raw=f.raw)


def load_others(
    folder: str | Path, exclude: str | Path, support: Iterable[str | Path] = ()
) -> list[LoadedTree]:
    """The rest of the library beside one file: every tree file under ``folder`` but ``exclude``.

    ``support`` folders only lend trees (procedures) whose ids the folder does not have.
    """
    skip = Path(exclude).resolve()
    own = [_read_tree(p) for p in find_tree_files([folder]) if p.resolve() != skip]
    ids = {f.tree.id for f in own if f.tree is not None}
    lent = []
    for p in find_tree_files(support):
        if p.resolve() == skip:
            continue
        f = _read_tree(p)
        if f.tree is not None and f.tree.id not in ids:
            ids.add(f.tree.id)
            lent.append(f)
    return own + lent


def _read_tree(p: Path) -> LoadedTree:
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return load_tree(p)
    return _fresh(_parsed(str(p), text))


# -- drafts ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """An author's working copy of one tree file.

    ``base_digest`` is the file's digest when it was opened (or last saved); ``base_version`` the
    published version the author started from (``None`` if the tree was never published). ``rev``
    counts edits, so an editor can tell a new text from the one it shows.
    """

    path: str
    rel: str
    tree_id: str | None
    text: str
    base_text: str
    base_version: int | None
    rev: int = 0

    @property
    def base_digest(self) -> str:
        return digest(self.base_text)

    @property
    def dirty(self) -> bool:
        """The draft differs from the file as it was opened or last saved."""
        return self.text != self.base_text

    def with_text(self, text: str) -> Draft:
        """The draft with new text (the same draft if nothing changed)."""
        return self if text == self.text else replace(self, text=text, rev=self.rev + 1)

    def rebased(self, *, base_text: str | None = None, base_version: int | None = None) -> Draft:
        """The same text on a new base: after a save or publish, or once the author has merged a conflict."""
        return replace(
            self,
            base_text=self.base_text if base_text is None else base_text,
            base_version=self.base_version if base_version is None else base_version,
            rev=self.rev + 1,
        )


def open_draft(folder: str | Path, rel: str, store: Store | None = None) -> Draft:
    """Open the file ``rel`` of ``folder`` as a draft, based on its text now and the latest published version."""
    p = tree_file(folder, rel)
    text = p.read_text(encoding="utf-8")
    loaded = _parsed(str(p), text)
    tree_id = loaded.tree.id if loaded.tree is not None else _raw_id(loaded.raw)
    base_version = None
    if store is not None and tree_id:
        info = store.latest_version(tree_id)
        base_version = info.version if info is not None else None
    return Draft(path=str(p), rel=rel, tree_id=tree_id, text=text, base_text=text, base_version=base_version)


def _read(path: str) -> str:
    with open(path, encoding="utf-8", newline="") as fh:
        return fh.read()


def _write(path: str, text: str) -> None:
    """Replace the file in one step, so a reader never sees half a file."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, target.stat().st_mode & 0o777 if target.exists() else 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _check_disk(draft: Draft) -> str:
    current = _read(draft.path)
    if digest(current) != draft.base_digest:
        raise DraftConflict("file", draft.rel, draft.text, current, tree_id=draft.tree_id)
    return current


def save_draft(draft: Draft) -> Draft:
    """Write the draft to its file, errors and all; :class:`DraftConflict` if the file changed since it was opened."""
    current = _check_disk(draft)
    if current != draft.text:
        _write(draft.path, draft.text)
    return draft.rebased(base_text=draft.text)


def publish_draft(store: Store, draft: Draft, author: str, note: str = "") -> tuple[VersionInfo, Draft]:
    """Publish the draft as a new version, then save it to its file so the file and the library agree.

    :class:`DraftConflict` if the file changed on disk or someone published since the author's base
    version (the author's text is kept); :class:`~triage.errors.TreeError` if the draft has errors.
    """
    _check_disk(draft)
    try:
        info = store.publish(
            draft.text, author=author, base_version=draft.base_version, note=note, path=draft.path
        )
    except StoreConflict as exc:
        theirs = store.version_text(exc.tree_id, exc.latest) if exc.latest else ""
        raise DraftConflict(
            "published", draft.rel, draft.text, theirs, tree_id=exc.tree_id, latest=exc.latest
        ) from exc
    saved = save_draft(draft)
    return info, replace(saved, tree_id=info.tree_id, base_version=info.version)


# -- round-trip documents --------------------------------------------------------------------------

_KEY_BLOCK = re.compile(r"^( *)[^\s#-][^#]*:\s*(#.*)?$")


def _indentation(text: str) -> tuple[int, int, int]:
    """Guess (mapping, sequence, offset) indentation from the text, as ruamel.yaml's ``indent()`` takes it."""
    mapping, sequence, offset = 2, 4, 2
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    seen_seq = seen_map = False
    for a, b in zip(lines, lines[1:], strict=False):
        m = _KEY_BLOCK.match(a)
        if not m:
            continue
        ia = len(m.group(1))
        ib = len(b) - len(b.lstrip(" "))
        if b.lstrip().startswith("- ") and not seen_seq and ib >= ia:
            offset = ib - ia
            rest = b.lstrip()[1:]
            sequence = offset + 1 + (len(rest) - len(rest.lstrip(" ")))
            seen_seq = True
        elif not b.lstrip().startswith("-") and ib > ia and not seen_map:
            mapping = ib - ia
            seen_map = True
        if seen_seq and seen_map:
            break
    return mapping, max(sequence, offset + 2), offset


def _yaml(text: str) -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap an author's long line
    mapping, sequence, offset = _indentation(text)
    y.indent(mapping=mapping, sequence=sequence, offset=offset)
    return y


def _load(text: str) -> Any:
    try:
        return _yaml(text).load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = str(getattr(exc, "problem", ""))
        opened = getattr(exc, "context_mark", None)
        if opened is not None and ("end of stream" in problem or "<stream end>" in problem):
            mark = opened  # an unclosed bracket or quote: where it opened
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise DraftError(f"the draft is not valid YAML{where}: fix it in the YAML editor first") from exc


def _dump(doc: Any, text: str) -> str:
    buf = io.StringIO()
    _yaml(text).dump(doc, buf)
    return buf.getvalue()


_EOL_COMMENT = re.compile(r"(?P<gap>[ \t]+)(?P<comment>#[^\n]*)(?P<end>\n?)$")


def _keep_gaps(original: str, new: str) -> str:
    """On lines whose value changed, keep the author's gap before an end-of-line comment.

    ruamel.yaml keeps a comment's column, so a shorter value leaves a wide gap and a longer one a single
    space; an author who wrote ``value   # note`` expects ``new value   # note``.
    """
    o, n = original.splitlines(keepends=True), new.splitlines(keepends=True)
    out = list(n)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, o, n, autojunk=False).get_opcodes():
        if tag != "replace" or i2 - i1 != j2 - j1:
            continue
        for a, j in zip(o[i1:i2], range(j1, j2), strict=True):
            ma, mb = _EOL_COMMENT.search(a), _EOL_COMMENT.search(n[j])
            if ma and mb and ma["comment"] == mb["comment"] and ma["gap"] != mb["gap"]:
                out[j] = n[j][: mb.start()] + ma["gap"] + mb["comment"] + mb["end"]
    fixed = "".join(out)
    if fixed == new:
        return new
    try:  # only whitespace before comments may change: the data must read the same
        same = yaml.safe_load(fixed) == yaml.safe_load(new)
    except yaml.YAMLError:
        same = False
    return fixed if same else new


def _splice(original: str, base: str, new: str) -> str:
    """Apply the change ``base -> new`` (two dumps) to ``original``, keeping every untouched line's bytes.

    ruamel.yaml reproduces most files exactly (then this is just ``new``); where it would reformat some
    line the author never touched, that line keeps its original spelling.
    """
    if base == original:
        return new
    o, b, n = (s.splitlines(keepends=True) for s in (original, base, new))
    to_orig: dict[int, int] = {}
    for blk in difflib.SequenceMatcher(None, b, o, autojunk=False).get_matching_blocks():
        for k in range(blk.size):
            to_orig[blk.a + k] = blk.b + k
    out = list(o)
    # apply hunks from the end so earlier indices stay valid
    for tag, i1, i2, j1, j2 in reversed(difflib.SequenceMatcher(None, b, n, autojunk=False).get_opcodes()):
        if tag == "equal":
            continue
        if i1 == i2:  # insertion before base line i1
            at = to_orig.get(i1, len(o)) if i1 < len(b) else len(o)
            if i1 < len(b) and i1 not in to_orig:
                return new
            out[at:at] = n[j1:j2]
            continue
        span = [to_orig.get(i) for i in range(i1, i2)]
        if any(s is None for s in span) or span != list(range(span[0] or 0, (span[0] or 0) + len(span))):
            return new  # the lines to change were themselves reformatted: fall back to the full dump
        first = span[0] or 0
        out[first : first + len(span)] = n[j1:j2]
    return "".join(out)


def _find_node(doc: Any, node_id: str) -> CommentedMap:
    nodes = doc.get("nodes") if isinstance(doc, CommentedMap) else None
    if isinstance(nodes, CommentedSeq):
        for node in nodes:
            if isinstance(node, CommentedMap) and node.get("id") == node_id:
                return node
    raise DraftError(f"the draft has no node {node_id!r}")


def node_ids(text: str) -> list[str]:
    """The node ids of a draft, in file order (:class:`DraftError` if it is not YAML)."""
    doc = _load(text)
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
    node_id: str
    kind: str
    fields: list[FormField] = field(default_factory=list)

    @property
    def texts(self) -> list[FormField]:
        return [f for f in self.fields if f.kind == "text"]

    @property
    def links(self) -> list[FormField]:
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
    doc = _load(text)
    node = _find_node(doc, node_id)
    locales = _locales(doc)
    kind = str(node.get("kind", ""))
    fields: list[FormField] = []
    for name in _TEXT_FIELDS:
        if name in node:
            fields += _text_fields(node.get(name), (name,), name, locales)
        elif name in _KIND_TEXTS.get(kind, ()):
            # a new text: one field per locale the tree covers (a plain string for a one-language tree)
            empty = CommentedMap() if len(locales) > 1 else None
            fields += _text_fields(empty, (name,), name, locales)
    options = node.get("options")
    if isinstance(options, CommentedSeq):
        for i, opt in enumerate(options):
            if not isinstance(opt, CommentedMap):
                continue
            fields += _text_fields(
                opt.get("label"), ("options", i, "label"), f"option {i + 1} label", locales
            )
            fields.append(
                FormField(("options", i, "next"), f"option {i + 1} → next", str(opt.get("next", "")), "link")
            )
    rules = node.get("rules")
    if isinstance(rules, CommentedSeq):
        for i, rule in enumerate(rules):
            if isinstance(rule, CommentedMap):
                label = f"rule {i + 1} ({rule.get('when', '')}) → next"
                fields.append(FormField(("rules", i, "next"), label, str(rule.get("next", "")), "link"))
    for name in _LINK_FIELDS:
        if name in node or (name == "on_could_not" and kind == "action"):
            value = node.get(name)
            fields.append(FormField((name,), name, "" if value is None else str(value), "link"))
    on_return = node.get("on_return")
    if isinstance(on_return, CommentedMap):
        for status, target in on_return.items():
            fields.append(FormField(("on_return", str(status)), f"on_return {status}", str(target), "link"))
    return NodeForm(node_id=node_id, kind=kind, fields=fields)


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
    doc = _load(text)
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
    return _keep_gaps(text, _splice(text, _dump(_load(text), text), _dump(doc, text)))


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


# -- live checks -----------------------------------------------------------------------------------


@dataclass
class DraftCheck:
    """A draft validated with the rest of the library: its messages, its scenario results, and the trees."""

    loaded: LoadedTree
    library: Library
    scenarios: list[ScenarioResult]

    @property
    def tree(self) -> Tree | None:
        return self.loaded.tree

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return sorted(self.loaded.diagnostics, key=lambda d: (not d.is_error, d.line or 0))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]

    @property
    def ok(self) -> bool:
        return self.loaded.ok

    @property
    def previewable(self) -> bool:
        """The draft can be walked: it parsed and its graph holds (failing scenarios do not stop a preview)."""
        return self.tree is not None and all(d.code == "scenario-failed" for d in self.errors)

    def preview_trees(self) -> dict[str, Tree]:
        """The trees a preview walks on: the valid rest of the library plus the draft."""
        if not self.previewable or self.tree is None:
            raise DraftError("the draft has errors that stop a walk; fix the messages above first")
        return {**self.library.trees, self.tree.id: self.tree}


def check_draft(text: str, path: str, others: Sequence[LoadedTree]) -> DraftCheck:
    """Validate draft ``text`` (as the file ``path``) with ``others`` (see :func:`load_others`) as the rest.

    Every message names the file, line, node and a hint; the draft's scenario tests are run too.
    """
    loaded = parse_tree(text, path)
    lib = build_library([loaded, *(_fresh(f) for f in others)], scenarios=False)
    results: list[ScenarioResult] = []
    if loaded.ok and loaded.tree is not None:
        results = run_scenarios(loaded.tree, lib.trees)
        loaded.add(
            Diagnostic(
                severity=Severity.ERROR,
                code="scenario-failed",
                message=f"scenario {r.name!r} failed: {r.message}",
                loc=("scenarios", i),
                hint="fix the tree or the scenario's answers",
            )
            for i, r in enumerate(results)
            if not r.passed
        )
        if not loaded.ok:
            lib.trees.pop(loaded.tree.id, None)
            lib.sources.pop(loaded.tree.id, None)
    return DraftCheck(loaded=loaded, library=lib, scenarios=results)


def start_preview(check: DraftCheck, mode: str = "agent", locale: str = "en") -> Session:
    """An in-memory walk of the draft (nothing is stored): a session on the draft plus the rest."""
    trees = check.preview_trees()
    assert check.tree is not None
    return Session.start(trees, check.tree.id, mode=mode, locale=locale)


# -- pictures --------------------------------------------------------------------------------------


def neighbourhood(tree: Tree, node_id: str, hops: int = 2) -> set[str]:
    """Node ids within ``hops`` links of ``node_id``, following links either way."""
    g = build_graph(tree)
    if node_id not in g:
        return set()
    return set(nx.ego_graph(g, node_id, radius=hops, undirected=True).nodes)


def graph_nodes(tree: Tree, selected: str | None = None, limit: int = GRAPH_LIMIT, hops: int = 2) -> set[str]:
    """The nodes to draw: all of a small tree, or the neighbourhood of the selected node (else the start)."""
    ids = tree.by_id
    if len(ids) <= limit:
        return set(ids)
    centre = selected if selected in ids else tree.start
    return neighbourhood(tree, centre, hops) or {centre}


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def tree_dot(
    tree: Tree,
    selected: str | None = None,
    flagged: Mapping[str, int] | Iterable[str] = (),
    locale: str = "en",
    limit: int = GRAPH_LIMIT,
    hops: int = 2,
) -> str:
    """Graphviz DOT of a tree (or, above ``limit`` nodes, the ``hops`` neighbourhood of ``selected``).

    Outcomes are filled in their kind's colour, the selected node has a thick red border, flagged nodes
    carry ⚑ and their count, links to missing nodes end in a dashed red "missing" box, and nodes with
    links to nodes not drawn say how many.
    """
    flags = dict(flagged) if isinstance(flagged, Mapping) else dict.fromkeys(flagged, 1)
    ids = tree.by_id
    shown = graph_nodes(tree, selected, limit, hops)
    shapes = {"question": "diamond", "action": "box", "collect": "parallelogram", "logic": "hexagon"}
    lines = [f"digraph {_q(tree.id)} {{", "  rankdir=TB;", '  node [fontname="Helvetica", fontsize=10];']
    missing: set[str] = set()
    edges: list[str] = []
    for node in tree.nodes:
        if node.id not in shown:
            continue
        hidden = 0
        for label, target, _ in node.links():
            text = label.removeprefix("option ").strip("'")
            if target not in ids:
                missing.add(target)
            elif target not in shown:
                hidden += 1
                continue
            edges.append(f"  {_q(node.id)} -> {_q(target)} [label={_q(text)}];")
        hidden += sum(
            1 for src in ids.values() if src.id not in shown for _, t, _ in src.links() if t == node.id
        )
        label = f"{node.id}\n{node_label(node, locale, 36)}"
        attrs: dict[str, str] = {"shape": shapes.get(node.kind, "box")}
        styles: list[str] = []
        if node.kind == "outcome":
            colour = OUTCOME_COLOURS[str(getattr(node, "outcome", "resolved"))]
            attrs.update(shape="ellipse", fillcolor=colour, fontcolor="white")
            styles.append("filled")
        if node.id == tree.start:
            attrs["penwidth"] = "2"
        if node.id in flags:
            label = f"⚑ {flags[node.id]} · {label}"
            attrs["color"] = "#b71c1c"
            styles.append("dashed")
        if hidden:
            label += f"\n(+{hidden} links not shown)"
        if node.id == selected:
            attrs.update(color="#d50000", penwidth="4")
            styles.append("bold")
        if styles:
            attrs["style"] = ",".join(styles)
        attrs["label"] = label
        lines.append(f"  {_q(node.id)} [{', '.join(f'{k}={_q(v)}' for k, v in attrs.items())}];")
    for target in sorted(missing):
        lines.append(
            f'  {_q(target)} [label={_q(target + chr(10) + "(missing)")}, shape="box", '
            'style="dashed", color="#d50000", fontcolor="#d50000"];'
        )
    lines += edges
    lines.append("}")
    return "\n".join(lines) + "\n"
