"""Reading tree files: YAML in, a :class:`~triage.trees.model.Tree` or diagnostics out.

Tree files are YAML 1.2 (as the studio's round-trip editor, ruamel.yaml, reads them too): ``yes``,
``no``, ``on`` and ``off`` are words, not booleans, and a key given twice in one mapping is an error.
They are parsed by ryaml (Rust's serde-yaml, about 10x faster than PyYAML with libyaml on a large tree). Line numbers
are worked out only when there is something to report, from a second, position-keeping pass with PyYAML
over the same text, so a clean file pays nothing for them; a file ryaml refuses is read again by
PyYAML too, whose messages and marks explain a syntax error best. (yaml-rs, faster still, was tried and
dropped: it crashed the app server with a segmentation fault when called from Streamlit's script threads.)
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import re
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ryaml
import yaml
from pydantic import ValidationError

from triage.errors import Diagnostic, Severity, TreeError, did_you_mean
from triage.trees.model import (
    LOCALE_PATTERN,
    NODE_KINDS,
    OUTCOME_KINDS,
    ActionNode,
    CallNode,
    CollectNode,
    EscalateOutcome,
    Fact,
    Fault,
    FixGroupNode,
    LogicNode,
    LogicRule,
    Option,
    QuestionNode,
    ResolvedOutcome,
    ReturnNode,
    Scenario,
    Tree,
    VisitOutcome,
)

__all__ = ["LoadedTree", "LineIndex", "find_tree_files", "load_tree", "parse_tree", "tree_from_text"]

_LOCALE_RE = re.compile(LOCALE_PATTERN)
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_KIND_MODELS: dict[str, type[Any]] = {
    "question": QuestionNode,
    "action": ActionNode,
    "collect": CollectNode,
    "logic": LogicNode,
    "call": CallNode,
    "return": ReturnNode,
    "fix_group": FixGroupNode,
    "resolved": ResolvedOutcome,
    "escalate": EscalateOutcome,
    "visit": VisitOutcome,
}
_SUB_MODELS: dict[str, type[Any]] = {
    "options": Option,
    "rules": LogicRule,
    "scenarios": Scenario,
    "faults": Fault,
}


class LineIndex:
    """Maps a location inside the YAML data (``("nodes", 3, "next")``) to its 1-based line."""

    def __init__(self, text: str) -> None:
        self._lines: dict[tuple[str | int, ...], int] = {}
        try:
            root = yaml.compose(text, Loader=_Loader)
        except yaml.YAMLError:
            return
        if root is not None:
            self._walk(root, ())

    def _walk(self, node: yaml.Node, loc: tuple[str | int, ...]) -> None:
        self._lines[loc] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                k = key.value if isinstance(key, yaml.ScalarNode) else str(key.value)
                self._walk(value, (*loc, k))
                # a mapping's key line is where an author looks for "this field"
                self._lines[(*loc, k)] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, (*loc, i))

    def line(self, loc: Sequence[str | int]) -> int | None:
        """The line of ``loc``, or of its nearest enclosing location that has one."""
        loc = tuple(loc)
        while True:
            if loc in self._lines:
                return self._lines[loc]
            if not loc:
                return None
            loc = loc[:-1]


@dataclass
class LoadedTree:
    """One tree file after loading: the tree (``None`` if it could not be built) and what was found."""

    path: str
    text: str
    tree: Tree | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    raw: Any = None
    _index: LineIndex | None = field(default=None, repr=False)

    @property
    def digest(self) -> str:
        """SHA-256 of the file text: the identity of this exact version."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def ok(self) -> bool:
        return self.tree is not None and not any(d.is_error for d in self.diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]

    def locate(self, diags: Iterable[Diagnostic]) -> list[Diagnostic]:
        """Fill in path, line and node id for diagnostics that carry only a location."""
        out = []
        for d in diags:
            update: dict[str, Any] = {"path": self.path}
            if d.line is None and d.loc:
                if self._index is None:
                    self._index = LineIndex(self.text)
                update["line"] = self._index.line(d.loc)
            if d.node_id is None:
                update["node_id"] = _node_id_at(self.raw, d.loc)
            if self.tree is not None and d.tree_id is None:
                update["tree_id"] = self.tree.id
            out.append(d.model_copy(update=update))
        return out

    def add(self, diags: Iterable[Diagnostic]) -> None:
        self.diagnostics.extend(self.locate(diags))

    def raise_for_errors(self) -> Tree:
        """The tree, or :class:`TreeError` listing every error."""
        if self.tree is None or self.errors:
            raise TreeError(self.errors or self.diagnostics)
        return self.tree


