"""The author studio's logic: round-trip edits, node forms, draft checks, pictures, save and publish."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from triage.desk.studio import (
    NEW_KINDS,
    Draft,
    add_media,
    annotate,
    check_draft,
    edit_node,
    flags_by_node,
    graph_nodes,
    load_others,
    neighbourhood,
    new_node,
    node_form,
    node_ids,
    open_draft,
    publish_draft,
    published_versions,
    save_draft,
    start_preview,
    tree_dot,
    tree_file,
    tree_statuses,
)
from triage.errors import DraftConflict, DraftError
from triage.limits import limits
from triage.records.flags import Flags
from triage.records.store import Store
from triage.trees.export import OUTCOME_COLOURS
from triage.trees.model import Tree
from triage.walk.scenarios import load_library
from triage.walk.session import Session

DATA = Path(__file__).parents[1] / "data"

JAM = """\
# Printer jams: comments everywhere, to prove that saving keeps them.
id: printer-jam          # the file is named after it
title: {en: "Printer jams", de: "Papierstau"}
category: hardware
locales: [en, de]
start: paper             # first question

nodes:
  # --- questions ---
  - id: paper
    kind: question
    text: {en: "Is paper stuck inside?", de: "Steckt Papier fest?"}   # read this out
    hint: {en: 'Look behind the rear flap.', de: 'Hinter die Klappe schauen.'}
    options:
      - {label: {en: "Yes", de: "Ja"}, value: "yes", next: clear}
      - {label: {en: "No", de: "Nein"}, value: "no", next: restart}

  - id: clear
    kind: action
    text: {en: Pull the paper out gently., de: Papier vorsichtig herausziehen.}
    minutes: 2
    on_fixed: fixed
    on_not_fixed: visit     # a technician then

  - id: restart
    kind: call
    procedure: router-restart   # borrowed from the other file
    next: visit

  # --- outcomes ---
  - id: fixed
    kind: outcome
    outcome: resolved
    text: {en: Cleared., de: Behoben.}
    reason: {en: Paper jam., de: Papierstau.}
  - id: visit
    kind: outcome
    outcome: visit
    skill: printers
    text: {en: A technician will come., de: Ein Techniker kommt.}
    reason: {en: Jam could not be cleared., de: Stau blieb.}

scenarios:
  - {name: cleared, answers: ["yes", fixed], expect: fixed}
  - {name: visit, answers: ["yes", not_fixed], expect: visit}
  - {name: restart, answers: ["no", not_fixed], expect: visit}
"""

# the same kind of tree in another house style: sequences flush with their key, odd spacing
FLUSH = """\
id: flush
title: Flush style   # trailing comment
category: software
start: q1
nodes:
- id: q1
  kind: question
  text:   "Does it start?"      # spaced out on purpose
  options:
  - {label: "Yes", next: ok}
  - label: 'No'
    next: ko
- id: ok
  kind: outcome
  outcome: resolved
  text: It works.
  reason: Fine.
- id: ko
  kind: outcome
  outcome: escalate
  queue: apps
  text: Escalate.
  reason: Broken.
scenarios:
- {name: works, answers: ["yes"], expect: ok}
- {name: broken, answers: ["no"], expect: ko}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A tree folder: the commented printer tree, and the procedure it calls."""
    root = tmp_path / "trees"
    (root / "hardware").mkdir(parents=True)
    (root / "connectivity").mkdir()
    (root / "hardware" / "printer-jam.yaml").write_text(JAM, encoding="utf-8")
    shutil.copy(DATA / "mini" / "router-restart.yaml", root / "connectivity" / "router-restart.yaml")
    return root


@pytest.fixture
def store(tmp_path: Path, folder: Path) -> Iterator[Store]:
    """An SQLite store with the folder's trees published as version 1."""
    st = Store(f"sqlite:///{tmp_path / 'studio.db'}")
    st.sync(load_library([folder]))
    yield st
    st.dispose()


def _changed_lines(old: str, new: str) -> list[tuple[int, str, str]]:
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    assert len(a) == len(b), "lines were added or removed"
    return [(i + 1, x, y) for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]


def _submit(source: str, node_id: str, /, **new: str) -> str:
    """Submit a node's whole form, as the page does, with the values in ``new`` (by field label) changed."""
    form = node_form(source, node_id)
    labels = {f.label for f in form.fields}
    assert set(new) <= labels, f"unknown fields {set(new) - labels}"
    return edit_node(source, node_id, {f.loc: new.get(f.label, f.value) for f in form.fields})


