"""The shipped tree library: every tree validates cleanly, its scenarios reach every outcome it has, and it
says what real vendor procedures say (issue #10): confirmations are instructions, waits are waits, a visit
on a line or cable service comes only after the outage check and a remote check, and one tree shows loops,
waits, pictures and a part shipment."""

from __future__ import annotations

import importlib.util
import re
import struct
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, UnionType
from typing import Any, Union, get_args, get_origin

import networkx as nx
import pytest
from libraries import shipped
from pydantic import BaseModel

from triage import Library, run_scenarios
from triage.desk.remote import DEMO_ACTIONS, DEMO_CHECKS
from triage.trees.graph import build_graph, call_graph
from triage.trees.model import (
    NODE_KINDS,
    OUTCOME_KINDS,
    ActionNode,
    CallNode,
    Category,
    CheckNode,
    CollectNode,
    FactType,
    InstructionNode,
    LogicNode,
    OutcomeTypes,
    RepeatNode,
    ReturnNode,
    ShipPartOutcome,
    Tree,
    VisitOutcome,
    WaitNode,
)
from triage.trees.outcomes import DiagnosisOutcome, HandoverOutcome, RepairOutcome
from triage.walk.session import Session

LIB = shipped()
TREES = [t for t in LIB.trees.values() if not t.procedure]
PROCEDURES = [t for t in LIB.trees.values() if t.procedure]
ROOT = Path(__file__).resolve().parents[2]
MEDIA = ROOT / "trees" / "media"
SHOWCASE = "laptop-wont-power-on"
LINE_SERVICES = {"internet", "tv"}
"""Services delivered over a line or cable: a visit for them needs the outage check and a remote check first."""
REMOTE_CHECKS = set(DEMO_CHECKS)
SWAPPABLE = {
    "laptop-charger-65w",
    "laptop-charger-usb-c-65w",
    "laptop-power-adapter-65w",
    "power-adapter",
    "router",
    "router-power-adapter",
    "set-top-box",
    "set-top-box-power-adapter",
    "hdmi-cable",
    "remote-control",
}
"""Parts a customer plugs in themselves: shipped, never the whole reason for a technician's visit."""


def test_no_errors_and_no_warnings() -> None:
    """Every shipped file loads with no error and no lint warning."""
    assert [str(d) for d in LIB.diagnostics] == []
    assert LIB.broken == {}


def test_library_size() -> None:
    """At least 12 trees, at least 4 per category, each with at least 15 nodes."""
    assert len(TREES) >= 12
    per_category = Counter(t.category for t in TREES)
    assert all(per_category[c] >= 4 for c in Category), per_category
    small = [(t.id, len(t.nodes)) for t in TREES if len(t.nodes) < 15]
    assert small == []


def test_every_node_kind_and_outcome_kind_appears() -> None:
    """Across the library every node kind and every outcome kind is used."""
    kinds = {n.kind for t in LIB.trees.values() for n in t.nodes}
    outcomes = {n.outcome for t in LIB.trees.values() for n in t.nodes if isinstance(n, OutcomeTypes)}
    assert kinds == set(NODE_KINDS)
    assert outcomes == set(OUTCOME_KINDS)


def _reachable_outcome_kinds(tree: Tree, lib: Library) -> set[str]:
    """Outcome kinds reachable from the start, following calls into procedures."""
    kinds: set[str] = set()
    seen: set[str] = set()
    stack = [tree]
    while stack:
        t = stack.pop()
        if t.id in seen:
            continue
        seen.add(t.id)
        reach = nx.descendants(build_graph(t), t.start) | {t.start}
        for node_id in reach:
            node = t.node(node_id)
            if isinstance(node, OutcomeTypes):
                kinds.add(node.outcome)
            if isinstance(node, CallNode):
                stack.append(lib[node.procedure])
    return kinds


@pytest.mark.parametrize("category", list(Category))
def test_each_category_reaches_resolved_escalate_and_visit(category: Category) -> None:
    """Each category still has paths to resolved, escalate and visit (besides the newer outcome kinds)."""
    kinds: set[str] = set()
    for t in TREES:
        if t.category is category:
            kinds |= _reachable_outcome_kinds(t, LIB)
    assert {"resolved", "escalate", "visit"} <= kinds, kinds


def test_shared_procedures_are_called_from_several_trees() -> None:
    """At least two procedures, each called from two or more trees, and each able to return."""
    g = call_graph(LIB)
    shared = [p.id for p in PROCEDURES if g.in_degree(p.id) >= 2]
    assert len(shared) >= 2, shared
    for p in PROCEDURES:
        assert any(isinstance(n, ReturnNode) for n in p.nodes), p.id


