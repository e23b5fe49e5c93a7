"""A small tree about the ``internet`` service for the outage tests: the shipped trees may or may not name a
service, and the outage rules only apply to a tree that does."""

from __future__ import annotations

from triage.records.store import Store

__all__ = ["LINE_DOWN", "LINE_VISIT", "publish_line_down"]

LINE_DOWN = """\
id: line-down
title: {en: The line is down, de: Die Leitung ist tot}
category: connectivity
service: internet
locales: [en, de]
start: lights
nodes:
  - id: lights
    kind: question
    text: {en: Is the DSL light on?, de: Leuchtet die DSL-Lampe?}
    options:
      - {label: {en: "Yes", de: "Ja"}, value: "yes", next: fine}
      - {label: {en: "No", de: "Nein"}, value: "no", next: tech}
  - id: fine
    kind: outcome
    outcome: resolved
    text: {en: Good., de: Gut.}
  - id: tech
    kind: outcome
    outcome: visit
    skill: broadband-line
    urgency: normal
    text: {en: A technician checks the line., de: Ein Techniker prüft die Leitung.}
"""

LINE_VISIT = ["no"]
"""The answers that walk ``line-down`` to its home visit (skill ``broadband-line``)."""


def publish_line_down(store: Store) -> None:
    """Publish ``line-down`` (service ``internet``) into ``store``."""
    store.publish(LINE_DOWN, author="tests", check_base=False)
