"""The tree layer's checks on the kinds of #10: repeats, waits, remote checks, hand-overs, pictures, the graph
helpers and the pictures drawn, the quoting hints and the published JSON Schema."""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from triage.cli.main import main
from triage.limits import limits
from triage.trees.checks import check_tree
from triage.trees.export import OUTCOME_COLOURS, export_graph, node_label
from triage.trees.graph import distances_to_end, facts_known, terminal_ids
from triage.trees.library import library_from_texts, load_library
from triage.trees.loader import tree_from_text, written_at
from triage.trees.media import find_media_folder, picture_type
from triage.trees.model import OUTCOME_KINDS, Tree
from triage.trees.schema_messages import Written, hidden_numbers, number_form

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16

EVERY_KIND = """
id: every-kind
title: Every kind of #10
category: connectivity
service: internet
start: lights
nodes:
  - id: lights
    kind: collect
    text: Which lights are on?
    fact: lights
    type: multi
    choices: [power, dsl, wifi]
    next: each_light
  - id: each_light
    kind: repeat
    over: lights
    until: visits('unplug') > 2 or light startswith 'ds'
    item: light
    body: unplug
    next: line
  - id: unplug
    kind: instruction
    text: Unplug the router.
    caution: Save your work first.
    media:
      - image: router/back.png
        alt: The back of the router.
      - link: https://vendor.example/manual
        label: The manual
    next: settle
    on_could_not: repair
  - id: settle
    kind: wait
    text: Wait for the lights.
    seconds: 30
    check: Is the power light green?
    tries: 3
    next: each_light
    fallback: each_light
  - id: line
    kind: check
    text: Line test.
    system: line_test
    fact: line
    results:
      - {label: Fine, value: ok, next: refresh}
      - {label: Fault, value: fault, next: part}
      - {label: No sync, value: no_sync, next: over}
    on_unavailable: visit
  - id: refresh
    kind: action
    text: We refresh the router.
    performer: system
    system: reboot_router
    minutes: 2
    on_fixed: fixed
    on_not_fixed: found
  - id: fixed
    kind: outcome
    outcome: resolved
    text: Fixed.
    reason: The reboot helped.
    follow_up_days: 3
    follow_up: Ask whether it still works.
  - id: found
    kind: outcome
    outcome: diagnosis
    text: Found.
    reason: An old router.
    finding: The router is too old.
    customer_next_step: Buy a new router.
  - id: part
    kind: outcome
    outcome: ship_part
    text: We send a filter.
    reason: The filter is broken.
    parts: [{part: dsl-filter, quantity: 1}]
    instructions: Plug it in.
  - id: visit
    kind: outcome
    outcome: visit
    skill: line
    text: A technician comes.
    reason: No line test.
  - id: repair
    kind: outcome
    outcome: repair
    text: Send it in.
    reason: It cannot be unplugged.
    depot: north
    packing: In its box.
  - id: over
    kind: outcome
    outcome: handover
    text: Over to the TV help.
    reason: No sync means the TV line.
    tree: tv-no-signal
    carry: [lights]
"""


def _tree(text: str = EVERY_KIND) -> Tree:
    return tree_from_text(textwrap.dedent(text))


def _found(diags: list[Any]) -> list[tuple[str, str, str | None]]:
    return [(d.code, d.message, d.hint) for d in diags]


# -- the graph ------------------------------------------------------------------------------------------------


def test_facts_known_include_what_checks_repeats_and_multi_collects_set() -> None:
    """A check's fact, a repeat's item and counter and a multi collect's fact are known; a repeat with only
    `max` sets no item."""
    known = facts_known(_tree())
    assert {"lights", "light", "round", "line"} <= known
    counter_only = _tree(EVERY_KIND.replace("    over: lights\n", "    max: 3\n"))
    assert "light" not in facts_known(counter_only)


def test_every_outcome_kind_ends_a_walk_and_a_repeats_body_has_a_distance() -> None:
    """Outcomes of every kind are terminal; a round's steps are as far from an end as the way back through
    the repeat and its `next`."""
    tree = _tree()
    assert terminal_ids(tree) == {"fixed", "found", "part", "visit", "repair", "over"}
    dist = distances_to_end(tree)
    assert dist["each_light"] == 2  # each_light -> line -> visit|part
    assert dist["unplug"] == 1
    assert dist["settle"] == 3


def test_rounds_and_waits_are_no_loop_without_a_way_out() -> None:
    """A tree whose only loops run through a repeat and a wait checks clean (no error, no warning)."""
    assert check_tree(_tree()) == []


