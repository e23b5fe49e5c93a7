"""What every tree file is made of: texts in several languages, ids, the enumerations, and the base of a node.

:mod:`triage.trees.steps` and :mod:`triage.trees.outcomes` build the node kinds on :class:`_NodeBase`;
:mod:`triage.trees.model` joins them into a :class:`~triage.trees.model.Tree`.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

ID_PATTERN = r"^[a-z0-9][a-z0-9_\-]*$"
_ID_RE = re.compile(ID_PATTERN)

Link = tuple[str, str, tuple[str | int, ...]]
"""An outgoing link: a label for messages, the target node id, and its location inside the node."""

LOCALE_PATTERN = r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*$"
Locale = Annotated[str, StringConstraints(pattern=LOCALE_PATTERN)]

Text = str | dict[Locale, str]
"""A user-facing text: a plain string, or a map of locale (``en``, ``de``, ``pt-BR``) to string."""


def localize(text: Text | None, locale: str, fallback: str = "en") -> str:
    """Return ``text`` in ``locale``, falling back to its language, then ``fallback``, then any."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    if locale in text:
        return text[locale]
    lang = locale.split("-")[0].split("_")[0]
    if lang in text:
        return text[lang]
    if fallback in text:
        return text[fallback]
    return next(iter(text.values()), "")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Category(StrEnum):
    """Which family of problems a tree belongs to."""

    HARDWARE = "hardware"
    SOFTWARE = "software"
    CONNECTIVITY = "connectivity"


class Audience(StrEnum):
    """Who runs a session: a tier-1 agent on a call, or the customer alone."""

    AGENT = "agent"
    SELF_SERVICE = "self_service"


class Performer(StrEnum):
    """Who may carry out an action: the customer, an agent, a technician, or the provider's systems remotely."""

    CUSTOMER = "customer"
    AGENT = "agent"
    TECHNICIAN = "technician"
    SYSTEM = "system"


class OutcomeKind(StrEnum):
    """The ways a session can end."""

    RESOLVED = "resolved"
    ESCALATE = "escalate"
    VISIT = "visit"
    SHIP_PART = "ship_part"
    REPAIR = "repair"
    DIAGNOSIS = "diagnosis"
    HANDOVER = "handover"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Urgency(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    URGENT = "urgent"


class FactType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    CHOICE = "choice"
    YESNO = "yesno"
    MULTI = "multi"
    """Several of the ``choices`` at once ("which lights are on?"): the fact holds a list."""


class ActionResult(StrEnum):
    """The check that follows every action: did it help?"""

    FIXED = "fixed"
    NOT_FIXED = "not_fixed"
    COULD_NOT = "could_not"


class InstructionResult(StrEnum):
    """An instruction is done, or could not be done; it never claims to fix anything."""

    DONE = "done"
    COULD_NOT = "could_not"


class WaitResult(StrEnum):
    """After a wait: is it ready (the light is green, the box has started), or not yet?"""

    READY = "ready"
    NOT_YET = "not_yet"


MEDIA_TYPES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
"""Picture files a tree may ship under ``trees/media/`` (no SVG: it can carry scripts)."""


def _check_id(value: str) -> str:
    if not _ID_RE.match(value):
        raise ValueError(
            f"id {value!r} must be lower-case letters, digits, '_' or '-', starting with a letter or digit"
        )
    return value


def _slug(text: Text) -> str:
    raw = localize(text, "en")
    slug = re.sub(r"[^a-z0-9]+", "_", raw.lower()).strip("_")
    return slug or "option"


class Option(_Model):
    """One answer to a question."""

    label: Text
    value: str = ""
    next: str
    safety: str | None = Field(
        default=None,
        description="Set to a reason when choosing this answer is a safety sign that stops self-help.",
    )
    help: Text | None = None

    @model_validator(mode="after")
    def _default_value(self) -> Option:
        if not self.value:
            object.__setattr__(self, "value", _slug(self.label))
        return self


class Media(_Model):
    """A picture or a link shown with a step: where the reset button is, which light, the vendor's page.

    ``image`` is a file under ``trees/media/`` (``router/reset-button.png``) or an ``https`` address on an
    allowed host (``TRIAGE_IMAGE_HOSTS``); ``link`` is an ``https`` address. Alt text and captions are per locale.
    """

    image: str | None = Field(default=None, description="A file under trees/media/, or an https URL.")
    link: str | None = Field(default=None, description="An https URL to open (the vendor's page, a video).")
    alt: Text | None = Field(default=None, description="What the picture shows, for screen readers.")
    caption: Text | None = None
    label: Text | None = Field(default=None, description="The words of a link; default its address.")

    @model_validator(mode="after")
    def _one_thing(self) -> Media:
        if (self.image is None) == (self.link is None):
            raise ValueError("a media item is either an `image` or a `link`, not both or neither")
        if self.image is not None and self.alt is None:
            raise ValueError(
                "an `image` needs `alt`: say in words what it shows, for people who cannot see it"
            )
        if self.link is not None and not self.link.startswith("https://"):
            raise ValueError(f"a `link` must be an https:// address (got {self.link!r})")
        return self


class _NodeBase(_Model):
    id: str
    text: Text = Field(description="The step as read out by an agent, or shown to a customer.")
    customer_text: Text | None = Field(
        default=None, description="Plain-words version shown in self-service instead of `text`."
    )
    hint: Text | None = Field(default=None, description="Agent-only note. Never shown in self-service.")
    safety: str | None = Field(
        default=None,
        description="Set to a reason when reaching this node is a safety sign that stops self-help.",
    )
    caution: Text | None = Field(
        default=None,
        description='A warning shown prominently before the step ("back up your files first"); it does not stop.',
    )
    media: list[Media] = Field(default_factory=list, description="Pictures and links shown with the step.")
    tags: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _valid_id(cls, v: str) -> str:
        return _check_id(v)

    def links(self) -> list[Link]:
        """Every outgoing link as ``(label, target id, where it is written inside the node)``."""
        return []
