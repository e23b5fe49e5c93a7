"""Reading tree files: YAML in, a :class:`~triage.trees.model.Tree` or diagnostics out.

Tree files are YAML 1.2 (as the studio's round-trip editor, ruamel.yaml, reads them too): ``yes``,
``no``, ``on`` and ``off`` are words, not booleans, and a key given twice in one mapping is an error.
They are parsed by ryaml (Rust's serde-yaml, about 10x faster than PyYAML with libyaml on a large tree). Line numbers
are worked out only when there is something to report, from a second, position-keeping pass with PyYAML
over the same text, so a clean file pays nothing for them; a file ryaml refuses is read again by
PyYAML too, whose messages and marks explain a syntax error best. (yaml-rs, faster still, was tried and
dropped: it crashed the app server with a segmentation fault when called from Streamlit's script threads.)

Nothing a file holds may cost more than its size allows (see :mod:`triage.trees.yamlsafe`): a file over
``limits().tree_file_bytes`` is not read, and a file with anchors or deep brackets is scanned by libyaml
before ryaml may expand it. Results are kept by content hash (:mod:`triage.trees.parsecache`), so a file
read again unchanged is not parsed again.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import re
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ryaml
import yaml
from pydantic import ValidationError

from triage.errors import Diagnostic, Severity, TreeError
from triage.limits import limits
from triage.trees.model import Tree
from triage.trees.parsecache import ParseCache, Parsed, content_key
from triage.trees.schema_messages import Written, hidden_numbers, precheck, scenario_fact_problems, translate
from triage.trees.yamlsafe import alias_budget_refusal, needs_scan, read_limited, syntax_diagnostic, too_big

__all__ = [
    "PARSE_CACHE",
    "LoadedTree",
    "LineIndex",
    "find_tree_files",
    "load_tree",
    "parse_tree",
    "tree_from_text",
    "written_at",
]

PARSE_CACHE = ParseCache()
"""Parse results of this process by content hash; ``PARSE_CACHE.clear()`` forgets them."""

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


Loc = tuple[str | int, ...]


@dataclass
class _Frame:
    """A collection open in the event stream: where it is, and where its next child goes."""

    loc: Loc | None  # None inside a complex key, whose contents are nobody's location
    is_map: bool
    key: str | int = 0  # of a mapping: the key just read
    index: int = 0  # of a sequence: the next item's
    expecting_key: bool = True
    flow: bool = False  # written in brackets: {...} or [...]


class LineIndex:
    """Maps a location inside the YAML data (``("nodes", 3, "next")``) to its 1-based line.

    Lines come from libyaml's event stream, on demand: given the locations wanted, reading stops once each
    of them (and each enclosing one) is seen, so the first errors of a 3 MB file cost a few lines of parsing,
    and nothing is built (no node graph: aliases cost nothing). Without ``locs`` every location is indexed.
    """

    def __init__(self, text: str, locs: Iterable[Sequence[str | int]] | None = None) -> None:
        self._text = text
        self._lines: dict[Loc, int] = {}
        self._complete = False
        self.find(locs)

    def find(self, locs: Iterable[Sequence[str | int]] | None = None) -> None:
        """Record the lines of ``locs`` and of their enclosing locations (of every location if ``None``)."""
        if self._complete:
            return
        wanted = None
        if locs is not None:
            wanted = {tuple(loc)[:n] for loc in locs for n in range(len(loc) + 1)} - self._lines.keys()
            if not wanted:
                return
        with contextlib.suppress(yaml.YAMLError):  # a syntax error: what came before it is all there is
            self._scan(wanted)
        self._complete = wanted is None

    def _scan(self, wanted: set[Loc] | None) -> None:
        frames: list[_Frame] = []
        for event in yaml.parse(self._text, Loader=_Loader):
            if isinstance(event, yaml.CollectionEndEvent):
                frames.pop()
                continue
            if not isinstance(event, yaml.NodeEvent):
                continue
            loc, is_key = self._place(frames, event)
            if loc is not None and (wanted is None or loc in wanted):
                line = event.start_mark.line + 1 if event.start_mark is not None else 0
                # a mapping's key line is where an author looks for "this field": the value does not replace it
                self._lines[loc] = line if is_key else self._lines.get(loc, line)
                if wanted is not None:
                    wanted.discard(loc)
                    if not wanted:
                        return
            if isinstance(event, yaml.CollectionStartEvent):
                frames.append(self.opened(loc, is_key, event))

    @staticmethod
    def _place(frames: list[_Frame], event: yaml.NodeEvent) -> tuple[Loc | None, bool]:
        """Where ``event``'s node sits, and whether it is a mapping key; moves its parent on by one child."""
        if not frames:
            return (), False
        parent = frames[-1]
        if parent.is_map and parent.expecting_key:
            parent.expecting_key = False
            parent.key = event.value if isinstance(event, yaml.ScalarEvent) else -1
            is_scalar = isinstance(event, yaml.ScalarEvent)
            return ((*parent.loc, parent.key) if parent.loc is not None and is_scalar else None), True
        if parent.is_map:
            parent.expecting_key = True
            child = parent.key
        else:
            child, parent.index = parent.index, parent.index + 1
        return ((*parent.loc, child) if parent.loc is not None else None), False

    @staticmethod
    def opened(loc: Loc | None, is_key: bool, event: yaml.CollectionStartEvent) -> _Frame:
        """The frame a collection opens (a complex key's contents are nobody's location)."""
        is_map = isinstance(event, yaml.MappingStartEvent)
        return _Frame(None if is_key else loc, is_map, flow=bool(event.flow_style))

    def line(self, loc: Sequence[str | int]) -> int | None:
        """The line of ``loc``, or of its nearest enclosing location that has one."""
        loc = tuple(loc)
        while True:
            if loc in self._lines:
                return self._lines[loc]
            if not loc:
                return None
            loc = loc[:-1]