# -- round trip -------------------------------------------------------------------------------------


def test_saving_a_form_edit_changes_only_that_line(folder: Path) -> None:
    """Changing one node's text through the form and saving keeps every other byte: comments, order, quotes."""
    draft = open_draft(folder, "hardware/printer-jam.yaml")
    edited = draft.with_text(_submit(draft.text, "paper", **{"text (en)": "Is paper stuck in the printer?"}))
    save_draft(edited)
    saved = (folder / "hardware" / "printer-jam.yaml").read_text(encoding="utf-8")
    assert _changed_lines(JAM, saved) == [
        (
            12,
            '    text: {en: "Is paper stuck inside?", de: "Steckt Papier fest?"}   # read this out\n',
            '    text: {en: "Is paper stuck in the printer?", de: "Steckt Papier fest?"}   # read this out\n',
        )
    ]


def test_an_unchanged_form_gives_back_the_same_text() -> None:
    """Submitting a form without changes returns the draft text untouched."""
    for node_id in node_ids(JAM):
        assert _submit(JAM, node_id) == JAM


def test_a_link_edit_in_another_house_style_changes_only_that_line() -> None:
    """A file with flush sequences and odd spacing keeps its style; only the edited link's line changes."""
    new = _submit(FLUSH, "q1", **{"option 2 → next": "ok"})
    assert _changed_lines(FLUSH, new) == [(12, "    next: ko\n", "    next: ok\n")]


def test_a_reformatted_line_keeps_its_spelling_unless_edited() -> None:
    """A line ruamel.yaml would re-space keeps its spacing when untouched, and is rewritten when edited."""
    untouched = _submit(FLUSH, "ok", text="It works again.")
    assert _changed_lines(FLUSH, untouched) == [(16, "  text: It works.\n", "  text: It works again.\n")]
    edited = _submit(FLUSH, "q1", text="Does it start now?")
    assert _changed_lines(FLUSH, edited) == [
        (
            8,
            '  text:   "Does it start?"      # spaced out on purpose\n',
            '  text: "Does it start now?"      # spaced out on purpose\n',
        )
    ]


def test_a_hash_inside_a_quoted_text_is_not_taken_for_a_comment() -> None:
    """Keeping comment gaps never changes a value that merely contains ' #'."""
    text = FLUSH.replace('"Does it start?"      # spaced out on purpose', '"Press   #1"')
    new = edit_node(text, "q1", {("text",): "Then #1"})
    assert _changed_lines(text, new) == [(8, '  text:   "Press   #1"\n', '  text: "Then #1"\n')]


def test_node_form_lists_texts_per_locale_and_links() -> None:
    """A question's form offers each text per tree locale (a caution too), each option's label and target."""
    form = node_form(JAM, "paper")
    assert [(f.loc, f.value) for f in form.links] == [
        (("options", 0, "next"), "clear"),
        (("options", 1, "next"), "restart"),
    ]
    assert [(f.label, f.value) for f in form.texts] == [
        ("text (en)", "Is paper stuck inside?"),
        ("text (de)", "Steckt Papier fest?"),
        ("customer_text (en)", ""),
        ("customer_text (de)", ""),
        ("hint (en)", "Look behind the rear flap."),
        ("hint (de)", "Hinter die Klappe schauen."),
        ("caution (en)", ""),
        ("caution (de)", ""),
        ("option 1 label (en)", "Yes"),
        ("option 1 label (de)", "Ja"),
        ("option 2 label (en)", "No"),
        ("option 2 label (de)", "Nein"),
    ]
    assert [f.label for f in node_form(JAM, "clear").links] == ["on_fixed", "on_not_fixed", "on_could_not"]


def test_form_adds_a_translated_text_and_clears_one() -> None:
    """A new text is written as a locale map on one new line; clearing a translation drops only that one."""
    added = _submit(JAM, "clear", **{"hint (en)": "Both trays.", "hint (de)": "Beide Fächer."})
    lines = JAM.splitlines(keepends=True)
    assert added.splitlines(keepends=True) == [
        *lines[:20],
        "    hint: {en: Both trays., de: Beide Fächer.}\n",
        *lines[20:],
    ]
    could = _submit(JAM, "clear", on_could_not="visit")
    assert could.splitlines(keepends=True) == [*lines[:23], "    on_could_not: visit\n", *lines[23:]]
    cleared = _submit(JAM, "paper", **{"hint (de)": ""})
    assert _changed_lines(JAM, cleared) == [
        (
            13,
            "    hint: {en: 'Look behind the rear flap.', de: 'Hinter die Klappe schauen.'}\n",
            "    hint: {en: 'Look behind the rear flap.'}\n",
        )
    ]


