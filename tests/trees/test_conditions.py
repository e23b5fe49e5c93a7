"""The condition language of logic nodes: exact values, precedence, missing facts and error messages;
hostile conditions refused at validation, never at run time (the limits themselves: test_condition_limits.py)."""

from __future__ import annotations

import io
import operator
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from strategies import condition_expressions, int_facts, odd_facts

from triage.cli.main import main
from triage.errors import ConditionError, TriageError
from triage.limits import limits
from triage.trees.conditions import parse
from triage.trees.library import library_from_texts
from triage.walk.session import Session

TESTS = Path(__file__).parents[1]
HOSTILE = TESTS / "data" / "hostile"


def holds(source: str, **facts: Any) -> bool:
    return parse(source).evaluate(facts)


# -- every operator --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "facts", "expected"),
    [
        ("n == 3", {"n": 3}, True),
        ("n == 3", {"n": 4}, False),
        ("n != 3", {"n": 4}, True),
        ("n != 3", {"n": 3}, False),
        ("n < 3", {"n": 2}, True),
        ("n < 3", {"n": 3}, False),
        ("n <= 3", {"n": 3}, True),
        ("n <= 3", {"n": 4}, False),
        ("n > 3", {"n": 4}, True),
        ("n > 3", {"n": 3}, False),
        ("n >= 3", {"n": 3}, True),
        ("n >= 3", {"n": 2}, False),
        ("n>=3", {"n": 5}, True),
        ("n > -1", {"n": 0}, True),
        ("n == 2.5", {"n": 2.5}, True),
        ("n == 1.0", {"n": 1}, True),
        ("n == 007", {"n": 7}, True),
        ("light == 'green'", {"light": "green"}, True),
        ('light == "green"', {"light": "Green"}, False),
        ("light != 'green'", {"light": "amber"}, True),
        ("'b' > 'a'", {}, True),
        ("'apple' >= 'banana'", {}, False),
        ("flag == true", {"flag": True}, True),
        ("flag == false", {"flag": True}, False),
        ("flag", {"flag": True}, True),
        ("flag", {"flag": 0}, False),
        ("true", {}, True),
        ("false", {}, False),
        ("null", {}, False),
    ],
)
def test_operator_values(source: str, facts: dict[str, Any], expected: bool) -> None:
    """Each comparison operator and literal gives exactly the expected truth value."""
    assert parse(source).evaluate(facts) is expected


@pytest.mark.parametrize(
    ("source", "facts", "expected"),
    [
        ("n > '5'", {"n": 10}, True),
        ("'10' > 9", {}, True),
        ("n < 'abc'", {"n": 1}, False),
        ("n == '3'", {"n": 3}, False),
        ("flag > 0", {"flag": True}, False),
        ("flag <= 1", {"flag": False}, False),
    ],
)
def test_ordering_across_types(source: str, facts: dict[str, Any], expected: bool) -> None:
    """Ordering a number against a numeric string compares numbers; against booleans or words it is false."""
    assert parse(source).evaluate(facts) is expected


@pytest.mark.parametrize(
    ("source", "value", "expected"),
    [
        ("answer == true", "yes", True),
        ("answer == true", "Yes", True),
        ("answer == false", "no", True),
        ("answer == true", "no", False),
        ("answer != true", "yes", False),
        ("answer != false", "yes", True),
        ("answer in [true]", "YES", True),
        ("answer == 'yes'", "yes", True),
    ],
)
def test_yes_no_strings_compare_as_booleans(source: str, value: str, expected: bool) -> None:
    """A 'yes'/'no' string from a form equals true/false, in any letter case."""
    assert holds(source, answer=value) is expected


# -- precedence ------------------------------------------------------------------------------------


def test_not_binds_tighter_than_and() -> None:
    """`not a and b` is `(not a) and b`, not `not (a and b)`."""
    assert holds("not a and b", a=False, b=False) is False
    assert holds("not (a and b)", a=False, b=False) is True


