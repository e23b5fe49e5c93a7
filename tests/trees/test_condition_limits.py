"""Limits on conditions: each named with its variable and column, and no input raises anything but ConditionError.

Hypothesis fuzzes random token strings and deep, long and wide conditions, under the default limits and under
limits raised far past them, where the parser and the evaluator must still never exhaust Python's stack.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from strategies import condition_texts, hostile_conditions, odd_facts

from triage.errors import ConditionError
from triage.limits import limits
from triage.trees.conditions import parse

ROOMY = {name: 100_000 for name in ("condition_length", "condition_depth", "condition_terms", "list_items")}
"""Limits far past the defaults, so what the parser and evaluator do with deep or long input shows."""


@contextlib.contextmanager
def limits_set(**values: int) -> Iterator[None]:
    """Run with these ``TRIAGE_LIMIT_*`` values in force, then with the ones before."""
    names = {f"TRIAGE_LIMIT_{name.upper()}": str(value) for name, value in values.items()}
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(names)
    limits.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value
        limits.cache_clear()


@pytest.mark.parametrize(
    ("source", "message", "column"),
    [
        (
            "a" * 2001,
            "the condition is 2,001 characters long; the limit is 2,000 (TRIAGE_LIMIT_CONDITION_LENGTH)",
            2001,
        ),
        (
            "(" * 40 + "a" + ")" * 40,
            "the condition nests 40 deep; the limit is 32 (TRIAGE_LIMIT_CONDITION_DEPTH)",
            33,
        ),
        ("(" * 500, "the condition nests 500 deep; the limit is 32 (TRIAGE_LIMIT_CONDITION_DEPTH)", 33),
        (
            "not " * 33 + "a",
            "the condition nests 33 deep; the limit is 32 (TRIAGE_LIMIT_CONDITION_DEPTH)",
            129,
        ),
        (
            "not (" * 17 + "a" + ")" * 17,
            "the condition nests 34 deep; the limit is 32 (TRIAGE_LIMIT_CONDITION_DEPTH)",
            81,
        ),
        (
            "a in " + "[" * 33 + "1" + "]" * 33,
            "the condition nests 33 deep; the limit is 32 (TRIAGE_LIMIT_CONDITION_DEPTH)",
            38,
        ),
        (
            "a and " * 256 + "a",
            "the condition joins 257 terms with 'and' / 'or'; the limit is 256 (TRIAGE_LIMIT_CONDITION_TERMS)",
            1533,
        ),
        (
            "a or b and " * 150 + "a",
            "the condition joins 301 terms with 'and' / 'or'; the limit is 256 (TRIAGE_LIMIT_CONDITION_TERMS)",
            1405,
        ),
        (
            "a in [" + ",".join(["1"] * 257) + "]",
            "a list holds 257 items; the limit is 256 (TRIAGE_LIMIT_LIST_ITEMS)",
            518,
        ),
        ("n == " + "1" * 31, "a number has 31 digits; the limit is 30 (TRIAGE_LIMIT_NUMBER_DIGITS)", 6),
        ("n < 1." + "5" * 30, "a number has 31 digits; the limit is 30 (TRIAGE_LIMIT_NUMBER_DIGITS)", 5),
    ],
    ids=[
        "length",
        "parentheses",
        "unclosed",
        "nots",
        "not-parentheses",
        "brackets",
        "and",
        "or",
        "list",
        "int",
        "float",
    ],
)
def test_each_limit_is_named_with_its_variable_and_column(source: str, message: str, column: int) -> None:
    """A condition past a limit is a ConditionError naming the limit, its variable and where it was passed."""
    with pytest.raises(ConditionError) as info:
        parse(source)
    assert (info.value.reason, info.value.column) == (message, column)


@pytest.mark.parametrize(
    "source",
    [
        "a" * 2000,
        "(" * 32 + "a" + ")" * 32,
        "not " * 32 + "a",
        "not a and " * 40 + "a",
        "(not a) or " * 40 + "a",
        "a in [" + ",".join(["1"] * 256) + "]",
        "a in [" + ",".join(["[1, 2]"] * 100) + "]",
        "a and " * 255 + "a",
        "n == " + "9" * 30,
        "n == -" + "9" * 15 + "." + "9" * 15,
    ],
    ids=[
        "length",
        "parentheses",
        "nots",
        "nots-in-turn",
        "parenthesised-nots",
        "list",
        "lists",
        "terms",
        "int",
        "float",
    ],
)
def test_a_condition_at_the_limits_parses(source: str) -> None:
    """Exactly at each limit a condition parses and evaluates: a `not` nests only up to the next and/or."""
    assert parse(source).evaluate({"a": 1, "n": 2}) in (True, False)


def test_a_function_call_counts_toward_the_limits_like_any_value() -> None:
    """A call is a value like any other: its text counts toward the length, each comparison of one joined by
    and / or is a term, and its parentheses nest one level, so it cannot slip past a limit."""
    node_id = "n" * 1_990
    with pytest.raises(ConditionError) as info:
        parse(f"visits('{node_id}') > 0")
    assert (info.value.reason, info.value.column) == (
        "the condition is 2,004 characters long; the limit is 2,000 (TRIAGE_LIMIT_CONDITION_LENGTH)",
        2001,
    )
    assert parse(f"visits('{node_id[4:]}') > 0").evaluate({}, visits={node_id[4:]: 1}) is True
    with limits_set(condition_length=10_000):
        with pytest.raises(ConditionError) as info:
            parse("count(a) > 0 and " * 256 + "visits('x') == 0")
        assert (info.value.reason, info.value.column) == (
            "the condition joins 257 terms with 'and' / 'or'; the limit is 256 (TRIAGE_LIMIT_CONDITION_TERMS)",
            4349,
        )
        assert parse("lower(a) ~= 'x' or " * 255 + "visits('x') == 0").evaluate({"a": "X"}) is True
    with pytest.raises(ConditionError) as info:
        parse("(" * 32 + "count(a)" + ")" * 32)
    assert (info.value.reason, info.value.column) == (
        "the condition nests 33 deep; the limit is 32 (TRIAGE_LIMIT_CONDITION_DEPTH)",
        38,
    )
    assert parse("(" * 31 + "count(a)" + ")" * 31).evaluate({"a": "x"}) is True
    with pytest.raises(ConditionError) as info:
        parse("not " * 32 + "lower(a)")
    assert info.value.column == 134


def test_limits_follow_the_environment() -> None:
    """Each limit is read from its TRIAGE_LIMIT_* variable: lower ones refuse more, higher ones allow more."""
    with limits_set(condition_depth=3, list_items=2), pytest.raises(ConditionError) as info:
        parse("((((a))))")
    assert info.value.reason == "the condition nests 4 deep; the limit is 3 (TRIAGE_LIMIT_CONDITION_DEPTH)"
    with limits_set(list_items=2), pytest.raises(ConditionError) as info:
        parse("a in [1, 2, 3]")
    assert info.value.reason == "a list holds 3 items; the limit is 2 (TRIAGE_LIMIT_LIST_ITEMS)"
    with limits_set(condition_length=10_000):
        with pytest.raises(ConditionError) as info:
            parse("n == " + "9" * 5000)
        assert info.value.reason == "a number has 5,000 digits; the limit is 30 (TRIAGE_LIMIT_NUMBER_DIGITS)"
        with limits_set(number_digits=40):
            assert parse("n < " + "9" * 40).evaluate({"n": 1}) is True
    with pytest.raises(ConditionError):  # the cache does not keep what higher limits let through
        parse("n < " + "9" * 40)


def test_a_number_past_what_python_reads_is_a_condition_error() -> None:
    """With the digit limit raised past Python's own (4,300 digits), a longer number is refused, not a ValueError."""
    with limits_set(condition_length=10_000, number_digits=10_000), pytest.raises(ConditionError) as info:
        parse("n == " + "9" * 5000)
    assert info.value.reason == "the number 999999999999... is too long for Python to read"
    assert info.value.column == 6