@pytest.mark.parametrize("tree", TREES, ids=lambda t: t.id)
def test_scenarios_pass_and_reach_every_outcome(tree: Tree) -> None:
    """The tree's scenario tests pass, and between them end at every outcome node of the tree."""
    results = run_scenarios(tree, LIB)
    assert [r.message for r in results if not r.passed] == []
    outcomes = {n.id for n in tree.nodes if isinstance(n, OutcomeTypes)}
    assert outcomes - {r.reached for r in results} == set()
    assert any(s.mode.value == "self_service" for s in tree.scenarios)


@pytest.mark.parametrize("tree", PROCEDURES, ids=lambda t: t.id)
def test_procedure_scenarios_pass(tree: Tree) -> None:
    """A shared procedure's own scenarios pass too."""
    assert [r.message for r in run_scenarios(tree, LIB) if not r.passed] == []


def _walk(tree: Tree, index: int) -> Session:
    sc = tree.scenarios[index]
    s = Session.start(LIB, tree.id, mode=sc.mode, locale=sc.locale, facts=sc.facts)
    for answer in sc.answers:
        if s.finished:
            break
        s.submit(answer)
    return s


def test_scenarios_between_them_visit_every_node_of_the_library() -> None:
    """Every node of every tree, procedures included, is on the path of at least one scenario."""
    seen = {
        (step.pos.tree_id, step.pos.node_id)
        for t in LIB.trees.values()
        for i in range(len(t.scenarios))
        for step in _walk(t, i).path
    }
    missing = [(t.id, n.id) for t in LIB.trees.values() for n in t.nodes if (t.id, n.id) not in seen]
    assert missing == []


def test_scenarios_answer_the_new_kinds() -> None:
    """Scenarios give instructions "done", waits both "not_yet" and "ready", checks a result by value and
    multi-select steps several values; the outage path starts with a region and ``outage_in_area``."""
    answered: dict[str, set[str]] = {"instruction": set(), "wait": set(), "check": set()}
    multi: list[list[str]] = []
    outage_starts = []
    for t in LIB.trees.values():
        for i, sc in enumerate(t.scenarios):
            if sc.facts.get("outage_in_area") is True and "region" in sc.facts:
                outage_starts.append(t.id)
            for step in _walk(t, i).path:
                node = LIB[step.pos.tree_id].node(step.pos.node_id)
                if node.kind in answered and step.answer is not None:
                    answered[node.kind].add(str(step.answer))
                if isinstance(node, CollectNode) and node.type is FactType.MULTI and step.answer:
                    multi.append(step.answer)
    assert {"done", "could_not"} <= answered["instruction"]
    assert {"ready", "not_yet"} <= answered["wait"]
    assert {"ok", "fault", "no_sync", "online", "offline", "updating", "unavailable"} <= answered["check"]
    assert any(len(values) > 1 for values in multi)
    service_trees = {t.id for t in TREES if t.service in LINE_SERVICES}
    assert service_trees
    assert service_trees <= set(outage_starts)


# -- instructions are not fixes; waits are waits ------------------------------------------------------

_CONFIRMATION = re.compile(
    r"unplugged|have \d+ seconds passed|seconds passed|is everything|did you hold|have you|could you read|"
    r"is your work saved|did the (computer|mac) switch off|has the computer started|is the data safely|"
    r"could you change",
    re.IGNORECASE,
)
"""Questions that only confirm a step was carried out: they belong to instructions, never to fixes."""


def test_the_shipped_trees_use_instruction_and_wait_steps() -> None:
    """Instructions and waits are used widely, in procedures and in ordinary trees."""
    instructions = [
        (t.id, n.id) for t in LIB.trees.values() for n in t.nodes if isinstance(n, InstructionNode)
    ]
    waits = [(t.id, n.id) for t in LIB.trees.values() for n in t.nodes if isinstance(n, WaitNode)]
    assert len(instructions) >= 10, instructions
    assert len(waits) >= 10, waits
    for procedure in ("power-cycle-router", "restart-set-top-box", "power-drain-reset", "restart-computer"):
        kinds = {n.kind for n in LIB[procedure].nodes}
        assert {"instruction", "wait"} <= kinds, procedure
    assert len({t for t, _ in waits if not LIB[t].procedure}) >= 5