def test_form_edits_refuse_bad_yaml_and_unknown_nodes() -> None:
    """The form says why it cannot work on a draft that is not YAML or lacks the node."""
    with pytest.raises(
        DraftError, match=r"^the draft is not valid YAML \(line 3\): fix it in the YAML editor first$"
    ):
        node_ids("id: x\nnodes:\n  - {id: a\n")
    with pytest.raises(DraftError, match="^the draft has no node 'nope'$"):
        edit_node(JAM, "nope", {("text",): "x"})


# -- checks -----------------------------------------------------------------------------------------


def test_draft_check_names_file_line_node_and_hint_for_a_bad_link(folder: Path) -> None:
    """A link to a missing node is an error naming the file, the line, the node and the likely fix."""
    bad = _submit(JAM, "clear", on_not_fixed="vist")
    check = check_draft(
        bad, "hardware/printer-jam.yaml", load_others(folder, folder / "hardware" / "printer-jam.yaml")
    )
    assert [str(d) for d in check.errors] == [
        "hardware/printer-jam.yaml:23: node 'clear': on_not_fixed goes to 'vist', which does not exist "
        "(did you mean 'visit'?)"
    ]
    assert not check.ok
    assert not check.previewable


def test_draft_check_uses_the_rest_of_the_folder_and_runs_scenarios(folder: Path) -> None:
    """The draft's calls resolve against the other files, and its scenarios run on the draft."""
    path = folder / "hardware" / "printer-jam.yaml"
    check = check_draft(JAM, "hardware/printer-jam.yaml", load_others(folder, path))
    assert check.ok
    assert check.errors == []
    assert [(r.name, r.passed, r.reached) for r in check.scenarios] == [
        ("cleared", True, "fixed"),
        ("visit", True, "visit"),
        ("restart", True, "visit"),
    ]
    alone = check_draft(JAM, "hardware/printer-jam.yaml", [])
    assert [d.code for d in alone.errors] == ["missing-procedure"]
    wrong = JAM.replace("expect: visit}\n  - {name: restart", "expect: fixed}\n  - {name: restart")
    failed = check_draft(wrong, "hardware/printer-jam.yaml", load_others(folder, path))
    assert [str(d) for d in failed.errors] == [
        "hardware/printer-jam.yaml:45: scenario 'visit' failed: expected to end at 'fixed' but ended at "
        "'visit' (visit, authored) (fix the tree or the scenario's answers)"
    ]
    assert failed.previewable
    assert "printer-jam" not in failed.library.trees


def test_tree_statuses_show_broken_files_with_their_messages(folder: Path, store: Store) -> None:
    """A broken file is listed invalid with file, line, node and hint; open flags and versions are added."""
    shutil.copy(DATA / "broken" / "dangling.yaml", folder / "hardware" / "dangling.yaml")
    statuses = tree_statuses(folder)
    assert [(s.rel, s.ok) for s in statuses] == [
        ("connectivity/router-restart.yaml", True),
        ("hardware/dangling.yaml", False),
        ("hardware/printer-jam.yaml", True),
    ]
    broken = statuses[1]
    assert [str(d) for d in broken.errors] == [
        "hardware/dangling.yaml:11: node 'check_cable': option 'Yes' goes to 'restar_router', which does not "
        "exist (did you mean 'restart_router'?)",
        "hardware/dangling.yaml:14: node 'restart_router': 2 nodes are unreachable because option 'Yes' of node "
        "'check_cable' goes to 'restar_router', which does not exist: restart_router, escalate (first fix that link)",
    ]
    Flags(store).raise_flag("printer-jam", "paper", "unclear", "agent", "which flap?")
    done = annotate(statuses, Flags(store).counts(), published_versions(store, [s.tree_id for s in statuses]))
    assert [(s.tree_id, s.open_flags, s.published, s.offered) for s in done] == [
        ("router-restart", 0, 1, True),
        ("dangling", 0, None, False),
        ("printer-jam", 1, 1, True),
    ]