def _node_id_at(raw: Any, loc: Sequence[str | int]) -> str | None:
    if len(loc) >= 2 and loc[0] == "nodes" and isinstance(raw, dict):
        nodes = raw.get("nodes")
        idx = loc[1]
        if isinstance(nodes, list) and isinstance(idx, int) and 0 <= idx < len(nodes):
            node = nodes[idx]
            node_id = node.get("id") if isinstance(node, dict) else None
            if isinstance(node_id, str):
                return node_id
    return None


def _error(code: str, message: str, loc: tuple[str | int, ...] = (), hint: str | None = None) -> Diagnostic:
    return Diagnostic(severity=Severity.ERROR, code=code, message=message, loc=loc, hint=hint)


def _precheck(raw: Any) -> list[Diagnostic]:
    """Shape problems pydantic would report poorly: unknown kinds, missing ids."""
    if not isinstance(raw, dict):
        found = type(raw).__name__ if raw is not None else "an empty file"
        return [_error("not-a-mapping", f"a tree file must be a mapping of fields (got {found})")]
    nodes = raw.get("nodes")
    if not isinstance(nodes, list):
        return []
    out: list[Diagnostic] = []
    for i, node in enumerate(nodes):
        if not isinstance(node, dict):
            out.append(_error("bad-node", f"node #{i + 1} must be a mapping of fields", ("nodes", i)))
            continue
        if "id" not in node:
            out.append(
                _error(
                    "missing-id", f"node #{i + 1} has no `id`", ("nodes", i), "give every node a unique id"
                )
            )
        kind = node.get("kind")
        if kind is None:
            out.append(
                _error("missing-kind", "has no `kind`", ("nodes", i), f"use one of: {', '.join(NODE_KINDS)}")
            )
        elif kind not in NODE_KINDS:
            hint = did_you_mean(str(kind), NODE_KINDS) or f"use one of: {', '.join(NODE_KINDS)}"
            out.append(_error("unknown-kind", f"unknown kind {kind!r}", ("nodes", i, "kind"), hint))
        elif kind == "outcome":
            outcome = node.get("outcome")
            if outcome not in OUTCOME_KINDS:
                got = "no `outcome`" if outcome is None else f"unknown outcome {outcome!r}"
                hint = (did_you_mean(str(outcome), OUTCOME_KINDS) if outcome else None) or (
                    f"use one of: {', '.join(OUTCOME_KINDS)}"
                )
                out.append(_error("unknown-outcome", got, ("nodes", i, "outcome"), hint))
    return out


def _model_for(raw: Any, loc: Sequence[str | int]) -> type[Any] | None:
    """The model class whose fields sit at ``loc`` in the raw data."""
    model: type[Any] | None = Tree
    cur = raw
    for part in loc:
        if isinstance(cur, dict):
            if part not in cur:
                return model
            cur = cur[part]
            if part == "nodes":
                model = None
            elif isinstance(part, str) and part in _SUB_MODELS:
                model = _SUB_MODELS[part]
            elif part == "facts" and model is Tree:
                model = None
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            cur = cur[part]
            if model is None and isinstance(cur, dict):
                kind = cur.get("kind")
                key = cur.get("outcome") if kind == "outcome" else kind
                model = _KIND_MODELS.get(str(key)) or Fact
        else:
            return model
    return model


def _data_loc(loc: Sequence[str | int]) -> tuple[str | int, ...]:
    """Drop the discriminator tags pydantic puts in locations, keeping the path through the data."""
    loc = tuple(loc)
    if len(loc) > 2 and loc[0] == "nodes" and loc[2] in NODE_KINDS:
        # ("nodes", i, "question", ...) or ("nodes", i, "outcome", "escalate", ...)
        skip = 2 if loc[2] == "outcome" and len(loc) > 3 and loc[3] in OUTCOME_KINDS else 1
        loc = loc[:2] + loc[2 + skip :]
    # the location itself is already the path through the data once the tags are gone
    return loc


_MISSING = object()


def _child(cur: Any, part: str | int) -> Any:
    if isinstance(cur, dict):
        return cur.get(part, _MISSING)
    if isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
        return cur[part]
    return _MISSING


def _lookup(raw: Any, loc: Sequence[str | int]) -> Any:
    cur = raw
    for part in loc:
        cur = _child(cur, part)
        if cur is _MISSING:
            return None
    return cur