def test_no_action_is_only_a_confirmation() -> None:
    """Every action can go two ways (a "fixed" that leads elsewhere than "not fixed"), and no action asks
    whether a step was merely carried out ("Is the router unplugged and have 30 s passed?")."""
    same_way = []
    confirming = []
    for t in LIB.trees.values():
        for n in t.nodes:
            if not isinstance(n, ActionNode):
                continue
            if n.on_fixed == n.on_not_fixed:
                same_way.append((t.id, n.id))
            check = n.check if isinstance(n.check, dict) else {"en": n.check or ""}
            if _CONFIRMATION.search(check.get("en", "")):
                confirming.append((t.id, n.id, check.get("en")))
    assert same_way == []
    assert confirming == []


def test_every_wait_is_bounded_and_rechecks() -> None:
    """A wait has a re-check question, a number of tries, and a fallback for the last "not yet"."""
    for t in LIB.trees.values():
        for n in t.nodes:
            if isinstance(n, WaitNode):
                assert n.check, (t.id, n.id)
                assert n.tries >= 1, (t.id, n.id)
                assert n.fallback in t.by_id, (t.id, n.id)


def test_remote_steps_are_run_by_the_provider() -> None:
    """The refresh signal to a TV box and the remote router restart are `performer: system` steps."""
    systems = {
        n.system
        for t in LIB.trees.values()
        for n in t.nodes
        if isinstance(n, ActionNode | InstructionNode) and n.system
    }
    assert {"refresh_box", "reboot_router"} <= systems <= set(DEMO_ACTIONS)
    checks = {n.system for t in LIB.trees.values() for n in t.nodes if isinstance(n, CheckNode)}
    assert {"line_test", "router_status", "box_status", "account_status"} <= checks <= REMOTE_CHECKS


# -- no technician before the outage check and a remote check -----------------------------------------


def _service_trees() -> list[Tree]:
    return [t for t in LIB.trees.values() if t.service in LINE_SERVICES]


def test_connectivity_trees_name_their_service() -> None:
    """Every connectivity tree says which service it is about, so an outage of it is found at the start."""
    assert {t.id: t.service for t in LIB.trees.values() if t.category is Category.CONNECTIVITY} == {
        "no-internet": "internet",
        "slow-wifi": "internet",
        "power-cycle-router": "internet",
        "tv-no-signal": "tv",
        "tv-picture-freezing": "tv",
        "restart-set-top-box": "tv",
        "device-cant-connect-wifi": "internet",
        "line-drops-slow-speed": "internet",
        "new-install-activation": "internet",
        "landline-no-dial-tone": "phone",
        "mobile-data-sim": "mobile",
    }


@pytest.mark.parametrize("tree", [t for t in TREES if t.service in LINE_SERVICES], ids=lambda t: t.id)
def test_a_service_tree_checks_the_outage_first_and_tells_the_customer(tree: Tree) -> None:
    """The start is a logic node whose first rule is ``outage_in_area``, leading to a diagnosis outcome."""
    start = tree.node(tree.start)
    assert isinstance(start, LogicNode)
    assert start.rules[0].when.replace(" ", "") == "outage_in_area==true"
    target = tree.node(start.rules[0].next)
    assert isinstance(target, DiagnosisOutcome)


@pytest.mark.parametrize("tree", _service_trees(), ids=lambda t: t.id)
def test_every_visit_comes_after_a_remote_check(tree: Tree) -> None:
    """Every path from the start to a visit passes a remote check node: without the check nodes, no visit
    can be reached. (Visits for these services are line or cable visits.)"""
    g = build_graph(tree)
    checks = [n.id for n in tree.nodes if isinstance(n, CheckNode)]
    visits = [n.id for n in tree.nodes if isinstance(n, VisitOutcome)]
    g.remove_nodes_from(checks)
    reachable = nx.descendants(g, tree.start) | {tree.start}
    assert [v for v in visits if v in reachable] == []
    for v in visits:  # and each visit is reachable at all, through a check
        assert nx.has_path(build_graph(tree), tree.start, v), v


def test_the_graph_rule_would_catch_a_visit_without_a_check() -> None:
    """The path rule above is not vacuous: bypassing no-internet's line test makes the visit reachable."""
    tree = LIB["no-internet"]
    g = build_graph(tree)
    g.add_edge("lights_back", "line_fault")  # a link straight from the power check to the visit
    g.remove_nodes_from([n.id for n in tree.nodes if isinstance(n, CheckNode) and n.system == "line_test"])
    assert "line_fault" in nx.descendants(g, tree.start)


# -- outcomes say what really happens -----------------------------------------------------------------


