"""The automatic parts of a walk: where a logic node routes, a repeat's next round, a wait's tries.

Pure functions of the walk's state, so :class:`~triage.walk.session.Session` stays the one place that holds it
and a replay (which rebuilds the state from the events) arrives at the same routes, rounds and tries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any

from triage.trees.conditions import parse as parse_condition
from triage.trees.model import LogicNode, RepeatNode, WaitResult
from triage.walk.path import Step

__all__ = ["as_items", "next_round", "round_of", "rounds_in_all", "route", "tries"]


def route(node: LogicNode, facts: Mapping[str, Any], visits: Mapping[str, int]) -> str:
    """The node a logic node leads to: the first rule whose condition holds, else its default."""
    for rule in node.rules:
        if parse_condition(rule.when).evaluate(facts, visits=visits):
            return rule.next
    return node.default


def next_round(
    rounds: MutableMapping[str, int],
    key: str,
    node: RepeatNode,
    facts: MutableMapping[str, Any],
    visits: Mapping[str, int],
) -> str:
    """Begin a repeat's next round (setting its item and round facts) and go to its body, or go on when done.

    ``rounds`` holds the rounds begun per repeat (``key`` is ``tree:node``); a finished repeat is forgotten, so
    arriving at it again later starts afresh.
    """
    begun = rounds.get(key, 0)
    items = as_items(facts.get(node.over)) if node.over else None
    total = rounds_in_all(node, facts)
    early = (
        begun > 0 and node.until is not None and parse_condition(node.until).evaluate(facts, visits=visits)
    )
    if early or begun >= total:
        rounds.pop(key, None)
        return node.next
    rounds[key] = begun + 1
    facts[node.counter] = begun + 1
    if items is not None:
        facts[node.item] = items[begun]
    return node.body


def round_of(
    rounds: Mapping[str, int], tree_id: str, node_of: Callable[[str], Any], facts: Mapping[str, Any]
) -> tuple[int, int] | None:
    """(round, of how many) of the innermost repeat under way in ``tree_id``, for "Module 2 of 3"; else None."""
    prefix = f"{tree_id}:"
    for key in reversed(list(rounds)):  # the repeat begun last is the innermost
        if key.startswith(prefix):
            node = node_of(key[len(prefix) :])
            if not isinstance(node, RepeatNode):
                return None
            return rounds[key], rounds_in_all(node, facts)
    return None


def rounds_in_all(node: RepeatNode, facts: Mapping[str, Any]) -> int:
    """How many rounds a repeat runs: one per item of ``over``, at most ``max``."""
    total = len(as_items(facts.get(node.over))) if node.over else (node.max or 0)
    return total if node.max is None else min(total, node.max)


def tries(answered: Sequence[Step], key: str) -> int:
    """How many "not yet" answers in a row the wait at ``key`` has taken, counting back from the last answer."""
    count = 0
    for step in reversed(answered):
        if step.pos.key != key or step.answer != WaitResult.NOT_YET.value:
            break
        count += 1
    return count


def as_items(value: Any) -> list[Any]:
    """A repeat's items: a list fact as it is, one value as a list of one, nothing as none."""
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, list | tuple) else [value]