def test_drawings_name_the_new_kinds() -> None:
    """Mermaid, DOT and JSON draw every new kind; every outcome kind has a colour."""
    tree = _tree()
    assert set(OUTCOME_COLOURS) == set(OUTCOME_KINDS)
    mermaid = export_graph(tree, "mermaid")
    assert 'n_settle[/"settle: wait 30 s: Is the power light green?"/]' in mermaid
    assert 'n_each_light[["each_light: repeat each light of lights"]]' in mermaid
    assert "classDef ship_part fill:#6a1b9a" in mermaid
    assert 'shape="component"' in export_graph(tree, "dot")
    data = json.loads(export_graph(tree, "json"))
    kinds = {n["id"]: n["kind"] for n in data["nodes"]}
    assert kinds["part"] == "outcome:ship_part"
    assert kinds["line"] == "check"
    assert node_label(tree.node("line")) == "line_test: Line test."


# -- repeats, conditions, systems, hand-overs ----------------------------------------------------------------


def test_a_repeat_over_an_unknown_fact_and_a_body_that_never_returns() -> None:
    """`over` must name a known fact; a body that leads elsewhere is a warning naming the repeat."""
    text = EVERY_KIND.replace("over: lights", "over: zz_items").replace(
        "    next: each_light\n    fallback: each_light", "    next: line\n    fallback: line"
    )
    assert _found(check_tree(_tree(text))) == [
        (
            "unknown-fact",
            "`over` reads fact 'zz_items', which no node collects and the tree does not declare",
            "collect it first (a `multi` collect), or declare it under `facts:`",
        ),
        (
            "repeat-no-return",
            "the body of repeat 'each_light' never returns to it",
            "link the last step of a round back to 'each_light'; as it is, it runs one round at most",
        ),
    ]


def test_visits_in_a_logic_rule_name_a_node() -> None:
    """visits('...') in a logic rule naming no node is an error, with the nearest id as a hint."""
    text = EVERY_KIND.replace(
        "    next: each_light\n  - id: each_light",
        "    next: route\n  - id: route\n    kind: logic\n    rules:\n"
        "      - {when: \"visits('unplugg') > 1\", next: line}\n    default: each_light\n  - id: each_light",
    )
    assert _found(check_tree(_tree(text))) == [
        (
            "unknown-node",
            "rule 1 counts visits to 'unplugg', which is not a node of this tree",
            "did you mean 'unplug'?",
        )
    ]


def test_unknown_systems_are_checked_against_the_list_given() -> None:
    """The known systems are a parameter: another list warns about the shipped names, `None` checks none."""
    tree = _tree()
    found = check_tree(tree, systems=["line_test"])
    assert _found(found) == [
        (
            "unknown-system",
            "`system` names 'reboot_router', which is not a known remote system",
            "known systems: line_test",
        )
    ]
    assert found[0].severity.value == "warning"
    assert check_tree(tree, systems=None) == []


HANDOVER = """
id: {tid}
title: {tid}
category: software
{extra}start: go
nodes:
  - {{id: go, kind: outcome, outcome: handover, text: Over., reason: ok, tree: {target}}}
"""


def test_handovers_are_checked_only_with_a_library() -> None:
    """Alone, a hand-over to anything passes; in a library, a good target passes."""
    alone = tree_from_text(HANDOVER.format(tid="a", extra="", target="nowhere"))
    assert check_tree(alone) == []
    lib = library_from_texts(
        {
            "a.yaml": HANDOVER.format(tid="a", extra="", target="b"),
            "b.yaml": HANDOVER.format(tid="b", extra="", target="a"),
        }
    )
    assert lib.errors == []
    assert set(lib) == {"a", "b"}


# -- unreachable nodes --------------------------------------------------------------------------------------


def _chain(n: int, typo: str) -> str:
    steps = "".join(
        f"  - {{id: step{i:02d}, kind: instruction, text: Step {i}., next: {f'step{i + 1:02d}' if i < n else 'done'}}}\n"
        for i in range(1, n + 1)
    )
    return (
        "id: chain\ntitle: Chain\ncategory: hardware\nstart: ask\nnodes:\n"
        f"  - {{id: ask, kind: question, text: Go?, options: [{{label: 'Yes', next: {typo}}}, {{label: 'No', next: done}}]}}\n"
        + steps
        + "  - {id: done, kind: outcome, outcome: resolved, text: Done., reason: ok}\n"
        "  - {id: orphan, kind: outcome, outcome: resolved, text: Never., reason: none}\n"
    )


