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
from hypothesis import strategies as st
from strategies import (
    condition_expressions,
    int_facts,
    odd_facts,
    text_comparisons,
    text_condition_expressions,
    text_facts,
    visit_maps,
)

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


# -- text operators: case ignored, multi-select facts ------------------------------------------------

ERROR = "Error 0x80070005"


@pytest.mark.parametrize(
    ("source", "facts", "expected"),
    [
        ("m startswith 'error 0x8007'", {"m": ERROR}, True),
        ("m startswith 'ERROR'", {"m": "error 0x8007"}, True),
        ("m startswith '0x8007'", {"m": ERROR}, False),
        ("m startswith ''", {"m": ""}, True),
        ("m endswith '0005'", {"m": ERROR}, True),
        ("m endswith 'X80070005'", {"m": ERROR}, True),
        ("m endswith 'error'", {"m": ERROR}, False),
        ("m contains 'X8007'", {"m": ERROR}, True),
        ("m contains 'fatal'", {"m": ERROR}, False),
        ("m contains ''", {"m": "x"}, True),
        ("m ~= 'ERROR 0X80070005'", {"m": ERROR}, True),
        ("m ~= 'error 0x80070005 '", {"m": ERROR}, False),
        ("m !~ 'error 0x80070005'", {"m": ERROR}, False),
        ("m !~ 'modem'", {"m": ERROR}, True),
        ("'Straße' ~= 'STRASSE'", {}, True),
        ("answer ~= 'YES'", {"answer": "yes"}, True),
        ("m ~= n", {"m": "Router", "n": "rOUTER"}, True),
        ("m == 'error 0x80070005'", {"m": ERROR}, False),
    ],
)
def test_text_operators_ignore_case(source: str, facts: dict[str, Any], expected: bool) -> None:
    """startswith, endswith, contains and ~= compare text ignoring letter case; !~ is the negation of ~=."""
    assert parse(source).evaluate(facts) is expected


@pytest.mark.parametrize(
    ("source", "lights", "expected"),
    [
        ("lights contains 'POWER'", ["power", "dsl"], True),
        ("lights contains 'dsl'", ["power", "DSL"], True),
        ("lights contains 'wifi'", ["power", "dsl"], False),
        ("lights contains 'pow'", ["power"], False),
        ("lights contains 'power'", [], False),
        ("lights contains '1'", [1, None, "2"], False),
        ("lights contains 1", [1], False),
        ("'power' in lights", ["power", "dsl"], True),
        ("'POWER' in lights", ["power", "dsl"], False),
        ("'wifi' not in lights", ["power", "dsl"], True),
        ("lights == ['power', 'dsl']", ["power", "dsl"], True),
        ("lights == ['dsl', 'power']", ["power", "dsl"], False),
        ("count(lights) == 2", ["power", "dsl"], True),
        ("count(lights) == 0", [], True),
    ],
)
def test_multi_select_facts(source: str, lights: list[Any], expected: bool) -> None:
    """A multi-select fact holds a list: `contains` is membership ignoring case (never a piece of an item),
    `in` stays exact, and count() says how many were chosen."""
    assert holds(source, lights=lights) is expected


@pytest.mark.parametrize("value", [None, 0, 12, 1.5, True, False, ["a"], {"a": 1}])
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x startswith 'a'", False),
        ("x endswith 'a'", False),
        ("x contains 'a'", False),
        ("x ~= 'a'", False),
        ("x !~ 'a'", True),
        ("'a' startswith x", False),
        ("'a' contains x", False),
        ("'1' ~= x", False),
        ("'1' !~ x", True),
    ],
)
def test_a_text_operator_on_a_value_that_is_not_text(source: str, expected: bool, value: Any) -> None:
    """null, numbers, booleans and other values make a text operator false (`!~` true), and never raise."""
    if value == ["a"] and source == "x contains 'a'":
        expected = True  # a list on the left is a multi-select fact
    assert holds(source, x=value) is expected


def test_a_text_operator_on_missing_facts_and_literals() -> None:
    """A missing fact is null for text operators too, and null, number or boolean literals are not text."""
    assert holds("m startswith 'a'") is False
    assert holds("m !~ 'a'") is True
    assert holds("null ~= null") is False
    assert holds("n startswith 1", n=12) is False
    assert holds("b ~= true", b=True) is False
    assert holds("m contains null", m="null") is False


