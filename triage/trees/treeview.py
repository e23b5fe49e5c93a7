"""What the tree checks share: a view of one tree (its nodes by id, where each is written, its graph, its facts,
its pictures) and the findings they make.

:mod:`triage.trees.checks` runs the rules; :mod:`triage.trees.lint` holds the ones that only warn.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from functools import cached_property
from pathlib import Path

import networkx as nx

from triage.errors import Diagnostic, Severity
from triage.trees.graph import build_graph, facts_known
from triage.trees.markdown import image_hosts
from triage.trees.media import image_problem
from triage.trees.model import AnyNode, Tree

__all__ = ["HEALTHY_RESULTS", "KNOWN_SYSTEMS", "NodeRule", "Rule", "TreeView", "diag", "err", "warn"]

KNOWN_SYSTEMS: frozenset[str] = frozenset(
    {
        "line_test",
        "router_status",
        "box_status",
        "account_status",
        "app_platform_status",
        "wifi_status",
        "voice_status",
        "mobile_status",
        "refresh_box",
        "reboot_router",
        "reset_line_profile",
        "optimise_wifi",
        "reprovision_service",
        "reset_voice_port",
        "refresh_mobile_network",
    }
)
"""The remote checks and actions the shipped trees and the demo provider use (see :mod:`triage.walk.systems`)."""

HEALTHY_RESULTS: dict[str, str] = {
    "line_test": "ok",
    "router_status": "online",
    "box_status": "online",
    "account_status": "active",
    "app_platform_status": "ok",
    "wifi_status": "ok",
    "voice_status": "registered",
    "mobile_status": "ok",
}
"""What each known remote check reports when nothing is wrong with what it measures (a hung router does not
fail a line test): the simulated customer's result where the fault leaves the check's reading alone."""


def diag(
    sev: Severity,
    code: str,
    msg: str,
    loc: tuple[str | int, ...],
    hint: str | None = None,
    node: str | None = None,
) -> Diagnostic:
    """A finding of a rule (the loader adds the file, line and node from ``loc``)."""
    return Diagnostic(severity=sev, code=code, message=msg, loc=loc, hint=hint, node_id=node)


def err(code: str, msg: str, loc: tuple[str | int, ...], hint: str | None = None) -> Diagnostic:
    """An error found by a rule, located by its place in the tree's data."""
    return diag(Severity.ERROR, code, msg, loc, hint)


def warn(code: str, msg: str, loc: tuple[str | int, ...], hint: str | None = None) -> Diagnostic:
    """A warning found by a rule, located by its place in the tree's data."""
    return diag(Severity.WARNING, code, msg, loc, hint)


class TreeView:
    """What the rules share about one tree: its nodes by id, where each is written, its graph, its facts."""

    def __init__(
        self,
        tree: Tree,
        library: Mapping[str, Tree] | None,
        media_folder: Path | None = None,
        systems: Collection[str] | None = KNOWN_SYSTEMS,
    ) -> None:
        self.tree = tree
        self.library = library
        self.media_folder = media_folder
        self.systems = systems
        self.ids = tree.by_id
        # the first place each id is written (a repeat is reported, and located, by `duplicate_id`)
        self.index: dict[str, int] = {}
        for i, node in enumerate(tree.nodes):
            self.index.setdefault(node.id, i)
        self.fault_ids = {f.id for f in tree.faults}
        self._images: dict[str, tuple[str, str] | None] = {}

    def loc(self, node_id: str, *rest: str | int) -> tuple[str | int, ...]:
        """Where a node (or something inside it) is written in the tree's data."""
        return ("nodes", self.index[node_id], *rest)

    @cached_property
    def graph(self) -> nx.DiGraph:
        """The tree as a graph (links to missing nodes left out)."""
        return build_graph(self.tree)

    @cached_property
    def known(self) -> set[str]:
        """The facts its conditions may read (see :func:`~triage.trees.graph.facts_known`)."""
        return facts_known(self.tree, self.library)

    @cached_property
    def hosts(self) -> frozenset[str]:
        """The hosts an ``https`` picture may come from (``TRIAGE_IMAGE_HOSTS``)."""
        return image_hosts()

    def image_problem(self, image: str) -> tuple[str, str] | None:
        """What is wrong with a picture (see :func:`~triage.trees.media.image_problem`), each file looked at once."""
        if image not in self._images:
            self._images[image] = image_problem(image, self.media_folder, self.hosts)
        return self._images[image]


Rule = Callable[[TreeView], Iterator[Diagnostic]]
"""A check on a whole tree."""


NodeRule = Callable[[TreeView, AnyNode], Iterator[Diagnostic]]
"""A check on one node of a tree."""