def test_one_wrong_link_cutting_off_24_nodes_is_one_finding_naming_the_link() -> None:
    """24 nodes behind a misspelt link: the dangling link, one finding listing ten of them, and the orphan
    that no link explains on its own."""
    errors = [d for d in check_tree(tree_from_text(_chain(24, "stepp01"))) if d.is_error]
    assert _found(errors) == [
        (
            "dangling-link",
            "option 'Yes' goes to 'stepp01', which does not exist",
            "did you mean 'step01'?",
        ),
        (
            "unreachable-cascade",
            "24 nodes are unreachable because option 'Yes' of node 'ask' goes to 'stepp01', which does not exist: "
            "step01, step02, step03, step04, step05, step06, step07, step08, step09, step10 and 14 more",
            "first fix that link",
        ),
        (
            "unreachable",
            "is unreachable from the start node 'ask'",
            "link to it from another node, or remove it",
        ),
    ]
    assert errors[1].loc == ("nodes", 1)


def test_a_link_far_from_any_id_leaves_each_unreachable_node_its_own_finding() -> None:
    """With no id close to the missing one, nothing is blamed on the link."""
    errors = [d for d in check_tree(tree_from_text(_chain(2, "elsewhere"))) if d.is_error]
    assert [d.code for d in errors] == ["dangling-link", "unreachable", "unreachable", "unreachable"]


# -- pictures -----------------------------------------------------------------------------------------------


PICTURE = """
id: pictures
title: Pictures
category: hardware
start: look
nodes:
  - id: look
    kind: instruction
    text: Look.
    media:
      - {{image: '{image}', alt: A picture.}}
    next: done
  - {{id: done, kind: outcome, outcome: resolved, text: Done., reason: ok}}
"""


def _trees_root(tmp_path: Path, image: str, content: bytes | None = PNG) -> Path:
    (tmp_path / "trees" / "hardware").mkdir(parents=True)
    (tmp_path / "trees" / "hardware" / "pictures.yaml").write_text(PICTURE.format(image=image))
    if content is not None:
        target = tmp_path / "trees" / "media" / image
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return tmp_path / "trees"


def _media_errors(lib: Any) -> list[tuple[str, str, str | None]]:
    return [(d.code, d.message, d.hint) for d in lib.diagnostics if d.code == "bad-image"]


def test_a_picture_in_the_roots_media_folder_passes(tmp_path: Path) -> None:
    """A PNG under trees/media/ is found from trees/<category>/, by folder and by the file named alone."""
    root = _trees_root(tmp_path, "router/back.png")
    assert load_library([root]).errors == []
    assert load_library([root / "hardware" / "pictures.yaml"]).errors == []