# -- functions -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("visits", "source", "expected"),
    [
        (None, "visits('restart') == 0", True),
        ({}, "visits('restart') == 0", True),
        ({"restart": 2}, "visits('restart') == 2", True),
        ({"restart": 2}, "visits('restart') >= 3", False),
        ({"restart": 3}, "visits('restart') >= 3", True),
        ({"restart": 3}, "visits('check_cable') == 0", True),
        ({"restart": 1}, "visits('restart')", True),
        ({"restart": 0}, "visits('restart')", False),
        ({"it's": 4}, r"visits('it\'s') == 4", True),
    ],
)
def test_visits_counts_how_often_the_walk_reached_a_node(
    visits: dict[str, int] | None, source: str, expected: bool
) -> None:
    """visits('id') is the count the walk passes for that node, 0 for a node never reached or no map at all."""
    assert parse(source).evaluate({}, visits=visits) is expected


@pytest.mark.parametrize(
    ("value", "count"),
    [
        (["power", "dsl", "wifi"], 3),
        ([], 0),
        ([None], 1),
        ("power", 1),
        ("", 0),
        (None, 0),
        (0, 1),
        (False, 1),
        (2.5, 1),
    ],
)
def test_count_of_a_fact(value: Any, count: int) -> None:
    """count(fact) is the number of items of a list, 1 for any other value set, 0 for null or empty text."""
    assert holds(f"count(x) == {count}", x=value) is True
    assert holds(f"count(x) == {count + 1}", x=value) is False


def test_count_of_a_missing_fact_and_of_a_literal() -> None:
    """count() of a fact that is not set is 0, and of quoted text 1 (0 if empty)."""
    assert holds("count(x) == 0") is True
    assert holds("count('abc') == 1 and count('') == 0") is True


@pytest.mark.parametrize(
    ("source", "facts", "expected"),
    [
        ("lower(m) == 'error 0x8007'", {"m": "Error 0X8007"}, True),
        ("lower(m) == 'Error 0x8007'", {"m": "Error 0X8007"}, False),
        ("lower('ABC') == 'abc'", {}, True),
        ("lower(m) in ['red', 'amber']", {"m": "AMBER"}, True),
        ("lower(m) == null", {"m": 3}, True),
        ("lower(m) == null", {"m": True}, True),
        ("lower(m) == null", {"m": ["A"]}, True),
        ("lower(m) == null", {}, True),
        ("lower(m) < 'b'", {"m": "A"}, True),
    ],
)
def test_lower(source: str, facts: dict[str, Any], expected: bool) -> None:
    """lower(fact) is the text in lower case, and null for anything that is not text."""
    assert parse(source).evaluate(facts) is expected


def test_function_calls_read_facts_and_name_nodes() -> None:
    """count() and lower() arguments are facts the condition reads; visits() arguments are nodes, not facts."""
    cond = parse(
        "count(lights) > 1 and lower(m) ~= 'x' or visits('restart') < 2 and visits('reset') == count('a')"
    )
    assert cond.facts == frozenset({"lights", "m"})
    assert cond.nodes == frozenset({"restart", "reset"})
    assert parse("a == 1").nodes == frozenset()


def test_operator_and_function_words_are_facts_elsewhere() -> None:
    """Without `(` a function name is a fact, and an operator word where no operator can stand is one too."""
    assert parse("count == 2 and visits > 1 or lower").facts == frozenset({"count", "visits", "lower"})
    cond = parse("contains contains 'x' and startswith")
    assert cond.facts == frozenset({"contains", "startswith"})
    assert cond.evaluate({"contains": "an X", "startswith": True}) is True
    assert parse("count(count) == 1").evaluate({"count": 5}) is True


# -- precedence of the new operators ----------------------------------------------------------------