def test_and_binds_tighter_than_or() -> None:
    """`a or b and c` is `a or (b and c)`, not `(a or b) and c`."""
    assert holds("a or b and c", a=True, b=False, c=False) is True
    assert holds("(a or b) and c", a=True, b=False, c=False) is False


def test_not_binds_tighter_than_or() -> None:
    """`not a or b` is `(not a) or b`."""
    assert holds("not a or b", a=True, b=True) is True
    assert holds("not (a or b)", a=True, b=True) is False


def test_not_applies_to_a_whole_comparison() -> None:
    """`not n == 3` negates the comparison, and `not not` cancels out."""
    assert holds("not n == 3", n=4) is True
    assert holds("not n == 3", n=3) is False
    assert holds("not not n", n=1) is True


def test_shape_of_a_mixed_expression() -> None:
    """`and` groups before `or`, and a chain of either is one flat node, so a long chain nests nothing."""
    a, b, c, d = (("cmp", "==", ("fact", x), ("const", 1)) for x in "abcd")
    assert parse("a == 1 or b == 1 and c == 1 or d == 1").ast == ("or", a, ("and", b, c), d)
    assert parse("a == 1 and b == 1 and c == 1").ast == ("and", a, b, c)
    assert parse("(a == 1 and b == 1) and c == 1").ast == ("and", ("and", a, b), c)
    assert parse("not not a == 1").ast == ("not", ("not", a))


# -- membership ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "facts", "expected"),
    [
        ("c in ['red', 'amber']", {"c": "amber"}, True),
        ("c in ['red', 'amber']", {"c": "green"}, False),
        ("c not in ['red', 'amber']", {"c": "green"}, True),
        ("c not in ['red', 'amber']", {"c": "red"}, False),
        ("n in [1, 2, 3]", {"n": 2}, True),
        ("n in [1, 2, 3]", {"n": 2.0}, True),
        ("n in []", {"n": 1}, False),
        ("n not in []", {"n": 1}, True),
        ("'ell' in name", {"name": "hello"}, True),
        ("'xyz' in name", {"name": "hello"}, False),
        ("n in name", {"n": 1, "name": "a1"}, False),
        ("c in [d, 'x']", {"c": "y", "d": "y"}, True),
        ("c in other", {"c": "y", "other": 3}, False),
    ],
)
def test_membership(source: str, facts: dict[str, Any], expected: bool) -> None:
    """`in` tests list membership or a substring, `not in` is its negation."""
    assert parse(source).evaluate(facts) is expected


# -- missing facts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("missing < 3", False),
        ("missing <= 3", False),
        ("missing > 3", False),
        ("missing >= 3", False),
        ("3 > missing", False),
        ("missing == 0", False),
        ("missing == ''", False),
        ("missing != 0", True),
        ("missing == null", True),
        ("missing != null", False),
        ("missing == other", True),
        ("missing", False),
        ("not missing", True),
        ("missing in [1, 2]", False),
        ("missing not in [1, 2]", True),
        ("missing in [null]", True),
        ("1 in missing", False),
        ("1 not in missing", True),
        ("null < 1", False),
    ],
)
def test_missing_facts_are_null(source: str, expected: bool) -> None:
    """A fact that is not set is null: equal only to null, and every ordering with it is false."""
    assert parse(source).evaluate({}) is expected


def test_a_fact_set_to_none_is_the_same_as_a_missing_one() -> None:
    """A fact stored as None (an optional answer left empty) behaves exactly like a missing fact."""
    for source in ("x < 1", "x >= 1", "x == null", "x in [1]", "not x"):
        assert holds(source, x=None) is holds(source)


