"""A small, safe condition language for logic nodes. Parsed, never ``eval``-ed.

Grammar::

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := value (OP value | ["not"] "in" value)?
    OP      := "==" | "!=" | "<" | "<=" | ">" | ">=" | TEXT_OP
    TEXT_OP := "~=" | "!~" | "startswith" | "endswith" | "contains"
    value   := NUMBER | STRING | "true" | "false" | "null" | NAME | call
             | "[" [value ("," value)*] "]" | "(" expr ")"
    call    := "visits" "(" STRING ")" | ("count" | "lower") "(" (NAME | STRING) ")"

``NAME`` is a fact. A fact that is not set is ``null``; comparing ``null`` with ``<``
is false rather than an error, so a missing fact never crashes a session.

Text operators ignore case, because customers type "Error 0x8007..." as often as "error 0x8007...": ``a ~= b``
is equal ignoring case and ``a !~ b`` its negation; ``startswith``, ``endswith`` and ``contains`` test text
ignoring case. ``contains`` on a list (a multi-select fact such as ``lights == ['power', 'dsl']``) is
membership ignoring case; on text it finds a piece of it. An operand that is not text (``null``, a number, a
boolean) makes them false (``!~`` true), never an error. Functions take one fact name or quoted text:
``visits('node_id')`` is how often this walk reached that node (0 if never), ``count(fact)`` the items in a
list fact (1 for any other value set, 0 for ``null`` or empty text), ``lower(fact)`` the text in lower case
(``null`` if not text). The operator and function words are fact names anywhere else, so a fact called
``count`` still reads.

Tree files are pasted from anywhere, so a condition is bounded before it is read: its length, how deep
parentheses, brackets and ``not`` nest, how many terms ``and`` / ``or`` join, how many items a list holds
and how many digits a number has (:class:`~triage.limits.Limits`, each set by a ``TRIAGE_LIMIT_*``
variable). The parser and the evaluator keep their own stacks instead of recursing, and ``and`` / ``or``
chains become one flat node, so no input can exhaust Python's stack; every failure is a
:class:`ConditionError` with the column, and a condition that parses always evaluates.

>>> c = parse("lights >= 3 and dsl_light in ['green', 'amber']")
>>> sorted(c.facts)
['dsl_light', 'lights']
>>> c.evaluate({"lights": 4, "dsl_light": "green"})
True
>>> c = parse("message startswith 'error 0x8007' and visits('restart_router') < 2")
>>> sorted(c.facts), sorted(c.nodes)
(['message'], ['restart_router'])
>>> c.evaluate({"message": "Error 0x80070005"}, visits={"restart_router": 1})
True
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from triage.errors import ConditionError, did_you_mean
from triage.limits import ENV_PREFIX, Limits, limits

__all__ = ["Condition", "ConditionError", "parse"]

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<op>==|!=|!~|~=|<=|>=|<|>|\(|\)|\[|\]|,)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<bad>.)
    """,
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "true", "false", "null"}
_CONSTS: dict[str, Any] = {"true": True, "false": False, "null": None}
_CMP_OPS = ("==", "!=", "<", "<=", ">", ">=", "~=", "!~")
_WORD_OPS = ("in", "startswith", "endswith", "contains")
"""Operators spelt as words: ``in`` is a keyword, the others are fact names where no operator can stand."""
_FUNCTIONS = ("count", "lower", "visits")


def _found(tok: _Tok) -> str:
    """How an error names ``tok``: quoted, or "the end"."""
    return repr(tok.text) if tok.kind != "end" else "the end"


def _unescape(text: str) -> str:
    """The text of a quoted string token."""
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _unknown_function(name: str) -> str:
    close = did_you_mean(name, _FUNCTIONS)
    return (
        f"unknown function {name!r} ({close + ' ' if close else ''}the functions are {', '.join(_FUNCTIONS)})"
    )


def _too_many(what: str, limit: int, field_name: str) -> str:
    """``what`` went past a limit: ``"<what>; the limit is 32 (TRIAGE_LIMIT_CONDITION_DEPTH)"``."""
    return f"{what}; the limit is {limit:,} ({ENV_PREFIX}{field_name.upper()})"


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    pos: int