def written_at(text: str, locs: Iterable[Sequence[str | int]]) -> dict[Loc, Written]:
    """How the values at ``locs`` are written: a plain scalar's characters (``0x80070005``, not the number YAML
    makes of it), and whether the value sits inside brackets. Reading stops once every one is seen."""
    wanted = {tuple(loc) for loc in locs}
    out: dict[Loc, Written] = {}
    frames: list[_Frame] = []
    with contextlib.suppress(yaml.YAMLError):
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.CollectionEndEvent):
                frames.pop()
                continue
            if not isinstance(event, yaml.NodeEvent):
                continue
            flow = bool(frames) and frames[-1].flow
            loc, is_key = LineIndex._place(frames, event)
            if isinstance(event, yaml.CollectionStartEvent):
                frames.append(LineIndex.opened(loc, is_key, event))
            if loc not in wanted or is_key:
                continue
            # a plain scalar's style is None (PyYAML) or "" (libyaml); a quoted one's is its quote
            plain = isinstance(event, yaml.ScalarEvent) and not event.style
            out[loc] = Written(event.value if isinstance(event, yaml.ScalarEvent) and plain else None, flow)
            if len(out) == len(wanted):
                break
    return out


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
        return content_key(_utf8(self.text))

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
        diags = list(diags)
        need = [d.loc for d in diags if d.line is None and d.loc]
        if need:
            if self._index is None:
                self._index = LineIndex(self.text, need)
            else:
                self._index.find(need)
        out = []
        for d in diags:
            update: dict[str, Any] = {"path": self.path}
            if d.line is None and d.loc and self._index is not None:
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


def _fast_refusal(text: str, path: str, exc: BaseException, data: Any) -> Diagnostic:
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


def _utf8(text: str) -> bytes:
    # a lone surrogate (pasted into the studio) must not make hashing raise
    return text.encode("utf-8", "surrogatepass")