def _text_error(raw: Any, loc: tuple[str | int, ...]) -> Diagnostic:
    """One clear message for a text field that is neither a string nor a locale map."""
    value = _lookup(raw, loc)
    name = next((p for p in reversed(loc) if isinstance(p, str)), "text")
    hint = "write plain text, or a map such as {en: ..., de: ...}"
    if isinstance(value, dict):
        bad = [k for k, v in value.items() if not isinstance(v, str) or not _LOCALE_RE.match(str(k))]
        got = f"a map with key {bad[0]!r}" if bad else "a map"
        if any(value.get(k) is None for k in bad):
            hint = "text with a comma or colon inside {...} must be in quotes"
    else:
        got = f"a {type(value).__name__}"
    return _error("bad-text", f"`{name}` must be text or a map of locale to text (got {got})", loc, hint)


_PLACES = {"scenarios": "scenario", "faults": "fault", "options": "option", "rules": "rule"}


def _place(loc: Sequence[str | int]) -> str:
    """Where outside a node's own fields an error sits, in words: 'scenario #2', 'option #1'."""
    words = []
    start = 2 if len(loc) >= 2 and loc[0] == "nodes" else 0
    for a, b in zip(loc[start:], loc[start + 1 :], strict=False):
        if isinstance(a, str) and isinstance(b, int) and a in _PLACES:
            words.append(f"{_PLACES[a]} #{b + 1}")
    if start == 0 and len(loc) >= 2 and loc[0] == "facts":
        words.append(f"fact {loc[1]!r}")
    return ", ".join(words)


def _translate(raw: Any, exc: ValidationError) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    seen: set[tuple[tuple[str | int, ...], str]] = set()
    text_fields: set[tuple[str | int, ...]] = set()
    for err in exc.errors(include_url=False):
        full = tuple(err["loc"])
        member = next((i for i, p in enumerate(full) if p in ("str", "dict[constrained-str,str]")), None)
        if member is not None:
            where = _data_loc(full[:member])
            if where not in text_fields:
                text_fields.add(where)
                out.append(_text_error(raw, where))
            continue
        loc = _data_loc(err["loc"])
        kind = err["type"]
        field_name = loc[-1] if loc else None
        parent = loc[:-1]
        if kind == "missing":
            msg, hint, where = f"missing required field `{field_name}`", None, parent
        elif kind == "extra_forbidden":
            model = _model_for(raw, parent)
            fields = list(model.model_fields) if model is not None else []
            msg = f"unknown field `{field_name}`"
            hint = did_you_mean(str(field_name), fields) or (
                f"allowed: {', '.join(fields)}" if fields else None
            )
            where = loc
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            continue  # reported with a better message by _precheck
        else:
            text = err["msg"].removeprefix("Value error, ")
            got = err.get("input")
            shown = f" (got {got!r})" if not isinstance(got, dict | list) and got is not None else ""
            label = f"`{field_name}`" if isinstance(field_name, str) else "value"
            msg, hint, where = f"{label}: {text}{shown}", None, loc
            if kind == "string_type" and isinstance(got, bool):
                hint = "YAML reads true and false as booleans; put the word in quotes"
        prefix = _place(loc)
        if prefix:
            msg = f"{prefix}: {msg}"
        key = (where, msg)
        if key in seen:
            continue
        seen.add(key)
        out.append(_error(f"schema-{kind}", msg, where, hint))
    return out


_AT_LINE = re.compile(r"at line (\d+)")
_DUPLICATE = re.compile(r'duplicate entry with key "(?P<key>.*?)"')