def test_text_operators_bind_like_comparisons() -> None:
    """A text operator binds tighter than not, and, or, exactly as `==` does; a call is a plain value."""
    starts = ("cmp", "startswith", ("fact", "m"), ("const", "a"))
    visits = ("cmp", ">", ("call", "visits", ("const", "n")), ("const", 1))
    count = ("cmp", "==", ("call", "count", ("fact", "picks")), ("const", 0))
    assert parse("not m startswith 'a' and visits('n') > 1 or count(picks) == 0").ast == (
        "or",
        ("and", ("not", starts), visits),
        count,
    )
    assert parse("lower(m) ~= 'x'").ast == ("cmp", "~=", ("call", "lower", ("fact", "m")), ("const", "x"))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("not m startswith 'e' and b", False),
        ("not (m startswith 'e' and b)", True),
        ("a or m contains 'x' and b", True),
        ("(a or m contains 'x') and b", False),
        ("not m contains 'err' or a", True),
        ("not (m contains 'err' or a)", False),
        ("m !~ 'x' and not m ~= 'E' and count(picks) > 1", True),
    ],
)
def test_precedence_values_with_text_operators(source: str, expected: bool) -> None:
    """The grouping above gives these exact values (m = 'Error', a = true, b = false, two picks)."""
    assert holds(source, m="Error", a=True, b=False, picks=["x", "y"]) is expected


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
        ("a ~ 'x'", "unexpected character '~' at column 3 of \"a ~ 'x'\"", 3),
        ("a contains", "expected a value but found the end at column 11 of 'a contains'", 11),
        ("a == 1 contains 'x'", "unexpected 'contains' at column 8 of \"a == 1 contains 'x'\"", 8),
        (
            "a not contains 'x'",
            "unexpected 'not' (write 'not (a contains b)') at column 3 of \"a not contains 'x'\"",
            3,
        ),
    ],
)
def test_error_messages(source: str, message: str, column: int) -> None:
    """A condition that does not parse raises ConditionError saying what was expected, and where."""
    with pytest.raises(ConditionError) as info:
        parse(source)
    assert str(info.value) == message
    assert info.value.column == column
    assert info.value.source == source


@pytest.mark.parametrize(
    ("source", "message", "column"),
    [
        ("visits(", "expected a node id in quotes but found the end", 8),
        ("visits(a b)", "expected a node id in quotes but found 'a' (write visits('a'))", 8),
        ("visits(1) > 0", "expected a node id in quotes but found '1'", 8),
        ("visits('a' 'b')", "expected ')' but found \"'b'\"", 12),
        ("visits('a'", "expected ')' but found the end", 11),
        ("foo(x)", "unknown function 'foo' (the functions are count, lower, visits)", 1),
        (
            "n > 1 and vists('a') > 0",
            "unknown function 'vists' (did you mean 'visits'? the functions are count, lower, visits)",
            11,
        ),
        ("count(a b)", "expected ')' but found 'b'", 9),
        ("count()", "expected a fact name or a quoted text but found ')'", 7),
        ("count([1])", "expected a fact name or a quoted text but found '['", 7),
        ("lower(null)", "expected a fact name or a quoted text but found 'null'", 7),
        ("count(lower(a))", "count() takes a fact name or a quoted text, not another call", 7),
    ],
)
def test_bad_function_calls(source: str, message: str, column: int) -> None:
    """A call that is not one of the functions with one fact name or quoted text says what, and where."""
    with pytest.raises(ConditionError) as info:
        parse(source)
    assert (info.value.reason, info.value.column) == (message, column)
    assert str(info.value) == f"{message} at column {column} of {source!r}"


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
    if tag == "str":
        return f"'{e[1]}'"
    if tag == "call":
        return f"{e[1]}({render(e[2])})"
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


def reference(e: tuple[Any, ...], facts: dict[str, Any], visits: dict[str, int] | None = None) -> Any:
    """What the expression means, in plain Python: missing facts are None, ordering with None is false."""
    visits = visits or {}
    tag = e[0]
    if tag in ("int", "str"):
        return e[1]
    if tag == "fact":
        return facts.get(e[1])
    if tag == "call":
        return reference_call(e[1], reference(e[2], facts, visits), visits)
    if tag == "paren":
        return reference(e[1], facts, visits)
    if tag == "not":
        return not reference(e[1], facts, visits)
    if tag in ("and", "or"):
        left, right = (bool(reference(x, facts, visits)) for x in e[1:])
        return (left and right) if tag == "and" else (left or right)
    if tag == "in":
        found = reference(e[2], facts, visits) in [reference(x, facts, visits) for x in e[3]]
        return not found if e[1] else found
    return reference_compare(e[1], reference(e[2], facts, visits), reference(e[3], facts, visits))