def test_tree_file_stays_inside_the_folder(folder: Path) -> None:
    """Only tree files inside the folder can be opened."""
    assert (
        tree_file(folder, "hardware/printer-jam.yaml") == (folder / "hardware" / "printer-jam.yaml").resolve()
    )
    for rel in ("../studio.db", "hardware/missing.yaml", "/etc/passwd"):
        with pytest.raises(DraftError, match="is not a tree file in"):
            tree_file(folder, rel)


# -- preview ----------------------------------------------------------------------------------------


def test_preview_walks_the_draft_in_memory(folder: Path) -> None:
    """A preview is a plain session on the draft plus the rest: the edited text shows, in either mode."""
    path = folder / "hardware" / "printer-jam.yaml"
    edited = _submit(JAM, "paper", **{"text (en)": "Paper stuck?"})
    check = check_draft(edited, "hardware/printer-jam.yaml", load_others(folder, path))
    session = start_preview(check, mode="self_service", locale="de")
    assert isinstance(session, Session)
    assert (session.view().text, session.view().hint) == ("Steckt Papier fest?", None)
    agent = start_preview(check, mode="agent")
    assert (agent.view().text, agent.view().hint) == ("Paper stuck?", "Look behind the rear flap.")
    agent.answer("no")
    view = agent.answer("not_fixed")
    assert view.decision is not None
    assert view.decision.node_id == "visit"
    broken = check_draft(edited.replace("next: clear", "next: nowhere"), "x.yaml", [])
    with pytest.raises(DraftError, match="errors that stop a walk"):
        start_preview(broken)


# -- pictures ---------------------------------------------------------------------------------------


def _chain(n: int) -> Tree:
    """A chain of ``n`` questions: 'no' goes on to the next, 'yes' ends at that step's own outcome."""
    nodes: list[dict[str, object]] = []
    for i in range(n):
        nxt = f"q{i + 1}" if i + 1 < n else "done"
        nodes.append(
            {
                "id": f"q{i}",
                "kind": "question",
                "text": f"Step {i}?",
                "options": [{"label": "yes", "next": f"r{i}"}, {"label": "no", "next": nxt}],
            }
        )
        nodes.append({"id": f"r{i}", "kind": "outcome", "outcome": "resolved", "text": f"Fixed at {i}."})
    nodes.append({"id": "done", "kind": "outcome", "outcome": "escalate", "queue": "x", "text": "Done."})
    return Tree.model_validate(
        {"id": "chain", "title": "Chain", "category": "software", "start": "q0", "nodes": nodes}
    )


def test_dot_draws_a_small_tree_whole_with_colours_selection_and_flags() -> None:
    """The whole tree is drawn; outcomes carry their kind's colour, the selection and flags stand out."""
    tree = check_draft(JAM, "printer-jam.yaml", []).tree
    assert tree is not None
    dot = tree_dot(tree, selected="clear", flagged={"paper": 2})
    for node in tree.nodes:
        assert f'  "{node.id}" [' in dot
    assert f'fillcolor="{OUTCOME_COLOURS["resolved"]}"' in dot
    assert f'fillcolor="{OUTCOME_COLOURS["visit"]}"' in dot
    assert (
        '"clear" [shape="box", color="#d50000", penwidth="4", style="bold", label="clear\\nPull the paper out gently."];'
        in dot
    )
    assert 'label="⚑ 2 · paper\\nIs paper stuck inside?"' in dot
    assert '  "paper" -> "clear" [label="Yes"];' in dot


def test_dot_of_a_large_tree_is_the_two_hop_neighbourhood() -> None:
    """Above 60 nodes only the selected node's two-hop neighbourhood is drawn, and cut links are counted."""
    tree = _chain(35)
    assert len(tree.nodes) == 71
    near = {"q28", "q29", "q30", "q31", "q32", "r29", "r30", "r31"}
    assert neighbourhood(tree, "q30") == near
    assert graph_nodes(tree, "q30") == near
    assert graph_nodes(tree, None) == {"q0", "q1", "q2", "r0", "r1"}
    assert len(graph_nodes(_chain(29))) == 59
    dot = tree_dot(tree, selected="q30")
    assert [line.split('"')[1] for line in dot.splitlines() if " [" in line and "->" not in line[:40]][
        1:
    ] == [
        "q28",
        "q29",
        "r29",
        "q30",
        "r30",
        "q31",
        "r31",
        "q32",
    ]
    assert 'label="q28\\nStep 28?\\n(+2 links not shown)"' in dot
    assert 'label="q32\\nStep 32?\\n(+2 links not shown)"' in dot
    assert '"q30" [shape="diamond", color="#d50000", penwidth="4", style="bold"' in dot