def _tokenize(src: str, lim: Limits) -> list[_Tok]:
    """The tokens of ``src``, refusing a stray character or a number with too many digits."""
    toks: list[_Tok] = []
    for m in _TOKEN.finditer(src):
        kind = m.lastgroup or "bad"
        text = m.group()
        if kind == "ws":
            continue
        if kind == "bad":
            hint = " (use '==' to compare)" if text == "=" else ""
            raise ConditionError(f"unexpected character {text!r}{hint}", src, m.start() + 1)
        if kind == "num":
            digits = sum(c.isdigit() for c in text)
            if digits > lim.number_digits:
                msg = _too_many(f"a number has {digits:,} digits", lim.number_digits, "number_digits")
                raise ConditionError(msg, src, m.start() + 1)
        if kind == "name" and text in _KEYWORDS:
            kind = "kw"
        toks.append(_Tok(kind, text, m.start()))
    toks.append(_Tok("end", "", len(src)))
    return toks


# -- bounds: measured on the tokens before any tree of nodes is built ---------------------------------


@dataclass
class _Open:
    """A bracket still open while measuring, or the whole condition (``kind`` ``""``)."""

    kind: str
    nots: int = 0
    """``not``s read since the last ``and`` / ``or`` / ``,`` at this level: each nests what follows."""
    items: int = 1
    """Items so far, if a list."""


@dataclass
class _Extreme:
    """The largest value of one measure, and the column where it first went past its limit."""

    limit: int
    most: int = 0
    column: int = 0

    def see(self, value: int, pos: int) -> None:
        """Note ``value``, reached at the 0-based ``pos``."""
        self.most = max(self.most, value)
        if value > self.limit and not self.column:
            self.column = pos + 1


class _Measure:
    """How deep a condition nests, how many terms it joins, how many items its lists hold."""

    def __init__(self, lim: Limits) -> None:
        self.opened: list[_Open] = [_Open("")]
        self.depth = 0
        self.deepest = _Extreme(lim.condition_depth)
        self.terms = _Extreme(lim.condition_terms)
        self.items = _Extreme(lim.list_items)
        self.joins = 0

    def run(self, toks: list[_Tok]) -> None:
        """Measure ``toks`` in one pass; tokens the parser will refuse (a stray ``)``) are measured as well as may be."""
        for i, tok in enumerate(toks):
            if tok.kind == "kw":
                self._keyword(tok, toks[i + 1])
            elif tok.text in ("(", "["):
                self.opened.append(_Open(tok.text))
                self.depth += 1
                self.deepest.see(self.depth, tok.pos)
            elif tok.text in (")", "]") and len(self.opened) > 1:
                closed = self.opened.pop()
                self.depth -= 1 + closed.nots
            elif tok.text == ",":
                self._comma(tok)

    def _keyword(self, tok: _Tok, after: _Tok) -> None:
        here = self.opened[-1]
        if tok.text == "not" and after.text != "in":
            here.nots += 1
            self.depth += 1
            self.deepest.see(self.depth, tok.pos)
        elif tok.text in ("and", "or"):
            self.depth -= here.nots
            here.nots = 0
            self.joins += 1
            self.terms.see(self.joins + 1, tok.pos)

    def _comma(self, tok: _Tok) -> None:
        here = self.opened[-1]
        self.depth -= here.nots
        here.nots = 0
        if here.kind == "[":
            here.items += 1
            self.items.see(here.items, tok.pos)

    def check(self, src: str) -> None:
        """Raise :class:`ConditionError` for the first measure past its limit."""
        for extreme, what, name in (
            (self.deepest, "the condition nests {:,} deep", "condition_depth"),
            (self.terms, "the condition joins {:,} terms with 'and' / 'or'", "condition_terms"),
            (self.items, "a list holds {:,} items", "list_items"),
        ):
            if extreme.column:
                raise ConditionError(
                    _too_many(what.format(extreme.most), extreme.limit, name), src, extreme.column
                )


# -- parsing: an explicit stack of open groups, no recursion ----------------------------------------

# AST: tuples — ("const", v) ("fact", name) ("list", [..]) ("not", x) ("cmp", op, a, b)
# ("and", a, b, ...) ("or", a, b, ...): a chain of and/or is one flat node, however long;
# ("call", name, arg) where arg is a ("const", text) or ("fact", name), never another call, so calls nest nothing.
_Ast = tuple[Any, ...]


@dataclass
class _Group:
    """An expression being read: the whole condition (``opener`` None) or one in parentheses."""

    opener: _Tok | None
    ors: list[_Ast] = field(default_factory=list)
    ands: list[_Ast] = field(default_factory=list)
    nots: int = 0
    left: _Ast | None = None
    op: str = ""


