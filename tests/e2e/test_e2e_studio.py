"""In a real browser: an author edits a tree in the studio, sees the check, and publishes it.

The studio writes tree files, so this module runs its own `streamlit run app.py` on a copy of the whole shipped
``trees/`` folder (``TRIAGE_TREES``: every category, since trees call procedures across them, with the pictures
and the call volumes) and its own database: the shipped folder and the shared e2e server are never touched.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_helpers import password, rerun, sign_in, streamlit_server, wait_for_app
from playwright.sync_api import Page, expect

from triage.records.accounts import Accounts
from triage.records.store import Store
from triage.walk.scenarios import load_library

ROOT = Path(__file__).resolve().parents[2]
TREE = "connectivity/no-internet.yaml"


@pytest.fixture(scope="module")
def studio_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A studio server on a temporary tree folder and database, with an author account; (URL, folder)."""
    base = tmp_path_factory.mktemp("studio")
    trees = base / "trees"
    # the whole library: a part of it breaks trees that call a procedure from another category
    shutil.copytree(ROOT / "trees", trees)
    url = f"sqlite:///{base / 'app.db'}"
    st = Store(url)
    st.sync(load_library([trees]))
    Accounts(st).create("author", password("author"), ["author"], "Author")
    st.dispose()
    env = {"TRIAGE_DATABASE_URL": url, "TRIAGE_TREES": str(trees)}
    with streamlit_server(env, base) as address:
        yield address, trees


def _open_studio(page: Page, address: str) -> None:
    """Sign in as the author, open the studio (every shipped tree valid there) and pick :data:`TREE`."""
    sign_in(page, address, "author")
    page.get_by_test_id("stSidebarNav").get_by_text("Author studio").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name=re.compile(r"^Editing "))).to_be_visible()  # the page is drawn
    expect(page.get_by_text(re.compile(r" is invalid \(\d+ errors?\)$"))).to_have_count(0)
    # the studio opens the first file by name; pick ours as an author would (✓: its checks pass)
    page.get_by_role("combobox", name="Tree to edit").click()
    rerun(page, page.get_by_role("option", name=f"✓ {TREE}", exact=True).click)
    expect(page.get_by_role("heading", name=f"Editing {TREE}")).to_be_visible()


def _replace_in_editor(page: Page, old: str, new: str) -> None:
    editor = page.get_by_role("textbox", name="YAML")
    expect(editor).to_have_count(1)  # a rerun can briefly leave the old tab panel in the page
    text = editor.input_value()
    assert old in text
    editor.fill(text.replace(old, new, 1))
    editor.press("Control+Enter")
    wait_for_app(page)


def test_author_edits_and_publishes_a_tree(page: Page, studio_app: tuple[str, Path]) -> None:
    """A bad link is named in the checks; once fixed, publishing adds version 2 and writes the file."""
    address, trees = studio_app
    _open_studio(page, address)
    _replace_in_editor(page, 'value: "no", next: power_light}', 'value: "no", next: power_lihgt}')
    expect(page.get_by_text("Unsaved changes: the draft differs from the file.")).to_be_visible()
    expect(
        page.get_by_test_id("stAlertContentError").filter(
            has_text=f"{TREE}:87: node 'smell_check': option 'No' goes to 'power_lihgt', which does not exist"
        )
    ).to_be_visible()

    _replace_in_editor(page, "next: power_lihgt}", "next: power_light}")
    _replace_in_editor(
        page,
        "Before you touch anything: is the router or its power adapter very hot, or is there a burning smell?",
        "Is the router hot, or does it smell burnt?",
    )
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    expect(page.get_by_text("No errors or warnings.")).to_be_visible()
    note = page.get_by_role("textbox", name="Note for this version")
    note.fill("plainer smell question")
    note.press("Enter")
    wait_for_app(page)
    page.get_by_role("button", name="Publish").click()
    wait_for_app(page)
    expect(
        page.get_by_test_id("stAlertContentSuccess").filter(has_text="Published no-internet version 2")
    ).to_be_visible()
    expect(page.get_by_text("Unsaved changes: the draft differs from the file.")).to_have_count(0)

    page.get_by_role("tab", name="Versions").click()
    diff = page.get_by_test_id("stCode").filter(has_text="tree no-internet: version 1 -> 2")
    expect(diff).to_contain_text("nodes changed: smell_check")
    expect(diff).to_contain_text('+    text: {en: "Is the router hot, or does it smell burnt?"')
    on_disk = (trees / TREE).read_text(encoding="utf-8")
    assert '    text: {en: "Is the router hot, or does it smell burnt?", de: ' in on_disk
    assert "very hot" not in on_disk