def test_a_picture_over_the_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A picture over TRIAGE_LIMIT_MEDIA_BYTES is refused, naming both sizes and the variable."""
    root = _trees_root(tmp_path, "big.png", PNG + b"\x00" * 100)
    monkeypatch.setenv("TRIAGE_LIMIT_MEDIA_BYTES", "64")
    limits.cache_clear()
    try:
        found = _media_errors(load_library([root]))
    finally:
        monkeypatch.delenv("TRIAGE_LIMIT_MEDIA_BYTES")
        limits.cache_clear()
    assert found == [
        (
            "bad-image",
            "image 'big.png' is 124 bytes; a picture is at most 64 bytes (TRIAGE_LIMIT_MEDIA_BYTES)",
            "make it smaller: fewer pixels, or more compression",
        )
    ]
    assert limits().media_bytes == 1024 * 1024


def test_a_link_out_of_the_media_folder_is_outside_it(tmp_path: Path) -> None:
    """A symbolic link inside media/ pointing out of it is treated as a path outside the folder."""
    root = _trees_root(tmp_path, "out.png", None)
    (tmp_path / "secret.png").write_bytes(PNG)
    (root / "media").mkdir()
    (root / "media" / "out.png").symlink_to(tmp_path / "secret.png")
    assert _media_errors(load_library([root])) == [
        (
            "bad-image",
            "image 'out.png' is outside the media/ folder",
            "write the path inside media/, such as router/reset-button.png (no '..', no leading '/')",
        )
    ]


def test_an_allowed_host_may_serve_pictures(monkeypatch: pytest.MonkeyPatch) -> None:
    """An https picture passes once its host is in TRIAGE_IMAGE_HOSTS."""
    text = PICTURE.format(image="https://img.example.com/a.png")
    assert [d.code for d in check_tree(tree_from_text(text))] == ["bad-image"]
    monkeypatch.setenv("TRIAGE_IMAGE_HOSTS", "img.example.com")
    assert check_tree(tree_from_text(text)) == []


def test_a_text_with_no_file_checks_the_path_but_not_the_file() -> None:
    """library_from_texts has no folder to look in: a well-formed path passes, a path out of media/ does not."""
    good = library_from_texts({"pictures.yaml": PICTURE.format(image="nowhere/yet.png")})
    assert good.errors == []
    bad = library_from_texts({"pictures.yaml": PICTURE.format(image="a/../../b.png")})
    assert [d.code for d in bad.errors] == ["bad-image"]


def test_the_media_folder_search_stops_at_the_root_and_never_reaches_the_system_root(tmp_path: Path) -> None:
    """The nearest media/ at or above the file, no higher than the folder it was found under."""
    (tmp_path / "media").mkdir()
    deep = tmp_path / "trees" / "cat" / "t.yaml"
    assert find_media_folder(deep) == tmp_path / "media"
    assert find_media_folder(deep, root=tmp_path / "trees") == tmp_path / "trees" / "media"
    assert find_media_folder(Path("/t.yaml")) == Path("/media")  # where it would be: reported missing
    assert picture_type(JPEG) == "JPEG"
    assert picture_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "WebP"
    assert picture_type(b"GIF89a...") == "GIF"
    assert picture_type(b"<svg") is None


def test_missing_translations_cover_the_new_texts() -> None:
    """A two-locale tree hears about each untranslated new text, at the text itself."""
    text = EVERY_KIND.replace("category: connectivity", "category: connectivity\nlocales: [en, de]")
    fields = {
        d.message.split("`")[1]: d.loc for d in check_tree(_tree(text)) if d.code == "missing-translation"
    }
    assert {
        "caution",
        "media.0.alt",
        "media.1.label",
        "check",
        "results.0.label",
        "follow_up",
        "finding",
        "customer_next_step",
        "instructions",
    } <= set(fields)
    assert fields["media.1.label"] == ("nodes", 2, "media", 1, "label")


# -- quoting hints ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "form"),
    [
        ("0x80070005", "a hexadecimal number"),
        ("0o17", "an octal number"),
        ("017", "an octal number (in YAML 1.1)"),
        ("0b101", "a binary number"),
        ("1e3", "a number with an exponent"),
        ("2.5E-3", "a number with an exponent"),
        ("1:30", "a time in minutes or seconds (in YAML 1.1)"),
        ("-.inf", "infinity"),
        (".NaN", "not-a-number"),
        ("42", None),
        ("3.5", None),
    ],
)
def test_number_forms(written: str, form: str | None) -> None:
    """Each form YAML reads as a number although it does not look like one is named; plain numbers are not."""
    assert number_form(written) == form


def test_written_at_reads_values_as_written() -> None:
    """The loader reads back a plain scalar's characters and whether it sits in brackets."""
    text = "a: 0x10\nb: {c: '0x10', d: 1e3}\n"
    assert written_at(text, [("a",), ("b", "c"), ("b", "d")]) == {
        ("a",): Written("0x10", False),
        ("b", "c"): Written(None, True),
        ("b", "d"): Written("1e3", True),
    }
    assert hidden_numbers(text)
    assert not hidden_numbers("a: 10\nb: words\n")


# -- the JSON Schema ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def published() -> dict[str, Any]:
    out = io.StringIO()
    assert main(["schema"], out=out) == 0
    schema: dict[str, Any] = json.loads(out.getvalue())
    return schema


def test_every_new_kind_validates_against_the_published_schema(published: dict[str, Any]) -> None:
    """The tree using every new kind is valid under `triage schema`; a wait without `check` is not."""
    import yaml

    data = yaml.safe_load(EVERY_KIND)
    jsonschema.validate(data, published)
    for node in data["nodes"]:
        alone = {**data, "nodes": [node]}
        jsonschema.validate(alone, published)
    del data["nodes"][3]["check"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, published)


def test_the_published_schema_lists_every_kind(published: dict[str, Any]) -> None:
    """Each node kind and outcome kind is a choice in the schema."""
    text = json.dumps(published)
    for kind in ("instruction", "wait", "check", "repeat", *OUTCOME_KINDS):
        assert f'"const": "{kind}"' in text