def _lone_surrogate(text: str, path: str) -> Diagnostic | None:
    """A text that is not Unicode (a lone surrogate, pasted) can be neither hashed as UTF-8 nor parsed."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return Diagnostic(
            severity=Severity.ERROR,
            code="yaml-syntax",
            message=f"this text holds a broken character (U+{ord(text[exc.start]):04X} at character {exc.start + 1:,})",
            path=path,
            hint="remove it: a tree file is plain UTF-8 text",
        )
    return None


def parse_tree(text: str, path: str = "<tree>") -> LoadedTree:
    """Parse one tree from YAML text. Never raises for bad content: look at ``.diagnostics``.

    A text seen before (same bytes, same limits) is not parsed again: see :data:`PARSE_CACHE`.
    """
    data = _utf8(text)
    if len(data) > limits().tree_file_bytes:
        return LoadedTree(path=path, text="", tree=None, diagnostics=[too_big(path, len(data))])
    key = (content_key(data), limits().yaml_alias_nodes)
    parsed = PARSE_CACHE.get(key)
    if parsed is None:
        with gc_paused():
            loaded = _parse_tree(text, path)
        parsed = Parsed(loaded.raw, loaded.tree, tuple(loaded.diagnostics), len(data))
        PARSE_CACHE.put(key, parsed)
        return loaded
    diagnostics = [d if d.path == path else d.model_copy(update={"path": path}) for d in parsed.diagnostics]
    return LoadedTree(path=path, text=text, tree=parsed.tree, diagnostics=diagnostics, raw=parsed.raw)


def _parse_tree(text: str, path: str) -> LoadedTree:
    loaded = LoadedTree(path=path, text=text, tree=None)
    refusal = _lone_surrogate(text, path) or (alias_budget_refusal(text, path) if needs_scan(text) else None)
    if refusal is not None:
        loaded.diagnostics.append(refusal)
        return loaded
    try:
        raw = ryaml.loads(text)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as fast:  # InvalidYamlError, ValueError, and pyo3's PanicException (a BaseException)
        data, syntax = _pyyaml_read(text, path)
        loaded.diagnostics.append(syntax or _fast_refusal(text, path, fast, data))
        return loaded
    loaded.raw = raw
    pre = precheck(raw)
    if pre:
        loaded.add(pre)
        if any(d.code in ("not-a-mapping", "unknown-fields") for d in pre):
            return loaded
    written = functools.partial(written_at, text)
    try:
        loaded.tree = Tree.model_validate(raw)
    except ValidationError as exc:
        loaded.add(translate(raw, exc, written))
    if isinstance(raw.get("scenarios"), list):
        loaded.add(scenario_fact_problems(raw, written, numbers=hidden_numbers(text)))
    return loaded


def _pyyaml_read(text: str, path: str) -> tuple[Any, Diagnostic | None]:
    """The text as PyYAML reads it, or PyYAML's account of a syntax error (its marks point where the author
    must look)."""
    try:
        return yaml.load(text, Loader=_Loader), None  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        return None, syntax_diagnostic(exc, path)
    except (ValueError, RecursionError):  # e.g. an int past sys.get_int_max_str_digits(): ryaml's account
        return None, None


def tree_from_text(text: str, path: str = "<tree>") -> Tree:
    """Parse a tree and return it, or raise :class:`TreeError` for shape errors."""
    return parse_tree(text, path).raise_for_errors()


def load_tree(path: str | Path) -> LoadedTree:
    """Read and parse one tree file."""
    p = Path(path)
    try:
        data = read_limited(p)
        if data is None:
            return LoadedTree(path=str(path), text="", tree=None, diagnostics=[too_big(str(path), _size(p))])
        text = data.decode("utf-8")
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


def _size(p: Path) -> int | None:
    try:
        return p.stat().st_size or None  # a device or pipe says 0
    except OSError:
        return None


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
