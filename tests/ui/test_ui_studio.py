"""The author studio page, driven through AppTest: open, edit, check, preview, save, publish, flags, access."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from staff_accounts import with_account
from streamlit.testing.v1 import AppTest

import triage.ui.common
from triage.records.accounts import Identity
from triage.records.flags import Flags
from triage.records.store import Store
from triage.walk.scenarios import load_library

ROOT = Path(__file__).resolve().parents[2]
TREE = "connectivity/power-cycle-router.yaml"
MAIN = "connectivity/no-internet.yaml"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped connectivity trees (and the billing tree no-internet hands over to) as the studio's
    folder (TRIAGE_TREES); trees/ is never touched."""
    root = tmp_path / "trees"
    shutil.copytree(ROOT / "trees" / "connectivity", root / "connectivity")
    (root / "software").mkdir()
    shutil.copy(ROOT / "trees" / "software" / "service-suspended-billing.yaml", root / "software")
    monkeypatch.setenv("TRIAGE_TREES", str(root))
    return root


@pytest.fixture
def store(tmp_path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The app's database (a fresh SQLite file) with the folder's trees published as version 1."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("TRIAGE_DATABASE_URL", url)
    monkeypatch.setenv("TRIAGE_ADMIN_PASSWORD", "admin-pass-1")
    st = Store(url)
    st.sync(load_library([folder]))
    triage.ui.common.boot.clear()
    yield st
    st.dispose()
    triage.ui.common.boot.clear()


def _app(role: str = "author") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["identity"] = with_account(Identity(role, role.title(), (role,)))
    return at.run()


def _go(at: AppTest, url_path: str) -> AppTest:
    """Open a page by its URL path, as a click in the menu does.

    ``AppTest.switch_page`` matches script files, and the app's pages are callables, so the page is
    picked from the pages ``st.navigation`` registered for this session.
    """
    hashes = [h for h, info in at._registered_pages.items() if info.get("url_pathname") == url_path]
    assert hashes, f"page {url_path!r} is not registered for this session"
    at._page_hash = hashes[0]
    return at.run()


def _studio(tree: str = TREE) -> AppTest:
    at = _go(_app(), "studio")
    if at.selectbox(key="studio.pick").value != tree:
        at.selectbox(key="studio.pick").select(tree).run()
    return at


def _yaml(at: AppTest) -> Any:
    return next(t for t in at.text_area if str(t.key).startswith("studio.yaml."))


def _edit_yaml(at: AppTest, old: str, new: str) -> AppTest:
    box = _yaml(at)
    text = box.value
    assert old in text
    return box.input(text.replace(old, new, 1)).run()


def _button(at: AppTest, label: str) -> Any:
    return next(b for b in at.button if b.label == label)


def _table(at: AppTest, column: str) -> Any:
    """The first table with ``column`` (tables are drawn, not widgets, so they have no key to look up)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def test_author_edits_checks_previews_and_publishes(store: Store, folder: Path) -> None:
    """The author's main path: a bad link is named, the node form fixes it, a preview walks it, publishing stores it."""
    at = _studio(MAIN)
    assert at.header[0].value == f"Editing {MAIN}"
    assert at.success[0].value == "No errors or warnings."
    at = _edit_yaml(at, 'value: "no", next: power_light}', 'value: "no", next: power_lihgt}')
    assert at.warning[0].value == "Unsaved changes: the draft differs from the file."
    errors = _errors(at)
    assert errors[0] == (
        f"{MAIN}:87: node 'smell_check': option 'No' goes to 'power_lihgt', which does not exist "
        "(did you mean 'power_light'?)"
    )
    # the broken link also cuts off the steps behind it, and the message names the link to fix first
    assert len(errors) == 2
    assert errors[1].startswith(
        f"{MAIN}:93: node 'power_light': 45 nodes are unreachable because option 'No'"
    )

    at.selectbox(key=f"studio.nodesel.{MAIN}").select("smell_check").run()
    link = next(s for s in at.selectbox if s.label == "option 1 → next")
    assert link.value == "power_lihgt"
    link.select("power_light")
    next(t for t in at.text_area if t.label == "text (en)").input(
        "Is the router hot, or does it smell burnt?"
    )
    _button(at, "Apply to draft").click().run()
    assert _errors(at) == []
    draft = _yaml(at).value
    original = (folder / MAIN).read_text(encoding="utf-8")
    assert [(a, b) for a, b in zip(original.splitlines(), draft.splitlines(), strict=True) if a != b] == [
        (
            '    text: {en: "Before you touch anything: is the router or its power adapter very hot, or is '
            'there a burning smell?", de: "Bevor Sie etwas anfassen: Ist der Router oder sein Netzteil sehr '
            'heiß, oder riecht es verbrannt?"}',
            '    text: {en: "Is the router hot, or does it smell burnt?", de: "Bevor Sie etwas anfassen: Ist '
            'der Router oder sein Netzteil sehr heiß, oder riecht es verbrannt?"}',
        )
    ]
    dot = at.get("graphviz_chart")[0].proto.spec
    assert '"smell_check" [shape="diamond", color="#d50000", penwidth="4", style="bold"' in dot

    at.radio(key=f"studio.pmode.{MAIN}").set_value("self_service").run()
    _button(at, "Start preview").click().run()
    at.button(key=f"studio.pv.{MAIN}.1.all_devices.opt.all").click().run()
    at.button(key=f"studio.pv.{MAIN}.2.account_check.opt.active").click().run()
    assert "**Is the router hot, or does it smell burnt?**" in [m.value for m in at.markdown]
    at.button(key=f"studio.pv.{MAIN}.3.smell_check.opt.yes").click().run()
    assert at.success[-1].value == "Decision: Part shipment at burnt_router"  # a burnt router: ship one

    at.text_input(key=f"studio.note.{MAIN}").input("plainer smell question").run()
    at.button(key=f"studio.publish.{MAIN}").click().run()
    assert at.success[0].value == f"Published no-internet version 2; saved {MAIN}."
    latest = store.versions("no-internet")[-1]
    assert (latest.version, latest.author, latest.note) == (2, "author", "plainer smell question")
    assert store.version_text("no-internet", 2) == draft
    assert (folder / MAIN).read_text(encoding="utf-8") == draft
    assert "Unsaved changes: the draft differs from the file." not in [w.value for w in at.warning]
    diff = [c.value for c in at.code if c.value.startswith("tree no-internet: version 1 -> 2")]
    assert diff[0].splitlines()[1:4] == ["nodes added: -", "nodes removed: -", "nodes changed: smell_check"]


def test_a_non_author_cannot_open_the_studio(store: Store) -> None:
    """An agent's session has no studio page; asking for it by URL shows the customer page instead."""
    author = _app("author")
    studio_hash = next(h for h, i in author._registered_pages.items() if i.get("url_pathname") == "studio")
    agent = _app("agent")
    assert "studio" not in [i.get("url_pathname") for i in agent._registered_pages.values()]
    agent._page_hash = studio_hash
    agent.run()
    assert "Author studio" not in [t.value for t in agent.title]
    assert not [t for t in agent.text_area if str(t.key).startswith("studio.")]


def test_publish_conflict_keeps_the_text_and_shows_the_diff(store: Store) -> None:
    """Someone published while the author edited: the text stays in the editor, with the diff, until merged."""
    at = _studio()
    at = _edit_yaml(at, "minutes: 3", "minutes: 4")
    mine = _yaml(at).value
    theirs = store.version_text("power-cycle-router", 1).replace(
        "The router restart fixed it.", "Restarting the router fixed it."
    )
    store.publish(theirs, author="bob", base_version=1)
    at.button(key=f"studio.publish.{TREE}").click().run()
    assert _errors(at) == [
        "power-cycle-router was published as version 2 while you edited. Your text is kept in the editor; "
        "the diff shows what your draft changes compared with version 2."
    ]
    assert _yaml(at).value == mine
    diff = at.code[0].value
    assert diff.startswith("--- published v2\n+++ your draft\n")
    assert "+    minutes: 4" in diff.splitlines()
    _button(at, "I have merged: keep my text and go on").click().run()
    at.button(key=f"studio.publish.{TREE}").click().run()
    assert at.success[0].value == f"Published power-cycle-router version 3; saved {TREE}."
    assert store.version_text("power-cycle-router", 3) == mine


def test_save_warns_on_errors_and_refuses_a_file_changed_on_disk(store: Store, folder: Path) -> None:
    """Saving with errors is allowed but warned; a file changed on disk is a conflict that keeps the text."""
    at = _studio()
    at = _edit_yaml(at, "on_not_fixed: done", "on_not_fixed: nowhere")
    at.button(key=f"studio.save.{TREE}").click().run()
    assert at.warning[0].value == (
        f"Saved {TREE} with 1 error. The file is yours; publishing needs a valid tree."
    )
    saved = (folder / TREE).read_text(encoding="utf-8")
    assert "on_not_fixed: nowhere" in saved
    (folder / TREE).write_text(saved.replace("minutes: 3", "minutes: 9"), encoding="utf-8")
    at = _edit_yaml(at, "on_not_fixed: nowhere", "on_not_fixed: done")
    mine = _yaml(at).value
    at.button(key=f"studio.save.{TREE}").click().run()
    assert _errors(at) == [
        f"{TREE} changed on disk since you opened it. Your text is kept in the editor; the diff shows what "
        "your draft changes compared with the file now."
    ]
    assert _yaml(at).value == mine
    assert "minutes: 9" in (folder / TREE).read_text(encoding="utf-8")


def test_unsaved_edit_survives_a_page_switch(store: Store) -> None:
    """The draft lives in the session, not in the widget: another page and back, the edit is still there."""
    at = _studio()
    at = _edit_yaml(at, "minutes: 3", "minutes: 7")
    edited = _yaml(at).value
    at = _go(at, "")
    assert not [t for t in at.text_area if str(t.key).startswith("studio.")]
    at = _go(at, "studio")
    assert at.selectbox(key="studio.pick").value == TREE
    assert _yaml(at).value == edited
    assert at.warning[0].value == "Unsaved changes: the draft differs from the file."


def test_broken_file_is_listed_invalid_with_its_messages(store: Store, folder: Path) -> None:
    """A broken file shows as invalid, with file, line, node and hint, and agents get nothing from it."""
    shutil.copy(
        ROOT / "tests" / "data" / "broken" / "dangling.yaml", folder / "connectivity" / "dangling.yaml"
    )
    at = _go(_app(), "studio")
    table = _table(at, "Open flags")
    row = table[table["File"] == "connectivity/dangling.yaml"].iloc[0]
    assert (row["Status"], row["Errors"], row["Agents and customers get"]) == (
        "✗ invalid",
        2,  # the bad link, and one root-cause error for the nodes it leaves unreachable
        "nothing (not published)",
    )
    ok = table[table["File"] == TREE].iloc[0]
    assert (ok["Status"], ok["Agents and customers get"]) == ("✓ valid", "version 1")
    messages = _table(at, "Hint")
    assert messages.iloc[0].to_dict() == {
        "File": "connectivity/dangling.yaml",
        "Line": 11,
        "Node": "check_cable",
        "Message": "option 'Yes' goes to 'restar_router', which does not exist",
        "Hint": "did you mean 'restart_router'?",
    }


def test_author_sees_and_resolves_flags_beside_the_node(store: Store) -> None:
    """Agents' flags are listed with node, kind, comment and author, marked on the node, and can be resolved."""
    flag = Flags(store).raise_flag("power-cycle-router", "plug_in", "unclear", "agent", "Which plug?")
    at = _studio()
    assert _table(at, "Open flags").set_index("File").loc[TREE, "Open flags"] == 1
    at.selectbox(key=f"studio.nodesel.{TREE}").select("plug_in").run()
    assert (
        "⚑ 1 open flag on this node (resolve it in the Flags tab):\n\nunclear, from agent: Which plug?"
        in [w.value for w in at.warning]
    )
    assert "⚑ 1 · plug_in" in at.get("graphviz_chart")[0].proto.spec
    assert f"**plug_in** · unclear · by agent · {flag.created_at:%Y-%m-%d %H:%M}" in [
        m.value for m in at.markdown
    ]
    assert "Which plug?" in [m.value for m in at.markdown]
    at.button(key=f"studio.resolve.{flag.id}").click().run()
    assert at.success[0].value == f"Flag {flag.id} resolved."
    assert Flags(store).for_tree("power-cycle-router") == []
    assert "No open flags on this tree." in [i.value for i in at.info]


@pytest.mark.parametrize("depth", [300, 20_000])
def test_deeply_nested_draft_keeps_the_controls(store: Store, depth: int) -> None:
    """A pasted draft nested hundreds or thousands deep: the checks and the form say why, the buttons stay."""
    at = _studio()
    at = _yaml(at).input("id: x\nnodes: " + "[" * depth + "]" * depth + "\n").run()
    assert not at.exception
    assert not [e for e in _errors(at) if "Something went wrong" in e]
    assert (
        "The node form needs a draft that reads as YAML: the node form cannot read the draft (line 2): "
        "it nests lists and mappings more than 64 deep; fix it in the YAML editor first"
    ) in [i.value for i in at.info]
    assert _errors(at)  # the Checks panel names the problem
    for label in ("Save to file", "Publish", "Discard draft, reload the file"):
        assert _button(at, label)


def test_author_adds_a_wait_node_and_a_picture_and_fills_them_in_the_form(store: Store) -> None:
    """ "Add a node" appends a wait with its fields and selects it; the form writes seconds as a number; a
    picture added to the node gets alt-text fields; the checks name the links still to fill in."""
    at = _studio(MAIN)
    at.selectbox(key=f"studio.newkind.{MAIN}").select("wait")
    at.text_input(key=f"studio.newid.{MAIN}").input("settle")
    at.button(key=f"studio.addnode.{MAIN}").click().run()
    assert at.selectbox(key=f"studio.nodesel.{MAIN}").value == "settle"
    assert "settle · wait" in [c.value for c in at.caption]
    assert any("node 'settle'" in e for e in _errors(at))  # its empty links, until the author fills them
    seconds = next(t for t in at.text_input if t.label == "seconds")
    assert seconds.value == "30"
    seconds.input("45")
    next(s for s in at.selectbox if s.label == "next").select("power_light")
    _button(at, "Apply to draft").click().run()
    assert "    seconds: 45\n" in _yaml(at).value
    assert "    next: power_light\n" in _yaml(at).value

    at.radio(key=f"studio.mediakind.{MAIN}").set_value("image")
    at.text_input(key=f"studio.mediasrc.{MAIN}").input("router/lights.png")
    at.button(key=f"studio.addmedia.{MAIN}").click().run()
    assert "      - image: router/lights.png\n" in _yaml(at).value
    assert [t.label for t in at.text_input if t.label.startswith("media 1 ")] == [
        "media 1 image",
        "media 1 alt (en)",
        "media 1 alt (de)",
        "media 1 caption (en)",
        "media 1 caption (de)",
    ]


def test_adding_a_node_with_a_taken_id_says_so_and_keeps_the_draft(store: Store) -> None:
    at = _studio(MAIN)
    before = _yaml(at).value
    at.selectbox(key=f"studio.newkind.{MAIN}").select("instruction")
    at.text_input(key=f"studio.newid.{MAIN}").input("power_light")
    at.button(key=f"studio.addnode.{MAIN}").click().run()
    assert "the draft has a node 'power_light' already; give the new one another id" in _errors(at)
    assert _yaml(at).value == before