def test_dot_marks_links_to_missing_nodes() -> None:
    """A link to a node that does not exist ends in a dashed red 'missing' box."""
    loaded = check_draft(FLUSH.replace("next: ko", "next: kk"), "flush.yaml", [])
    assert loaded.tree is not None
    dot = tree_dot(loaded.tree)
    assert (
        '"kk" [label="kk\\n(missing)", shape="box", style="dashed", color="#d50000", fontcolor="#d50000"];'
        in dot
    )
    assert '"q1" -> "kk" [label="No"];' in dot


def test_flags_by_node_counts_open_flags(store: Store) -> None:
    """Flags are counted per node for the picture and the form."""
    flags = Flags(store)
    flags.raise_flag("printer-jam", "paper", "wrong", "agent")
    flags.raise_flag("printer-jam", "paper", "unclear", "agent")
    flags.raise_flag("printer-jam", "clear", "unclear", "agent")
    assert flags_by_node(flags.for_tree("printer-jam")) == {"paper": 2, "clear": 1}


# -- save and publish -------------------------------------------------------------------------------


def test_saving_over_a_file_changed_on_disk_keeps_the_authors_text(folder: Path) -> None:
    """If the file changed since it was opened, saving is refused and the author's text travels with the error."""
    path = folder / "hardware" / "printer-jam.yaml"
    draft = open_draft(folder, "hardware/printer-jam.yaml")
    mine = draft.with_text(_submit(draft.text, "paper", **{"text (en)": "Mine?"}))
    theirs = JAM.replace("Pull the paper out gently.", "Pull it out.")
    path.write_text(theirs, encoding="utf-8")
    with pytest.raises(DraftConflict) as err:
        save_draft(mine)
    exc = err.value
    assert (exc.where, exc.text, exc.theirs) == ("file", mine.text, theirs)
    assert str(exc) == (
        "hardware/printer-jam.yaml changed on disk since you opened it; your text is kept in the editor: "
        "compare it with theirs, merge, and try again"
    )
    assert "-    text: {en: Pull it out., de: Papier vorsichtig herausziehen.}" in exc.diff()
    assert '+    text: {en: "Mine?", de: "Steckt Papier fest?"}   # read this out' in exc.diff().splitlines()
    assert path.read_text(encoding="utf-8") == theirs
    merged = save_draft(mine.rebased(base_text=exc.theirs))
    assert path.read_text(encoding="utf-8") == mine.text
    assert not merged.dirty


def test_saving_a_draft_with_errors_is_allowed(folder: Path) -> None:
    """The file is the author's: a draft with errors is written as it is."""
    draft = open_draft(folder, "hardware/printer-jam.yaml")
    broken = draft.with_text(draft.text.replace("next: clear", "next: nowhere"))
    saved = save_draft(broken)
    assert (folder / "hardware" / "printer-jam.yaml").read_text(encoding="utf-8") == broken.text
    assert saved.base_text == broken.text
    assert saved.rev == broken.rev + 1


def test_publish_saves_the_file_and_moves_the_base(folder: Path, store: Store) -> None:
    """Publishing stores a new version from the draft, writes the file, and bases the draft on that version."""
    draft = open_draft(folder, "hardware/printer-jam.yaml", store)
    assert draft.base_version == 1
    edited = draft.with_text(_submit(draft.text, "fixed", **{"text (en)": "Cleared it."}))
    info, after = publish_draft(store, edited, "ana", "clearer outcome")
    assert (info.version, info.author, info.note) == (2, "ana", "clearer outcome")
    assert store.version_text("printer-jam", 2) == edited.text
    assert (folder / "hardware" / "printer-jam.yaml").read_text(encoding="utf-8") == edited.text
    assert (after.base_version, after.dirty) == (2, False)
    assert "+    text: {en: Cleared it., de: Behoben.}" in store.diff("printer-jam", 1, 2)