def _duplicate_key_line(text: str, key: str) -> tuple[int | None, tuple[str | int, ...]]:
    """Where ``key`` appears a second time in one mapping: (1-based line, data location)."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return None, ()
    queue: deque[tuple[yaml.Node, tuple[str | int, ...]]] = deque([(root, ())] if root is not None else [])
    while queue:
        node, loc = queue.popleft()
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for k, v in node.value:
                name = str(k.value)
                if name == key and name in seen:
                    return k.start_mark.line + 1, (*loc, name)
                seen.add(name)
                queue.append((v, (*loc, name)))
        elif isinstance(node, yaml.SequenceNode):
            queue.extend((item, (*loc, i)) for i, item in enumerate(node.value))
    return None, ()


def _fast_refusal(text: str, path: str, exc: ValueError, data: Any) -> Diagnostic:
    """ryaml refused text PyYAML reads (as ``data``): a key given twice, or YAML 1.2 strictness."""
    message = str(exc)
    dup = _DUPLICATE.search(message)
    if dup:
        line, loc = _duplicate_key_line(text, dup["key"])
        return Diagnostic(
            severity=Severity.ERROR,
            code="duplicate-key",
            message=f"key `{dup['key']}` is given twice in the same mapping",
            path=path,
            line=line,
            loc=loc,
            node_id=_node_id_at(data, loc),  # as PyYAML read it (the last one wins)
            hint="keep one of them: YAML would silently drop the other",
        )
    at = _AT_LINE.search(message)
    problem = message.strip().splitlines()[-1].split(" at line ")[0]
    return Diagnostic(
        severity=Severity.ERROR,
        code="yaml",
        message=f"this is not valid YAML: {problem}",
        path=path,
        line=int(at[1]) if at else None,
        hint="check the indentation and quoting on this line and the one before",
    )


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: building a large tree makes hundreds of thousands of objects, none
    of them garbage, and each generation-0 threshold crossed would rescan the growing heap (about 1.6x the
    time of a 40k-node load). Nested uses leave it to the outermost one to turn collection back on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def parse_tree(text: str, path: str = "<tree>") -> LoadedTree:
    """Parse one tree from YAML text. Never raises for bad content: look at ``.diagnostics``."""
    with gc_paused():
        return _parse_tree(text, path)


def _parse_tree(text: str, path: str) -> LoadedTree:
    loaded = LoadedTree(path=path, text=text, tree=None)
    try:
        raw = ryaml.loads(text)
    except ValueError as fast:  # InvalidYamlError, and the plain ValueError ryaml raises for a list as a key
        data, syntax = _pyyaml_read(text, path)
        loaded.diagnostics.append(syntax or _fast_refusal(text, path, fast, data))
        return loaded
    loaded.raw = raw
    pre = _precheck(raw)
    if pre:
        loaded.add(pre)
        if any(d.code == "not-a-mapping" for d in pre):
            return loaded
    try:
        loaded.tree = Tree.model_validate(raw)
    except ValidationError as exc:
        loaded.add(_translate(raw, exc))
    return loaded


def _pyyaml_read(text: str, path: str) -> tuple[Any, Diagnostic | None]:
    """The text as PyYAML reads it, or PyYAML's account of a syntax error (its marks point where the author
    must look)."""
    try:
        return yaml.load(text, Loader=_Loader), None  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        context_mark = getattr(exc, "context_mark", None)
        if context_mark is not None and "end of stream" in problem:
            # an unclosed quote or bracket: point at where it opened, not at the end of the file
            what = context.removeprefix("while scanning ") if context else "a value"
            mark, problem = context_mark, f"{what} is never closed"
            context = None
        msg = f"this is not valid YAML: {problem}" + (f" ({context})" if context else "")
        return None, Diagnostic(
            severity=Severity.ERROR,
            code="yaml",
            message=msg,
            path=path,
            line=mark.line + 1 if mark is not None else None,
            hint="check the indentation and quoting on this line and the one before",
        )


def tree_from_text(text: str, path: str = "<tree>") -> Tree:
    """Parse a tree and return it, or raise :class:`TreeError` for shape errors."""
    return parse_tree(text, path).raise_for_errors()


def load_tree(path: str | Path) -> LoadedTree:
    """Read and parse one tree file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return LoadedTree(
            path=str(path),
            text="",
            tree=None,
            diagnostics=[
                Diagnostic(
                    severity=Severity.ERROR,
                    code="unreadable",
                    message=f"cannot read the file: {exc}",
                    path=str(path),
                    hint="check that the path exists and the file is UTF-8 text",
                )
            ],
        )
    return parse_tree(text, str(path))


def find_tree_files(paths: Iterable[str | Path]) -> list[Path]:
    """Every ``.yaml``/``.yml`` file named or found below the given paths, sorted; each file once.

    A file reached twice (``trees/`` and ``/abs/trees/``) keeps the spelling it was first found under.
    """
    out: dict[Path, Path] = {}
    for p in map(Path, paths):
        found = (
            sorted(q for q in p.rglob("*") if q.suffix in (".yaml", ".yml") and q.is_file())
            if p.is_dir()
            else [p]
        )
        for q in found:
            out.setdefault(q.resolve(), q)
    return sorted(out.values())