def test_swappable_parts_are_shipped_and_send_in_repairs_are_repairs() -> None:
    """Chargers, power adapters, routers and TV boxes are shipped; board faults go to a depot with an RMA."""
    ship = {(t.id, n.id) for t in LIB.trees.values() for n in t.nodes if isinstance(n, ShipPartOutcome)}
    repairs = {(t.id, n.id) for t in LIB.trees.values() for n in t.nodes if isinstance(n, RepairOutcome)}
    assert {
        ("laptop-not-charging", "charger_replace"),
        ("pc-no-power", "ship_charger"),
        ("no-internet", "dead_router"),
        ("restart-set-top-box", "wont_start"),
        (SHOWCASE, "ship_adapter"),
    } <= ship
    assert {("laptop-not-charging", "board_depot"), ("pc-no-power", "repair_depot")} <= repairs
    parts = {
        p.part for t in LIB.trees.values() for n in t.nodes if isinstance(n, ShipPartOutcome) for p in n.parts
    }
    assert "laptop-power-adapter-65w" in parts
    only_swaps = [
        (t.id, n.id)
        for t in LIB.trees.values()
        for n in t.nodes
        if isinstance(n, VisitOutcome) and n.parts and set(n.parts) <= SWAPPABLE
    ]
    assert only_swaps == []  # a technician who would only bring a part the customer can plug in


def test_handovers_go_to_ordinary_trees() -> None:
    """A handover names a tree of the library that is not a procedure."""
    handovers = [
        (t.id, n.tree) for t in LIB.trees.values() for n in t.nodes if isinstance(n, HandoverOutcome)
    ]
    assert len(handovers) >= 3
    for source, target in handovers:
        assert target in LIB.trees
        assert not LIB[target].procedure
        assert target != source


def test_follow_ups_are_resolved_outcomes_with_a_day_count() -> None:
    """ "Check again in N days" is a resolved outcome with ``follow_up_days`` and what to check."""
    follow = [
        (t.id, n.id)
        for t in LIB.trees.values()
        for n in t.nodes
        if n.kind == "outcome" and getattr(n, "follow_up_days", None)
    ]
    assert len(follow) >= 3
    for tid, nid in follow:
        node = LIB[tid].node(nid)
        assert node.outcome == "resolved"
        assert node.follow_up is not None


# -- every text in both languages ---------------------------------------------------------------------


def _is_text(annotation: Any) -> bool:
    """A field typed ``Text`` (or ``Text | None``): a string or a map of locale to string."""
    if get_origin(annotation) not in (Union, UnionType):
        return False
    args = get_args(annotation)
    return str in args and any(get_origin(a) is dict for a in args)