# -- strings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "constant"),
    [
        (r"s == 'it\'s'", "it's"),
        (r's == "say \"hi\""', 'say "hi"'),
        (r"s == 'back\\slash'", "back\\slash"),
        ('s == "it\'s"', "it's"),
        ("s == 'a\"b'", 'a"b'),
        ("s == ''", ""),
        ("s == 'and or not'", "and or not"),
    ],
)
def test_string_escapes(source: str, constant: str) -> None:
    """A backslash makes the next character literal, and the other quote needs no escape."""
    assert parse(source).ast[3] == ("const", constant)
    assert holds(source, s=constant) is True


def test_facts_read_by_a_condition() -> None:
    """`.facts` names exactly the facts a condition reads: not keywords, literals or string contents."""
    cond = parse("a == 'b' and c in [d, 1, true] or not (e != null) and 'f' in g")
    assert cond.facts == frozenset({"a", "c", "d", "e", "g"})


# -- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message", "column"),
    [
        ("a = 1", "unexpected character '=' (use '==' to compare) at column 3 of 'a = 1'", 3),
        ("x in [1, 2", "expected ']' but found the end at column 11 of 'x in [1, 2'", 11),
        ("(a == 1", "expected ')' but found the end at column 8 of '(a == 1'", 8),
        ("(a == 1]", "expected ')' but found ']' at column 8 of '(a == 1]'", 8),
        ("", "empty condition at column 1 of ''", 1),
        ("   ", "empty condition at column 1 of '   '", 1),
        ("a == ", "expected a value but found the end at column 6 of 'a == '", 6),
        ("a == 1 and", "expected a value but found the end at column 11 of 'a == 1 and'", 11),
        ("x == and", "expected a value but found 'and' at column 6 of 'x == and'", 6),
        (
            "a == 1 b == 2",
            "unexpected 'b' (join conditions with 'and' or 'or') at column 8 of 'a == 1 b == 2'",
            8,
        ),
        ("n == 1 == 2", "unexpected '==' at column 8 of 'n == 1 == 2'", 8),
        ("a == 'x", 'unexpected character "\'" at column 6 of "a == \'x"', 6),
        ("a && b", "unexpected character '&' at column 3 of 'a && b'", 3),
        (")", "expected a value but found ')' at column 1 of ')'", 1),
    ],
)
def test_error_messages(source: str, message: str, column: int) -> None:
    """A condition that does not parse raises ConditionError saying what was expected, and where."""
    with pytest.raises(ConditionError) as info:
        parse(source)
    assert str(info.value) == message
    assert info.value.column == column
    assert info.value.source == source


def test_condition_error_is_a_value_error() -> None:
    """ConditionError is both a TriageError and a ValueError, and keeps the message apart from the place."""
    with pytest.raises(ConditionError) as info:
        parse("a = 1")
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, TriageError)
    assert info.value.reason == "unexpected character '=' (use '==' to compare)"


# -- against a reference evaluator -------------------------------------------------------------------

_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_PRECEDENCE = {"or": 1, "and": 2, "not": 3}


def render(e: tuple[Any, ...], need: int = 0) -> str:
    """The expression as condition source, with only the parentheses precedence needs (plus 'paren' ones)."""
    tag = e[0]
    if tag == "int":
        return str(e[1])
    if tag == "fact":
        return e[1]
    if tag == "paren":
        return f"({render(e[1])})"
    if tag == "cmp":
        text, level = f"{render(e[2])} {e[1]} {render(e[3])}", 4
    elif tag == "in":
        items = ", ".join(render(x) for x in e[3])
        text, level = f"{render(e[2])} {'not in' if e[1] else 'in'} [{items}]", 4
    elif tag == "not":
        text, level = f"not {render(e[1], 3)}", 3
    else:
        level = _PRECEDENCE[tag]
        text = f"{render(e[1], level)} {tag} {render(e[2], level + 1)}"
    return f"({text})" if level < need else text


