"""A small, safe condition language for logic nodes. Parsed, never ``eval``-ed.

Grammar::

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := value (OP value | ["not"] "in" value)?
    OP      := "==" | "!=" | "<" | "<=" | ">" | ">="
    value   := NUMBER | STRING | "true" | "false" | "null" | NAME | "[" [value ("," value)*] "]" | "(" expr ")"

``NAME`` is a fact. A fact that is not set is ``null``; comparing ``null`` with ``<``
is false rather than an error, so a missing fact never crashes a session.

>>> c = parse("lights >= 3 and dsl_light in ['green', 'amber']")
>>> sorted(c.facts)
['dsl_light', 'lights']
>>> c.evaluate({"lights": 4, "dsl_light": "green"})
True
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from triage.errors import ConditionError

__all__ = ["Condition", "ConditionError", "parse"]

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<bad>.)
    """,
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "true", "false", "null"}
_CONSTS: dict[str, Any] = {"true": True, "false": False, "null": None}


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    pos: int


def _tokenize(src: str) -> list[_Tok]:
    toks: list[_Tok] = []
    for m in _TOKEN.finditer(src):
        kind = m.lastgroup or "bad"
        text = m.group()
        if kind == "ws":
            continue
        if kind == "bad":
            hint = " (use '==' to compare)" if text == "=" else ""
            raise ConditionError(f"unexpected character {text!r}{hint}", src, m.start() + 1)
        if kind == "name" and text in _KEYWORDS:
            kind = "kw"
        toks.append(_Tok(kind, text, m.start()))
    toks.append(_Tok("end", "", len(src)))
    return toks


# AST: tuples — ("const", v) ("fact", name) ("list", [..]) ("not", x) ("and", a, b) ("or", a, b) ("cmp", op, a, b)
_Ast = tuple[Any, ...]


class _Parser:
    def __init__(self, src: str) -> None:
        self.src = src
        self.toks = _tokenize(src)
        self.i = 0
        self.facts: set[str] = set()

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.take()
        if tok.text != text:
            found = repr(tok.text) if tok.kind != "end" else "the end"
            raise ConditionError(f"expected {text!r} but found {found}", self.src, tok.pos + 1)

    def parse(self) -> _Ast:
        if self.peek().kind == "end":
            raise ConditionError("empty condition", self.src, 1)
        node = self.or_()
        tok = self.peek()
        if tok.kind != "end":
            hint = " (join conditions with 'and' or 'or')" if tok.kind in ("name", "num", "str") else ""
            raise ConditionError(f"unexpected {tok.text!r}{hint}", self.src, tok.pos + 1)
        return node

    def or_(self) -> _Ast:
        node = self.and_()
        while self.peek().text == "or":
            self.take()
            node = ("or", node, self.and_())
        return node

    def and_(self) -> _Ast:
        node = self.not_()
        while self.peek().text == "and":
            self.take()
            node = ("and", node, self.not_())
        return node

    def not_(self) -> _Ast:
        if self.peek().text == "not":
            self.take()
            return ("not", self.not_())
        return self.compare()

    def compare(self) -> _Ast:
        left = self.value()
        tok = self.peek()
        if tok.kind == "op" and tok.text in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            return ("cmp", tok.text, left, self.value())
        if tok.text == "in":
            self.take()
            return ("cmp", "in", left, self.value())
        if tok.text == "not" and self.toks[self.i + 1].text == "in":
            self.i += 2
            return ("cmp", "not in", left, self.value())
        return left

    def value(self) -> _Ast:
        tok = self.take()
        if tok.kind == "num":
            return ("const", float(tok.text) if "." in tok.text else int(tok.text))
        if tok.kind == "str":
            body = tok.text[1:-1]
            return ("const", re.sub(r"\\(.)", r"\1", body))
        if tok.kind == "kw" and tok.text in _CONSTS:
            return ("const", _CONSTS[tok.text])
        if tok.kind == "name":
            self.facts.add(tok.text)
            return ("fact", tok.text)
        if tok.text == "(":
            node = self.or_()
            self.expect(")")
            return node
        if tok.text == "[":
            items: list[_Ast] = []
            if self.peek().text != "]":
                items.append(self.value())
                while self.peek().text == ",":
                    self.take()
                    items.append(self.value())
            self.expect("]")
            return ("list", items)
        found = repr(tok.text) if tok.kind != "end" else "the end"
        raise ConditionError(f"expected a value but found {found}", self.src, tok.pos + 1)


def _eval(node: _Ast, facts: Mapping[str, Any]) -> Any:
    tag = node[0]
    if tag == "const":
        return node[1]
    if tag == "fact":
        return facts.get(node[1])
    if tag == "list":
        return [_eval(x, facts) for x in node[1]]
    if tag == "not":
        return not _truthy(_eval(node[1], facts))
    if tag == "and":
        return _truthy(_eval(node[1], facts)) and _truthy(_eval(node[2], facts))
    if tag == "or":
        return _truthy(_eval(node[1], facts)) or _truthy(_eval(node[2], facts))
    op, a, b = node[1], _eval(node[2], facts), _eval(node[3], facts)
    return _compare(op, a, b)


def _truthy(v: Any) -> bool:
    return bool(v)


def _norm(v: Any) -> Any:
    # facts typed as yes/no may arrive as "yes"/"no" strings from a form
    if isinstance(v, str) and v.lower() in ("yes", "no"):
        return v.lower() == "yes"
    return v


def _compare(op: str, a: Any, b: Any) -> bool:
    """``a op b`` for the language's comparison operators; never raises, a mismatch is false."""
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
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Condition:
    """A parsed condition: the facts it reads and a safe evaluator."""

    source: str
    ast: _Ast
    facts: frozenset[str]

    def evaluate(self, facts: Mapping[str, Any]) -> bool:
        """True if the condition holds for these facts."""
        return _truthy(_eval(self.ast, facts))


_CACHE: dict[str, Condition] = {}


def parse(source: str) -> Condition:
    """Parse a condition; :class:`ConditionError` says where it went wrong."""
    cached = _CACHE.get(source)
    if cached is not None:
        return cached
    parser = _Parser(source)
    ast = parser.parse()
    cond = Condition(source, ast, frozenset(parser.facts))
    if len(_CACHE) < 10_000:
        _CACHE[source] = cond
    return cond
