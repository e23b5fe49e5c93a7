"""Answers as people type them, turned into the values a session stores.

A question takes an option's value, its label in the session's language or its number in the list; an
action takes fixed / not fixed / could not (and everyday words for them); an instruction done / could not;
a wait ready / not yet; a remote check one of its results (or ``unavailable``); a collect step takes a number,
yes / no, one of its choices or text, checked against the step's limits. Anything else raises
:class:`~triage.errors.InvalidAnswer` with a message that says what would fit.

A session's language is a value people give too: :func:`check_locale` accepts a well-formed language tag that
Babel knows (``en``, ``de``, ``pt-BR``) and refuses anything else with :class:`~triage.errors.InvalidLocale`.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from typing import Any

from babel import Locale, UnknownLocaleError

from triage.errors import InvalidAnswer, InvalidLocale
from triage.i18n import t
from triage.trees.model import (
    UNAVAILABLE,
    ActionNode,
    ActionResult,
    AnyNode,
    CheckNode,
    CollectNode,
    FactType,
    InstructionNode,
    InstructionResult,
    Option,
    QuestionNode,
    WaitNode,
    WaitResult,
    localize,
)

__all__ = [
    "LOCALE_CHARS",
    "action_result",
    "check_locale",
    "collect_value",
    "instruction_result",
    "interpret",
    "pick_option",
    "wait_result",
]

LOCALE_CHARS = 20
"""The longest locale tag a session takes (the size of ``sessions.locale``)."""
_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")  # BCP 47 language[-script][-region][-variant]

_FIXED = {"fixed", "yes", "y", "true", "1", "helped"}
_NOT_FIXED = {"not_fixed", "no", "n", "false", "0", "not fixed"}
_COULD_NOT = {"could_not", "cannot", "can't", "skip", "could not"}
_DONE = {"done", "yes", "y", "true", "1", "ok", "did it"}
_READY = {"ready", "yes", "y", "true", "1", "ok"}
_NOT_YET = {"not_yet", "not yet", "no", "n", "false", "0"}
_YES = ("yes", "y", "true", "1", "ja", "j")
_NO = ("no", "n", "false", "0", "nein")
_Parser = Callable[[CollectNode, Any, str], Any]


def interpret(node: AnyNode, value: Any, locale: str) -> tuple[Any, str, str | None]:
    """Check an answer against the step: (value to store, next node id, safety reason)."""
    if isinstance(node, QuestionNode):
        opt = pick_option(node, value, locale)
        return opt.value, opt.next, opt.safety
    if isinstance(node, ActionNode):
        result = action_result(value, locale)
        return result.value, node.target(result), None
    if isinstance(node, CollectNode):
        return collect_value(node, value, locale), node.next, None
    return _other_step(node, value, locale)


def _other_step(node: AnyNode, value: Any, locale: str) -> tuple[Any, str, str | None]:
    """Instructions, waits and remote checks; anything else takes no answer."""
    if isinstance(node, InstructionNode):
        done = instruction_result(node, value, locale)
        return done.value, node.target(done), None
    if isinstance(node, WaitNode):
        # "not yet" stays at the wait; the session sends it to the fallback after the last try
        ready = wait_result(value, locale)
        return ready.value, node.next if ready is WaitResult.READY else node.id, None
    if isinstance(node, CheckNode):
        if str(value).strip().lower() == UNAVAILABLE:
            return UNAVAILABLE, node.on_unavailable, None
        opt = _pick(node.results, value, locale)
        return opt.value, opt.next, opt.safety
    raise InvalidAnswer(f"step {node.id!r} is a {node.kind} step and takes no answer")


def pick_option(node: QuestionNode, value: Any, locale: str) -> Option:
    """The option an answer names: by value, by label (any case), or by its number in the list."""
    return _pick(node.options, value, locale)


def _pick(options: list[Option], value: Any, locale: str) -> Option:
    if isinstance(value, bool):  # YAML turns an unquoted yes/no into true/false
        value = "yes" if value else "no"
    raw = str(value).strip()
    for o in options:
        if o.value == raw:
            return o
    low = raw.lower()
    for o in options:
        if localize(o.label, locale).strip().lower() == low or o.value.lower() == low:
            return o
    if re.fullmatch(r"\d+", raw) and 1 <= int(raw) <= len(options):
        return options[int(raw) - 1]
    names = ", ".join(repr(o.value) for o in options)
    raise InvalidAnswer(t("answer.invalid_option", locale, answer=value, options=names))


def action_result(value: Any, locale: str) -> ActionResult:
    """What doing an action achieved: fixed, not fixed or could not."""
    if isinstance(value, ActionResult):
        return value
    if isinstance(value, bool):
        return ActionResult.FIXED if value else ActionResult.NOT_FIXED
    raw = str(value).strip().lower()
    if raw in _FIXED:
        return ActionResult.FIXED
    if raw in _NOT_FIXED:
        return ActionResult.NOT_FIXED
    if raw in _COULD_NOT:
        return ActionResult.COULD_NOT
    raise InvalidAnswer(
        t("answer.invalid_option", locale, answer=value, options="'fixed', 'not_fixed', 'could_not'")
    )


def instruction_result(node: InstructionNode, value: Any, locale: str) -> InstructionResult:
    """An instruction done, or (where the step offers it) could not be done."""
    raw = str(value).strip().lower() if not isinstance(value, bool) else ("done" if value else "no")
    if raw in _DONE:
        return InstructionResult.DONE
    if raw in _COULD_NOT and node.on_could_not:
        return InstructionResult.COULD_NOT
    options = "'done', 'could_not'" if node.on_could_not else "'done'"
    raise InvalidAnswer(t("answer.invalid_option", locale, answer=value, options=options))


def wait_result(value: Any, locale: str) -> WaitResult:
    """After a wait: ready, or not yet."""
    raw = str(value).strip().lower() if not isinstance(value, bool) else ("ready" if value else "not_yet")
    if raw in _READY:
        return WaitResult.READY
    if raw in _NOT_YET:
        return WaitResult.NOT_YET
    raise InvalidAnswer(t("answer.invalid_option", locale, answer=value, options="'ready', 'not_yet'"))


def collect_value(node: CollectNode, value: Any, locale: str) -> Any:
    """The fact a collect step stores (``None`` for an optional step left empty)."""
    if _empty(value):
        if node.required:
            raise InvalidAnswer(t("answer.required", locale))
        return None
    parse: _Parser = _PARSERS.get(node.type, _text)
    return parse(node, value, locale)


def _empty(value: Any) -> bool:
    """Nothing given: no value, blank text, or no choice ticked."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, list | tuple) and not value)