def test_nesting_far_past_pythons_recursion_limit_parses_and_evaluates() -> None:
    """The parser and the evaluator keep their own stacks: with the limits raised, nesting deeper than
    Python's recursion limit and chains of thousands of terms work, and give the right answer."""
    n = 5 * sys.getrecursionlimit()
    with limits_set(**ROOMY):
        assert parse("(" * n + "a == 1" + ")" * n).evaluate({"a": 1}) is True
        assert parse("not " * n + "a").evaluate({"a": True}) is (n % 2 == 0)
        assert parse("not (" * n + "a" + ")" * n).evaluate({"a": False}) is (n % 2 == 1)
        assert parse(" and ".join(["a"] * n)).evaluate({"a": 1}) is True
        assert parse(" and ".join(["a"] * n) + " and b").evaluate({"a": 1}) is False
        assert parse(" or ".join(["a"] * n) + " or b").evaluate({"b": 1}) is True
        assert parse("a in " + "[" * n + "1" + "]" * n).evaluate({"a": 1}) is False
        assert (
            parse("[" * n + "]" * n + " == " + "[" * n + "]" * n).evaluate({}) is False
        )  # too deep to compare


# -- fuzzing: nothing but ConditionError, whatever the text -------------------------------------------


def parse_or_refuse(source: str) -> Any:
    """The parsed condition, or None if refused with a ConditionError placed inside (or just after) the text."""
    try:
        return parse(source)
    except ConditionError as exc:
        refused = exc
    assert refused.source == source
    assert 1 <= refused.column <= len(source) + 1, (refused.column, len(source))
    return None


@given(condition_texts, odd_facts)
@example("a == ((1)", {})
@example("not not not", {})
@example("[[[", {})
@example("a in [1,", {})
@example("a not", {})
@example("a not in", {})
@example("1 or 2 or", {})
@example("'it\\'", {})
@example("visits(", {})
@example("visits('a'", {})
@example("count(count(", {})
@example("foo(", {})
@example("a contains", {})
@example("a not contains 'x'", {})
@example("contains contains contains", {"contains": ["x"]})
def test_random_token_strings_raise_only_condition_errors(source: str, facts: dict[str, Any]) -> None:
    """Random strings of tokens and text either parse, and then evaluate to a bool, or raise ConditionError."""
    cond = parse_or_refuse(source)
    if cond is not None:
        assert cond.evaluate(facts, visits={"restart": 2}) in (True, False)


@given(hostile_conditions(), odd_facts, st.booleans())
def test_hostile_shapes_raise_only_condition_errors(source: str, facts: dict[str, Any], roomy: bool) -> None:
    """Deep, long, wide and huge conditions, within the limits or far past them (default or raised), either
    parse and evaluate to a bool or raise ConditionError: never RecursionError, ValueError or anything else."""
    with limits_set(**ROOMY, number_digits=100_000) if roomy else contextlib.nullcontext():
        cond = parse_or_refuse(source)
        if cond is not None:
            assert cond.evaluate(facts, visits={"b": 10**400}) in (True, False)