def _texts(obj: BaseModel, where: str) -> Iterator[tuple[str, Any]]:
    """Every translatable text inside a node or media item, with where it is."""
    for name, field in type(obj).model_fields.items():
        value = getattr(obj, name)
        if isinstance(value, BaseModel):
            yield from _texts(value, f"{where}.{name}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from _texts(item, f"{where}.{name}.{i}")
        elif name == "choice_labels":
            for choice, label in value.items():
                yield f"{where}.{name}.{choice}", label
        elif _is_text(field.annotation) and value not in (None, ""):
            yield f"{where}.{name}", value


@pytest.mark.parametrize("tree", list(LIB.trees.values()), ids=lambda t: t.id)
def test_every_text_is_in_english_and_german(tree: Tree) -> None:
    """Every text of every node, new fields included (cautions, wait checks, pictures' alt text and captions,
    shipping instructions, findings), has both languages; shipped trees serve English and German."""
    assert tree.locales == ["en", "de"]
    missing = [
        where
        for node in tree.nodes
        for where, text in _texts(node, node.id)
        if not isinstance(text, dict)
        or set(text) != {"en", "de"}
        or not all(v.strip() for v in text.values())
    ]
    assert missing == []


# -- the showcase tree ---------------------------------------------------------------------------------


def test_showcase_has_a_repeat_over_a_list_fact_with_until() -> None:
    """ "Which memory modules are fitted?" is a multi-select, and a repeat tests each one until one starts."""
    tree = LIB[SHOWCASE]
    repeat = next(n for n in tree.nodes if isinstance(n, RepeatNode))
    fitted = next(n for n in tree.nodes if isinstance(n, CollectNode) and n.fact == repeat.over)
    assert fitted.type is FactType.MULTI
    assert len(fitted.choices) >= 2
    assert repeat.until is not None
    body = tree.node(repeat.body)
    assert repeat.id in [target for _, target, _ in body.links()]


def test_showcase_has_waits_caution_media_a_link_and_both_new_part_outcomes() -> None:
    """The showcase holds a wait with several tries, a caution, pictures, an https link, ship_part and repair."""
    tree = LIB[SHOWCASE]
    kinds = {n.kind for n in tree.nodes}
    assert {"repeat", "wait", "instruction", "collect"} <= kinds
    assert any(isinstance(n, WaitNode) and n.tries > 1 for n in tree.nodes)
    assert any(n.caution is not None for n in tree.nodes)
    outcomes = {n.outcome for n in tree.nodes if isinstance(n, OutcomeTypes)}
    assert {"ship_part", "repair", "resolved"} <= outcomes
    adapter = tree.node("ship_adapter")
    assert isinstance(adapter, ShipPartOutcome)
    assert [p.part for p in adapter.parts] == ["laptop-power-adapter-65w"]
    assert adapter.return_old
    images = [m for n in tree.nodes for m in n.media if m.image]
    links = [m for n in tree.nodes for m in n.media if m.link]
    assert len(images) >= 3
    assert links
    assert all(m.link and m.link.startswith("https://") for m in links)


def test_a_repair_walk_gets_an_rma_and_a_ship_walk_names_the_part() -> None:
    """Walking the showcase to its repair gives an RMA reference; to the adapter, a shipment of that part."""
    tree = LIB[SHOWCASE]
    names = [sc.name for sc in tree.scenarios]
    repair = _walk(tree, names.index("blink code")).decision
    assert repair is not None
    assert repair.rma is not None
    assert repair.rma.startswith("RMA-")
    shipped_walk = _walk(tree, names.index("dead adapter is shipped")).decision
    assert shipped_walk is not None
    assert shipped_walk.kind.value == "ship_part"


def test_the_memory_loop_runs_once_per_fitted_module() -> None:
    """Two modules fitted, neither starts the laptop alone: two rounds, then the repair; with `until`, the
    first module that starts it ends the rounds early."""
    tree = LIB[SHOWCASE]
    names = [sc.name for sc in tree.scenarios]
    both_dead = _walk(tree, names.index("no module starts it"))
    rounds = [s for s in both_dead.path if s.pos.node_id == "test_module"]
    assert len(rounds) == 2
    assert both_dead.facts["module_round"] == 2
    first_starts = _walk(tree, names.index("first module starts it alone, the other is replaced"))
    assert [s.pos.node_id for s in first_starts.path].count("test_module") == 1
    assert first_starts.decision is not None
    assert first_starts.decision.node_id == "ship_memory"


def _media_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_media", MEDIA / "make_media.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header, after checking the signature and the header's checksum."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR"
    assert length == 13
    header = data[16:29]
    assert struct.unpack(">I", data[29:33])[0] == zlib.crc32(kind + header)
    width, height = struct.unpack(">II", header[:8])
    return width, height


def test_every_picture_a_tree_names_is_a_small_real_png() -> None:
    """Each image is a file under trees/media/, a valid PNG of sensible size, with alt text and caption."""
    named = {m.image for t in LIB.trees.values() for n in t.nodes for m in n.media if m.image}
    assert named
    for name in named:
        assert name is not None
        assert not name.startswith("https://")
        path = MEDIA / name
        data = path.read_bytes()
        width, height = _png_size(data)
        assert 100 <= width <= 1200, name
        assert 100 <= height <= 1200, name
        assert len(data) < 50_000, name
    for t in LIB.trees.values():
        for n in t.nodes:
            for m in n.media:
                if m.image:
                    assert m.alt is not None, (t.id, n.id)
                    assert m.caption is not None, (t.id, n.id)


def test_the_pictures_are_what_the_script_draws() -> None:
    """trees/media/make_media.py redraws every picture byte for byte, so anyone can change and redraw one."""
    module = _media_module()
    drawn = {name: draw().png() for name, draw in module.PICTURES.items()}
    assert sorted(drawn) == sorted(str(p.relative_to(MEDIA)) for p in MEDIA.rglob("*.png"))
    for name, data in drawn.items():
        assert (MEDIA / name).read_bytes() == data, name


def test_the_png_writer_round_trips_pixels() -> None:
    """The script's PNG decodes back to the pixels it painted (inflate the data, drop the filter bytes)."""
    module = _media_module()
    canvas = module.Canvas(3, 2, (255, 255, 255))
    canvas.dot(1, 0, (10, 20, 30))
    data = canvas.png()
    assert _png_size(data) == (3, 2)
    idat_len = struct.unpack(">I", data[33:37])[0]
    assert data[37:41] == b"IDAT"
    raw = zlib.decompress(data[41 : 41 + idat_len])
    rows = [raw[i * 10 + 1 : (i + 1) * 10] for i in range(2)]
    assert rows[0] == bytes([255, 255, 255, 10, 20, 30, 255, 255, 255])
    assert rows[1] == bytes([255] * 9)