@dataclass
class _List:
    """A ``[...]`` list being read."""

    opener: _Tok
    items: list[_Ast] = field(default_factory=list)


def _join(tag: str, parts: list[_Ast]) -> _Ast:
    return parts[0] if len(parts) == 1 else (tag, *parts)


class _Parser:
    """Reads one condition with a stack of open groups and lists, so nesting costs no Python stack."""

    def __init__(self, src: str, lim: Limits) -> None:
        self.src = src
        self.toks = _tokenize(src, lim)
        self.i = 0
        self.facts: set[str] = set()
        self.nodes: set[str] = set()
        self.stack: list[_Group | _List] = []

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def fail(self, message: str, tok: _Tok) -> ConditionError:
        return ConditionError(message, self.src, tok.pos + 1)

    def expect(self, text: str) -> None:
        tok = self.take()
        if tok.text != text:
            raise self.fail(f"expected {text!r} but found {_found(tok)}", tok)

    def parse(self) -> _Ast:
        if self.peek().kind == "end":
            raise ConditionError("empty condition", self.src, 1)
        self.stack.append(_Group(None))
        while True:
            top = self.stack[-1]
            got = self.read(operand=isinstance(top, _Group) and top.left is None)
            while got is not None:  # a value ends a list item or an operand, which may end a group, ...
                top = self.stack[-1]
                got = self.to_list(top, got) if isinstance(top, _List) else self.to_group(top, got)
                if not self.stack:
                    assert got is not None
                    return got

    def read(self, *, operand: bool) -> _Ast | None:
        """A value (after any ``not``s, if an ``operand``), or None when a ``(`` or ``[`` opened a group."""
        top = self.stack[-1]
        if operand and isinstance(top, _Group):
            while self.peek().kind == "kw" and self.peek().text == "not":
                self.take()
                top.nots += 1
        tok = self.take()
        if tok.kind == "op" and tok.text == "(":
            self.stack.append(_Group(tok))
            return None
        if tok.kind == "op" and tok.text == "[":
            if self.peek().text == "]":
                self.take()
                return ("list", [])
            self.stack.append(_List(tok))
            return None
        return self.atom(tok)

    def atom(self, tok: _Tok) -> _Ast:
        if tok.kind == "num":
            return ("const", self.number(tok))
        if tok.kind == "str":
            return ("const", _unescape(tok.text))
        if tok.kind == "kw" and tok.text in _CONSTS:
            return ("const", _CONSTS[tok.text])
        if tok.kind == "name" and self.peek().text == "(":
            return self.call(tok)
        if tok.kind == "name":
            self.facts.add(tok.text)
            return ("fact", tok.text)
        raise self.fail(f"expected a value but found {_found(tok)}", tok)

    def call(self, name: _Tok) -> _Ast:
        """``name(arg)``, its ``(`` next: one fact name or quoted text (a quoted node id for ``visits``)."""
        if name.text not in _FUNCTIONS:
            raise self.fail(_unknown_function(name.text), name)
        self.take()
        arg = self.take()
        if arg.kind == "name" and self.peek().text == "(":
            raise self.fail(f"{name.text}() takes a fact name or a quoted text, not another call", arg)
        if name.text == "visits":
            if arg.kind != "str":
                hint = f" (write visits('{arg.text}'))" if arg.kind == "name" else ""
                raise self.fail(f"expected a node id in quotes but found {_found(arg)}{hint}", arg)
            self.nodes.add(_unescape(arg.text))
        elif arg.kind not in ("name", "str"):
            raise self.fail(f"expected a fact name or a quoted text but found {_found(arg)}", arg)
        value = self.atom(arg)
        self.expect(")")
        return ("call", name.text, value)

    def number(self, tok: _Tok) -> int | float:
        try:
            return float(tok.text) if "." in tok.text else int(tok.text)
        except ValueError:  # past sys.get_int_max_str_digits(), if the digit limit was raised that high
            raise self.fail(f"the number {tok.text[:12]}... is too long for Python to read", tok) from None

    def to_list(self, lst: _List, item: _Ast) -> _Ast | None:
        """Add ``item``; the finished list once ``]`` closes it."""
        lst.items.append(item)
        if self.peek().text == ",":
            self.take()
            return None
        self.expect("]")
        self.stack.pop()
        return ("list", lst.items)

    def to_group(self, g: _Group, value: _Ast) -> _Ast | None:
        """Use ``value`` as an operand of ``g``; the finished expression once ``g`` ends."""
        op = self.comparison() if g.left is None else None
        if op is not None:
            self.i += 2 if op == "not in" else 1
            g.left, g.op = value, op
            return None
        item = value if g.left is None else ("cmp", g.op, g.left, value)
        for _ in range(g.nots):
            item = ("not", item)
        g.ands.append(item)
        g.left, g.op, g.nots = None, "", 0
        tok = self.peek()
        if tok.kind == "kw" and tok.text in ("and", "or"):
            self.take()
            if tok.text == "or":
                g.ors.append(_join("and", g.ands))
                g.ands = []
            return None
        return self.close(g)

    def comparison(self) -> str | None:
        """The comparison operator that comes next, if any."""
        tok = self.peek()
        if tok.kind == "op" and tok.text in _CMP_OPS or tok.kind in ("kw", "name") and tok.text in _WORD_OPS:
            return tok.text
        if tok.kind == "kw" and tok.text == "not" and self.toks[self.i + 1].text == "in":
            return "not in"
        return None

    def close(self, g: _Group) -> _Ast:
        """The expression ``g`` holds, once its ``)`` (or the end of the condition) is read."""
        g.ors.append(_join("and", g.ands))
        node = _join("or", g.ors)
        if g.opener is not None:
            self.expect(")")
        elif (tok := self.peek()).kind != "end":
            raise self.fail(f"unexpected {tok.text!r}{self.hint(tok)}", tok)
        self.stack.pop()
        return node

    def hint(self, tok: _Tok) -> str:
        """A hint for ``tok``, which cannot stand after a whole comparison."""
        if tok.text == "not" and self.toks[self.i + 1].text in _WORD_OPS:
            return f" (write 'not (a {self.toks[self.i + 1].text} b)')"
        if tok.kind in ("name", "num", "str") and tok.text not in _WORD_OPS:
            return " (join conditions with 'and' or 'or')"
        return ""