def _number(node: CollectNode, value: Any, locale: str) -> int | float:
    if isinstance(value, bool):
        raise InvalidAnswer(t("answer.not_number", locale, answer=value))
    try:
        num = float(str(value).strip().replace(",", "."))
    except ValueError:
        raise InvalidAnswer(t("answer.not_number", locale, answer=value)) from None
    if not math.isfinite(num):
        raise InvalidAnswer(t("answer.not_number", locale, answer=value))
    if node.min is not None and num < node.min:
        raise InvalidAnswer(t("answer.too_small", locale, answer=_fmt(num), min=_fmt(node.min)))
    if node.max is not None and num > node.max:
        raise InvalidAnswer(t("answer.too_large", locale, answer=_fmt(num), max=_fmt(node.max)))
    return int(num) if num.is_integer() else num


def _yesno(node: CollectNode, value: Any, locale: str) -> bool:
    if isinstance(value, bool):
        return value
    raw = str(value).strip().lower()
    if raw in _YES:
        return True
    if raw in _NO:
        return False
    raise InvalidAnswer(t("answer.not_yesno", locale, answer=value))


def _multi(node: CollectNode, value: Any, locale: str) -> list[str]:
    """Several choices: a list, or one text with commas; stored in the order of the step's choices."""
    raw = value if isinstance(value, list | tuple | set | frozenset) else str(value).split(",")
    picked = {_choice(node, v, locale) for v in raw if str(v).strip()}
    if not picked and node.required:
        raise InvalidAnswer(t("answer.required", locale))
    return [c for c in node.choices if c in picked]


def _choice(node: CollectNode, value: Any, locale: str) -> str:
    raw = str(value).strip()
    for c in node.choices:
        if c == raw or c.lower() == raw.lower():
            return c
    raise InvalidAnswer(t("answer.not_choice", locale, answer=value, options=", ".join(node.choices)))


def _text(node: CollectNode, value: Any, locale: str) -> str:
    text = str(value).strip()
    if node.pattern is not None and not re.fullmatch(node.pattern, text):
        raise InvalidAnswer(t("answer.pattern", locale, answer=text))
    return text


_PARSERS: dict[FactType, _Parser] = {
    FactType.NUMBER: _number,
    FactType.YESNO: _yesno,
    FactType.CHOICE: _choice,
    FactType.MULTI: _multi,
}


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def check_locale(tag: str) -> str:
    """``tag`` itself if it is a well-formed language tag Babel knows (``de``, ``pt-BR``), else
    :class:`~triage.errors.InvalidLocale`."""
    if not isinstance(tag, str) or len(tag) > LOCALE_CHARS:
        size = f"{len(tag)} characters" if isinstance(tag, str) else type(tag).__name__
        raise InvalidLocale(f"a locale is a language tag of at most {LOCALE_CHARS} characters (got {size})")
    if not _known_locale(tag):
        raise InvalidLocale(f"{tag!r} is not a language tag we know; give one like 'en', 'de' or 'pt-BR'")
    return tag


@functools.lru_cache(maxsize=256)
def _known_locale(tag: str) -> bool:
    if (
        _TAG.fullmatch(tag) is None
    ):  # Babel would take '_' and odd spellings too: only the tag form is a locale
        return False
    try:
        Locale.parse(tag, sep="-")
    except (ValueError, UnknownLocaleError):
        return False
    return True