def test_publish_conflict_keeps_the_text_and_shows_theirs(folder: Path, store: Store) -> None:
    """Someone published in between: the author's text is kept, the file is untouched, and the diff is against theirs."""
    draft = open_draft(folder, "hardware/printer-jam.yaml", store)
    theirs = JAM.replace("Cleared.", "All clear.")
    store.publish(theirs, author="bob", base_version=1)
    mine = draft.with_text(_submit(draft.text, "paper", **{"text (en)": "Jammed?"}))
    with pytest.raises(DraftConflict) as err:
        publish_draft(store, mine, "ana")
    exc = err.value
    assert (exc.where, exc.tree_id, exc.latest, exc.text, exc.theirs) == (
        "published",
        "printer-jam",
        2,
        mine.text,
        theirs,
    )
    assert str(exc).startswith(
        "tree 'printer-jam' was published as version 2 while you edited; your text is kept"
    )
    assert exc.diff().startswith("--- published v2\n+++ your draft\n")
    assert (folder / "hardware" / "printer-jam.yaml").read_text(encoding="utf-8") == JAM
    info, _ = publish_draft(store, mine.rebased(base_version=exc.latest), "ana")
    assert info.version == 3


def test_publish_refuses_an_invalid_draft_and_writes_nothing(folder: Path, store: Store) -> None:
    """Publishing needs a valid tree; the file is left as it was."""
    from triage.errors import TreeError

    draft = open_draft(folder, "hardware/printer-jam.yaml", store)
    bad = draft.with_text(draft.text.replace("kind: action", "kind: acton"))
    with pytest.raises(TreeError, match="unknown kind 'acton'"):
        publish_draft(store, bad, "ana")
    assert (folder / "hardware" / "printer-jam.yaml").read_text(encoding="utf-8") == JAM
    assert [v.version for v in store.versions("printer-jam")] == [1]


def test_draft_tracks_its_edits() -> None:
    """A draft counts edits, knows when it differs from its file, and ignores non-changes."""
    d = Draft(path="/x.yaml", rel="x.yaml", tree_id="x", text="a", base_text="a", base_version=None)
    assert d.with_text("a") is d
    assert not d.dirty
    e = d.with_text("b")
    assert (e.rev, e.dirty, e.base_digest) == (1, True, d.base_digest)


# -- hostile drafts -----------------------------------------------------------------------------------

_SQUARE = 300  # a list of 300 items aliased 300 times: 90,000 copies, past the 10,000-node alias budget
HOSTILE_DRAFTS = {
    "brackets-300": "id: x\nnodes: " + "[" * 300 + "]" * 300 + "\n",
    "brackets-20000": "id: x\nnodes: " + "[" * 20_000 + "]" * 20_000 + "\n",
    "brackets-unclosed-20000": "id: x\nnodes: " + "[" * 20_000 + "\n",
    "mappings-300": "id: x\nnodes: " + "{a: " * 300 + "}" * 300 + "\n",
    "block-300": "".join(" " * i + "a:\n" for i in range(300)) + " " * 300 + "b\n",
    "compact-300": "nodes:\n" + "- " * 300 + "x\n",
    "alias-bomb": "a: &a [" + ",".join(["x"] * _SQUARE) + "]\nb: [" + ",".join(["*a"] * _SQUARE) + "]\n",
    "big-int": "id: x\nnodes:\n- id: a\n  kind: outcome\n  text: " + "9" * 5_000 + "\n",
    "lone-surrogate": "id: x &a\nnodes:\n- id: a\n  text: \ud800\n",
    **{
        f"corpus-{p.stem}": p.read_text(encoding="utf-8")
        for p in sorted((DATA / "hostile").glob("*.yaml"))
        if p.stem not in ("binary", "invalid-utf8", "utf16")
    },
}


def _outcome(call: Callable[[], object]) -> str:
    """``"ok"``, or the DraftError's message; any other exception propagates and fails the test."""
    try:
        call()
    except DraftError as exc:
        return str(exc)
    return "ok"