# -- evaluation: an explicit stack, and nothing in it can raise ---------------------------------------


def _kids(node: _Ast) -> tuple[Any, ...] | list[Any]:
    tag = node[0]
    if tag in ("const", "fact", "call"):
        return ()
    if tag == "list":
        return node[1]  # type: ignore[no-any-return]
    if tag == "cmp":
        return node[2:]
    return node[1:]


def _decided(tag: str, done: list[Any]) -> bool:
    """True once an ``and`` has met a false operand, or an ``or`` a true one."""
    return bool(done) and (tag == "and" and not done[-1] or tag == "or" and bool(done[-1]))


def _combine(node: _Ast, done: list[Any], facts: Mapping[str, Any], visits: Mapping[str, int]) -> Any:
    """The value of ``node`` from the values of its children (``done``)."""
    tag = node[0]
    if tag == "const":
        return node[1]
    if tag == "fact":
        return facts.get(node[1])
    if tag == "call":
        return _call(node[1], _combine(node[2], [], facts, visits), visits)
    if tag == "list":
        return done
    if tag == "not":
        return not _truthy(done[0])
    if tag == "and":
        return all(_truthy(v) for v in done)
    if tag == "or":
        return any(_truthy(v) for v in done)
    return _compare(node[1], done[0], done[1])


def _eval(root: _Ast, facts: Mapping[str, Any], visits: Mapping[str, int]) -> Any:
    """The value of ``root``, worked out with a list as the stack, so no nesting can exhaust Python's."""
    stack: list[tuple[_Ast, list[Any]]] = [(root, [])]
    while True:
        node, done = stack[-1]
        kids = _kids(node)
        if len(done) < len(kids) and not _decided(node[0], done):
            stack.append((kids[len(done)], []))
            continue
        stack.pop()
        value = _combine(node, done, facts, visits)
        if not stack:
            return value
        stack[-1][1].append(value)


def _truthy(v: Any) -> bool:
    return bool(v)


def _call(name: str, arg: Any, visits: Mapping[str, int]) -> Any:
    """``name(arg)`` for the language's functions, ``arg`` already a value (a node id, for ``visits``)."""
    if name == "visits":
        return visits.get(arg, 0)
    if name == "count":
        if isinstance(arg, list):
            return len(arg)
        return 0 if arg is None or arg == "" else 1
    return arg.lower() if isinstance(arg, str) else None


def _norm(v: Any) -> Any:
    # facts typed as yes/no may arrive as "yes"/"no" strings from a form
    if isinstance(v, str) and v.lower() in ("yes", "no"):
        return v.lower() == "yes"
    return v