def reference(e: tuple[Any, ...], facts: dict[str, int]) -> Any:
    """What the expression means, in plain Python: missing facts are None, ordering with None is false."""
    tag = e[0]
    if tag == "int":
        return e[1]
    if tag == "fact":
        return facts.get(e[1])
    if tag == "paren":
        return reference(e[1], facts)
    if tag == "not":
        return not reference(e[1], facts)
    if tag == "and":
        return bool(reference(e[1], facts)) and bool(reference(e[2], facts))
    if tag == "or":
        return bool(reference(e[1], facts)) or bool(reference(e[2], facts))
    if tag == "in":
        found = reference(e[2], facts) in [reference(x, facts) for x in e[3]]
        return not found if e[1] else found
    return reference_compare(e[1], reference(e[2], facts), reference(e[3], facts))


def reference_compare(op: str, left: Any, right: Any) -> Any:
    """A comparison in plain Python, where ordering with a missing fact (None) is false."""
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if left is None or right is None:
        return False
    return _ORDER[op](left, right)


@given(condition_expressions, int_facts)
def test_integer_expressions_match_the_reference(expr: tuple[Any, ...], facts: dict[str, int]) -> None:
    """Any expression over integers and integer facts evaluates as the reference evaluator says."""
    source = render(expr)
    assert parse(source).evaluate(facts) is bool(reference(expr, facts)), source


@given(condition_expressions)
def test_rendered_expressions_read_exactly_their_facts(expr: tuple[Any, ...]) -> None:
    """The facts a parsed expression reads are exactly the fact names written in it."""

    def names(e: Any) -> set[str]:
        if isinstance(e, tuple) and e and e[0] == "fact":
            return {e[1]}
        if isinstance(e, tuple | list):
            return set().union(*(names(x) for x in e)) if e else set()
        return set()

    assert parse(render(expr)).facts == frozenset(names(expr))


# -- evaluation never raises ----------------------------------------------------------------------


@given(condition_expressions, odd_facts)
def test_evaluation_never_raises_whatever_the_facts(expr: tuple[Any, ...], facts: dict[str, Any]) -> None:
    """A condition that parses evaluates to a bool for facts of any type: huge ints, NaN, lists, odd strings."""
    assert parse(render(expr)).evaluate(facts) in (True, False)


def test_a_huge_integer_fact_ordered_against_a_numeric_string_is_false() -> None:
    """An integer past float's range compared with a number in a string is false, not an OverflowError."""
    assert holds("n > '5'", n=10**400) is False


# -- validation refuses what run time could not take --------------------------------------------------

SetLimits = Callable[..., None]


@pytest.fixture
def set_limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[SetLimits]:
    """Sets ``TRIAGE_LIMIT_*`` variables for one test (``set_limits(condition_length=20_000)``)."""

    def set_(**values: int) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"TRIAGE_LIMIT_{name.upper()}", str(value))
        limits.cache_clear()

    yield set_
    monkeypatch.undo()
    limits.cache_clear()


def tree_text(tree_id: str, condition: str) -> str:
    """A small valid tree: count the lights, then a logic node routes on ``condition`` to 'dark' or 'lit'."""
    return f"""\
id: {tree_id}
title: {{en: Lights}}
category: connectivity
symptoms: [no internet]
start: lights
nodes:
  - {{id: lights, kind: collect, text: {{en: How many lights?}}, fact: lights, type: number, min: 0, max: 5, next: route}}
  - id: route
    kind: logic
    rules:
      - {{when: "{condition}", next: dark}}
    default: lit
  - {{id: dark, kind: outcome, outcome: resolved, text: {{en: Dark.}}, reason: {{en: Dark.}}}}
  - {{id: lit, kind: outcome, outcome: resolved, text: {{en: Lit.}}, reason: {{en: Lit.}}}}
"""


THOUSAND_TERMS = " and ".join(["lights > 0"] * 999 + ["lights < 5"])
"""The condition of the bug report: a thousand terms joined by `and`, which crashed every session reaching it."""