@pytest.mark.parametrize("text", HOSTILE_DRAFTS.values(), ids=HOSTILE_DRAFTS.keys())
def test_hostile_drafts_raise_only_draft_errors(text: str) -> None:
    """Whatever an author pastes, the node form's functions return or raise a DraftError, never anything else."""
    outcomes = {
        _outcome(lambda: node_ids(text)),
        _outcome(lambda: node_form(text, "a")),
        _outcome(lambda: edit_node(text, "a", {("text",): "plain"})),
    }
    assert all(
        o == "ok" or o.endswith("fix it in the YAML editor first") or o == "the draft has no node 'a'"
        for o in outcomes
    ), outcomes


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            HOSTILE_DRAFTS["brackets-300"],
            "the node form cannot read the draft (line 2): it nests lists and mappings more than 64 deep; "
            "fix it in the YAML editor first",
        ),
        (
            HOSTILE_DRAFTS["compact-300"],
            "the node form cannot read the draft (line 2): it nests lists and mappings more than 64 deep; "
            "fix it in the YAML editor first",
        ),
        (
            HOSTILE_DRAFTS["alias-bomb"],
            "the node form cannot read the draft (line 2): YAML aliases (*name) in this file would copy more "
            "than 10,000 nodes (TRIAGE_LIMIT_YAML_ALIAS_NODES), so it was not read; fix it in the YAML editor first",
        ),
        (
            HOSTILE_DRAFTS["lone-surrogate"],
            "the node form cannot read the draft: it holds a character that is not valid text; "
            "fix it in the YAML editor first",
        ),
    ],
)
def test_hostile_drafts_say_what_stops_the_form(text: str, message: str) -> None:
    """A draft refused by the guard says why and where, in the words the studio shows under the editor."""
    with pytest.raises(DraftError) as info:
        node_ids(text)
    assert str(info.value) == message


def test_deep_nesting_is_refused_by_libyaml_not_ruamel() -> None:
    """20,000 brackets are refused by libyaml's event scan at level 65 (ruamel.yaml alone spends seconds on them,
    then overflows the stack)."""
    with pytest.raises(DraftError) as info:
        node_form(HOSTILE_DRAFTS["brackets-20000"], "a")
    assert str(info.value) == (
        "the node form cannot read the draft (line 2): it nests lists and mappings more than 64 deep; "
        "fix it in the YAML editor first"
    )