def _compare(op: str, a: Any, b: Any) -> bool:
    """``a op b`` for the language's comparison operators; never raises, a mismatch is false."""
    try:
        return _compare_values(op, a, b)
    except RecursionError:
        # Python compares nested lists recursively: two lists nested about a thousand deep, which only a
        # TRIAGE_LIMIT_CONDITION_DEPTH raised far past its default lets through, cannot be compared
        return False


def _compare_values(op: str, a: Any, b: Any) -> bool:
    if op in _TEXT_TESTS or op == "!~":
        return _text_test(op, a, b)
    if op in ("in", "not in"):
        return _contains(a, b) == (op == "in")
    if op in ("==", "!="):
        return _equal(a, b) == (op == "==")
    pair = _comparable(a, b)
    return pair is not None and bool(_ORDER[op](*pair))


_ORDER: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


_TEXT_TESTS: dict[str, Callable[[str, str], bool]] = {
    "~=": operator.eq,
    "startswith": str.startswith,
    "endswith": str.endswith,
    "contains": operator.contains,
}


def _text_test(op: str, a: Any, b: Any) -> bool:
    """``a op b`` for a text operator, ignoring case; false (``!~`` true) unless both sides are text."""
    if op == "!~":
        return not _text_test("~=", a, b)
    if not isinstance(b, str):
        return False
    if op == "contains" and isinstance(a, list):
        # a multi-select fact: one of its choices, in any letter case
        return any(isinstance(x, str) and x.casefold() == b.casefold() for x in a)
    return isinstance(a, str) and _TEXT_TESTS[op](a.casefold(), b.casefold())


def _contains(a: Any, b: Any) -> bool:
    """``a in b``: a member of a list (yes/no strings match booleans), or a substring of a string."""
    if isinstance(b, list):
        return a in b or _norm(a) in [_norm(x) for x in b]
    return isinstance(b, str) and isinstance(a, str) and a in b


def _equal(a: Any, b: Any) -> bool:
    """``a == b``, where a "yes"/"no" string from a form equals the boolean it means."""
    return bool(a == b or (isinstance(b, bool) and _norm(a) == b))


def _comparable(a: Any, b: Any) -> tuple[Any, Any] | None:
    """``a`` and ``b`` as values ``<`` can order (both numbers, both strings, or both as floats), else None.

    A missing fact (``null``) or a boolean orders with nothing, so a rule reading it is simply false.
    """
    if a is None or b is None or isinstance(a, bool) or isinstance(b, bool):
        return None
    if isinstance(a, int | float) and isinstance(b, int | float) or isinstance(a, str) and isinstance(b, str):
        return a, b
    try:
        return float(a), float(b)
    except (TypeError, ValueError, OverflowError):  # an int past float's range is no number to order by
        return None


@dataclass(frozen=True)
class Condition:
    """A parsed condition: the facts it reads, the nodes whose visits it counts, and a safe evaluator."""

    source: str
    ast: _Ast
    facts: frozenset[str]
    nodes: frozenset[str] = frozenset()
    """Node ids named in ``visits('...')``: a tree must have each."""

    def evaluate(self, facts: Mapping[str, Any], visits: Mapping[str, int] | None = None) -> bool:
        """True if the condition holds for these facts and ``visits`` (node id -> times reached in this walk).

        Never raises, whatever the facts hold.
        """
        return _truthy(_eval(self.ast, facts, _NO_VISITS if visits is None else visits))


_NO_VISITS: Mapping[str, int] = MappingProxyType({})


_CACHE: dict[tuple[str, Limits], Condition] = {}


def parse(source: str) -> Condition:
    """Parse a condition within :func:`~triage.limits.limits`; :class:`ConditionError` says where it went wrong."""
    lim = limits()
    cached = _CACHE.get((source, lim))
    if cached is not None:
        return cached
    if len(source) > lim.condition_length:
        what = f"the condition is {len(source):,} characters long"
        raise ConditionError(
            _too_many(what, lim.condition_length, "condition_length"), source, lim.condition_length + 1
        )
    parser = _Parser(source, lim)
    measure = _Measure(lim)
    measure.run(parser.toks)
    measure.check(source)
    cond = Condition(source, parser.parse(), frozenset(parser.facts), frozenset(parser.nodes))
    if len(_CACHE) < 10_000:
        _CACHE[(source, lim)] = cond
    return cond