def test_a_thousand_and_terms_walk_when_the_limits_allow_them(set_limits: SetLimits) -> None:
    """With the limits raised to admit it, a 1000-term condition validates and routes sessions correctly."""
    set_limits(condition_length=20_000, condition_terms=1_000)
    lib = library_from_texts({"terms.yaml": tree_text("terms", THOUSAND_TERMS)})
    assert lib.errors == []
    for lights, end in ((3, "dark"), (5, "lit"), (0, "lit")):
        decision = Session.start(lib, "terms").answer(lights).decision
        assert decision is not None
        assert decision.node_id == end


def test_a_thousand_and_terms_are_refused_at_validation_never_at_run_time(set_limits: SetLimits) -> None:
    """Past the limits, the same tree is refused when checked, with the line and node, and is not in the library."""
    set_limits(condition_length=20_000)
    lib = library_from_texts({"terms.yaml": tree_text("terms", THOUSAND_TERMS)})
    assert [(d.code, d.line, d.node_id) for d in lib.errors] == [("bad-condition", 11, "route")]
    assert lib.errors[0].message.startswith(
        "rule 1: the condition joins 1,000 terms with 'and' / 'or'; the limit is 256 (TRIAGE_LIMIT_CONDITION_TERMS) "
        "at column 3837 of 'lights > 0 and lights > 0 and lights > 0'... (14,995 characters)"
    )
    assert "terms" not in lib.trees


@pytest.mark.parametrize(
    ("name", "env", "first_line"),
    [
        (
            "condition-deep",
            {},
            "node 'route': rule 1: the condition nests 500 deep; the limit is 32 (TRIAGE_LIMIT_CONDITION_DEPTH) at "
            "column 33 of '(((((((((((((((((((((((((((((((((((((((('... (1,011 characters)",
        ),
        (
            "condition-digits",
            {},
            "node 'route': rule 1: the condition is 5,010 characters long; the limit is 2,000 "
            "(TRIAGE_LIMIT_CONDITION_LENGTH) at column 2001 of 'lights == 999999999999999999999999999999'... "
            "(5,010 characters)",
        ),
        (
            "condition-digits",
            {"condition_length": 10_000},
            "node 'route': rule 1: a number has 5,000 digits; the limit is 30 (TRIAGE_LIMIT_NUMBER_DIGITS) at "
            "column 11 of 'lights == 999999999999999999999999999999'... (5,010 characters)",
        ),
        (
            "condition-terms",
            {},
            "node 'route': rule 1: the condition is 14,995 characters long; the limit is 2,000 "
            "(TRIAGE_LIMIT_CONDITION_LENGTH) at column 2001 of 'lights > 0 and lights > 0 and lights > 0'... "
            "(14,995 characters)",
        ),
        (
            "condition-terms",
            {"condition_length": 20_000},
            "node 'route': rule 1: the condition joins 1,000 terms with 'and' / 'or'; the limit is 256 "
            "(TRIAGE_LIMIT_CONDITION_TERMS) at column 3837 of 'lights > 0 and lights > 0 and lights > 0'... "
            "(14,995 characters)",
        ),
    ],
    ids=["deep", "digits", "digits-longer-allowed", "terms", "terms-longer-allowed"],
)
def test_validate_refuses_hostile_conditions_without_a_traceback(
    name: str,
    env: dict[str, int],
    first_line: str,
    set_limits: SetLimits,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`triage validate` on a tree whose condition is too deep, too long or too wide exits 1 with the file,
    line and node of the condition and the limit it passes, and no traceback."""
    monkeypatch.chdir(TESTS.parent)
    rel = f"tests/data/hostile/{name}.yaml"
    out = io.StringIO()
    set_limits(**env)
    assert main(["validate", rel], out=out) == 1
    lines = out.getvalue().splitlines()
    assert lines[0] == f"{rel}:20: {first_line}"
    assert lines[1:] == ["FAILED: 1 file(s), 1 error(s), 0 warning(s)"]
    assert "Traceback" not in capsys.readouterr().err