def test_draft_over_the_file_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A draft bigger than a tree file may be is refused with the limit named, before it is parsed."""
    monkeypatch.setenv("TRIAGE_LIMIT_TREE_FILE_BYTES", "1000")
    limits.cache_clear()
    try:
        with pytest.raises(DraftError) as info:
            node_ids("id: x\ntext: " + "x" * 2_000 + "\n")
    finally:
        limits.cache_clear()
    assert str(info.value) == (
        "the node form cannot read the draft: this file is 2,013 bytes; a tree file is at most 1,000 bytes "
        "(TRIAGE_LIMIT_TREE_FILE_BYTES), so it was not read; fix it in the YAML editor first"
    )


def test_a_five_megabyte_text_still_opens_in_the_form() -> None:
    """A long scalar within the file limit is no attack: the form reads it whole."""
    text = "id: x\nnodes:\n- id: a\n  kind: outcome\n  text: " + "x" * 5_000_000 + "\n"
    assert node_ids(text) == ["a"]
    assert len(node_form(text, "a").texts[0].value) == 5_000_000


def test_nesting_at_the_limit_still_opens_in_the_form() -> None:
    """64 levels are read (a tree file nests about 5): the limit refuses only what ruamel.yaml cannot carry."""
    assert node_ids("id: x\nextra: " + "[" * 63 + "]" * 63 + "\nnodes: [{id: a}]\n") == ["a"]


# -- new kinds, values, pictures ----------------------------------------------------------------------------


def test_every_new_kind_is_added_at_the_end_and_the_rest_of_the_file_is_kept() -> None:
    """A new node of each kind is appended with the fields its kind needs; every earlier line stays."""
    text = JAM
    for kind in NEW_KINDS:
        text = new_node(text, kind, kind.replace(":", "-").replace("_", "-"))
    assert text.startswith(JAM.split("scenarios:")[0].rstrip("\n"))
    assert node_ids(text)[-len(NEW_KINDS) :] == [k.replace(":", "-").replace("_", "-") for k in NEW_KINDS]
    wait = text[text.index("  - id: wait\n") : text.index("  - id: check\n")]
    assert wait == (
        "  - id: wait\n"
        "    kind: wait\n"
        "    text: {en: '', de: ''}\n"
        "    seconds: 30\n"
        "    check: {en: '', de: ''}\n"
        "    tries: 1\n"
        "    next: ''\n"
        "    fallback: ''\n"
    )
    assert "    outcome: ship_part\n" in text
    assert "      - {part: '', quantity: 1}\n" in text


def test_new_node_refuses_a_taken_or_bad_id_and_an_unknown_kind() -> None:
    with pytest.raises(
        DraftError, match="^the draft has a node 'paper' already; give the new one another id$"
    ):
        new_node(JAM, "instruction", "paper")
    with pytest.raises(DraftError, match="^node id 'Bad id' must be lower-case letters"):
        new_node(JAM, "instruction", "Bad id")
    with pytest.raises(DraftError, match="^there is no node kind 'teleport'; choose one of question, action"):
        new_node(JAM, "teleport", "x")


def test_a_new_wait_node_filled_in_through_the_form_is_a_valid_tree() -> None:
    """Numbers are written as numbers, links as ids; the finished draft passes the checks."""
    text = new_node(JAM, "wait", "settle")
    form = node_form(text, "settle")
    assert form.kind == "wait"
    assert [(f.label, f.value) for f in form.values] == [("seconds", "30"), ("tries", "1")]
    assert [f.label for f in form.links] == ["next", "fallback"]
    text = _submit(
        text,
        "settle",
        **{
            "text (en)": "Wait for the printer to warm up.",
            "text (de)": "Warten, bis der Drucker warm ist.",
            "check (en)": "Is the green light on?",
            "check (de)": "Leuchtet die grüne Lampe?",
            "caution (en)": "The fuser is hot.",
            "seconds": "45",
            "tries": "3",
            "next": "fixed",
            "fallback": "visit",
        },
    )
    text = _submit(text, "paper", **{"option 1 → next": "settle"})
    node = text[text.index("  - id: settle\n") :]
    assert "    seconds: 45\n" in node
    assert "    tries: 3\n" in node
    assert "    caution: {en: The fuser is hot.}\n" in node
    check = check_draft(text.replace("scenarios:", "scenarios_off:"), "hardware/printer-jam.yaml", {})
    assert [d for d in check.errors if d.node_id == "settle"] == []


def test_outcome_forms_offer_their_own_fields_and_write_typed_values() -> None:
    text = new_node(JAM, "outcome:resolved", "later")
    form = node_form(text, "later")
    assert form.kind == "outcome:resolved"
    assert [f.label for f in form.texts] == [
        "text (en)",
        "text (de)",
        "caution (en)",
        "caution (de)",
        "reason (en)",
        "reason (de)",
        "next_action (en)",
        "next_action (de)",
        "follow_up (en)",
        "follow_up (de)",
    ]
    text = _submit(text, "later", follow_up_days="3")
    assert "    follow_up_days: 3\n" in text
    ship = new_node(JAM, "outcome:ship_part", "send")
    assert [(f.label, f.choices) for f in node_form(ship, "send").values] == [
        ("return_old", ("true", "false")),
        ("part 1", ()),
        ("part 1 quantity", ()),
    ]
    ship = _submit(ship, "send", return_old="true", **{"part 1": "psu-65w", "part 1 quantity": "2"})
    assert "    return_old: true\n" in ship
    assert "      - {part: psu-65w, quantity: 2}\n" in ship
    odd = _submit(ship, "send", **{"part 1 quantity": "two"})  # stays text: the checks then name it
    assert "quantity: two" in odd


def test_a_picture_and_a_link_are_added_with_empty_words_to_fill_in() -> None:
    text = add_media(JAM, "clear", image="printer/flap.png")
    text = add_media(text, "clear", link="https://example.com/manual")
    clear = text[text.index("  - id: clear\n") : text.index("  - id: restart\n")]
    assert clear == (
        "  - id: clear\n"
        "    kind: action\n"
        "    text: {en: Pull the paper out gently., de: Papier vorsichtig herausziehen.}\n"
        "    media:\n"
        "      - image: printer/flap.png\n"
        "        alt: {en: '', de: ''}\n"
        "      - link: https://example.com/manual\n"
        "        label: {en: '', de: ''}\n"
        "    minutes: 2\n"
        "    on_fixed: fixed\n"
        "    on_not_fixed: visit     # a technician then\n"
        "\n"
    )
    labels = [f.label for f in node_form(text, "clear").fields if f.loc[0] == "media"]
    assert labels == [
        "media 1 image",
        "media 1 alt (en)",
        "media 1 alt (de)",
        "media 1 caption (en)",
        "media 1 caption (de)",
        "media 2 link",
        "media 2 label (en)",
        "media 2 label (de)",
    ]
    filled = _submit(text, "clear", **{"media 1 alt (en)": "The rear flap", "media 1 caption (de)": "Klappe"})
    assert "        alt: {en: 'The rear flap', de: ''}\n" in filled  # quoted like the empty text it replaced
    assert "        caption: {de: Klappe}\n" in filled
    with pytest.raises(DraftError, match="^give a picture's file or address, or a link's address$"):
        add_media(JAM, "clear", image=" ")