def reference_call(name: str, value: Any, visits: dict[str, int]) -> Any:
    """A function in plain Python: visits looked up, count of a list or a scalar, lower case of text."""
    if name == "visits":
        return visits.get(value, 0)
    if name == "count":
        return len(value) if isinstance(value, list) else int(value not in (None, ""))
    return value.lower() if isinstance(value, str) else None


def reference_compare(op: str, left: Any, right: Any) -> Any:
    """A comparison in plain Python, where ordering with a missing fact (None) is false."""
    if op in ("~=", "!~", "startswith", "endswith", "contains"):
        return reference_text(op, left, right)
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if left is None or right is None:
        return False
    return _ORDER[op](left, right)


def reference_text(op: str, left: Any, right: Any) -> bool:
    """A text operator in plain Python: both sides folded to one letter case; a list on the left of `contains`
    is searched for an equal item; anything else that is not text makes it false (and `!~` true)."""
    if op == "!~":
        return not reference_text("~=", left, right)
    if not isinstance(right, str):
        return False
    if op == "contains" and isinstance(left, list):
        return right.casefold() in [x.casefold() for x in left if isinstance(x, str)]
    if not isinstance(left, str):
        return False
    a: str = left.casefold()
    b: str = right.casefold()
    return {"~=": a == b, "startswith": a.startswith(b), "endswith": a.endswith(b), "contains": b in a}[op]


@given(condition_expressions, int_facts)
def test_integer_expressions_match_the_reference(expr: tuple[Any, ...], facts: dict[str, int]) -> None:
    """Any expression over integers and integer facts evaluates as the reference evaluator says."""
    source = render(expr)
    assert parse(source).evaluate(facts) is bool(reference(expr, facts)), source


@given(text_condition_expressions, text_facts, visit_maps)
def test_text_expressions_match_the_reference(
    expr: tuple[Any, ...], facts: dict[str, Any], visits: dict[str, int]
) -> None:
    """Any expression of text operators and function calls, over text in any case, multi-select lists and
    values that are not text, evaluates as the reference evaluator says, and so does each part of it."""
    for part in subexpressions(expr):
        source = render(part)
        assert parse(source).evaluate(facts, visits=visits) is bool(reference(part, facts, visits)), source


@given(text_comparisons, text_facts, visit_maps)
def test_each_text_comparison_matches_the_reference(
    expr: tuple[Any, ...], facts: dict[str, Any], visits: dict[str, int]
) -> None:
    """One text operator, or count() / visits() against a number, gives what the reference evaluator says."""
    source = render(expr)
    assert parse(source).evaluate(facts, visits=visits) is reference(expr, facts, visits), source


def subexpressions(e: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """``e`` and every expression inside it (not the values compared), so no `or` can hide a wrong part."""
    out, todo = [], [e]
    while todo:
        part = todo.pop()
        out.append(part)
        if part[0] in ("not", "and", "or", "paren"):
            todo.extend(part[1:])
    return out


def written(e: Any, tag: str) -> set[str]:
    """The names in ``(tag, name)`` parts of a generated expression (facts, or the node ids visits() names)."""
    if isinstance(e, tuple) and len(e) == 3 and e[:2] == ("call", "visits"):
        return {e[2][1]} if tag == "node" else set()
    if isinstance(e, tuple) and e and e[0] == tag == "fact":
        return {e[1]}
    if isinstance(e, tuple | list):
        return set().union(*(written(x, tag) for x in e)) if e else set()
    return set()


@given(condition_expressions | text_condition_expressions)
def test_rendered_expressions_read_exactly_their_facts(expr: tuple[Any, ...]) -> None:
    """The facts a parsed expression reads are exactly the fact names written in it (count() and lower()
    arguments included), and its nodes exactly the node ids visits() names."""
    cond = parse(render(expr))
    assert cond.facts == frozenset(written(expr, "fact"))
    assert cond.nodes == frozenset(written(expr, "node"))


# -- evaluation never raises ----------------------------------------------------------------------


@given(condition_expressions | text_condition_expressions, odd_facts, visit_maps | st.none())
def test_evaluation_never_raises_whatever_the_facts(
    expr: tuple[Any, ...], facts: dict[str, Any], visits: dict[str, int] | None
) -> None:
    """A condition that parses evaluates to a bool for facts of any type (huge ints, NaN, lists, odd strings)
    and any visit counts, or none."""
    assert parse(render(expr)).evaluate(facts, visits=visits) in (True, False)


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
