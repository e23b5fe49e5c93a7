"""Loading tree files: exact error messages with file, line, node and hint."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from triage import TreeError, parse_tree, tree_from_text
from triage.cli.main import main
from triage.trees.loader import LineIndex, load_tree

HERE = Path(__file__).parents[1]  # tests/
BROKEN = HERE / "data" / "broken"
EXPECTED = (BROKEN / "expected.txt").read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("path", sorted(BROKEN.glob("*.yaml")), ids=lambda p: p.name)
def test_broken_files_report_exact_messages(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`triage validate` prints exactly the expected messages for each broken file, and exits 1."""
    monkeypatch.chdir(HERE.parent)
    rel = str(path.relative_to(HERE.parent))
    out = io.StringIO()
    assert main(["validate", rel], out=out) == 1
    lines = [ln for ln in out.getvalue().splitlines() if not ln.startswith(("OK:", "FAILED:"))]
    assert lines == [ln for ln in EXPECTED if ln.startswith(rel + ":")]


def test_every_broken_file_has_expectations() -> None:
    """Each fixture in tests/data/broken has at least one expected message."""
    for path in BROKEN.glob("*.yaml"):
        assert any(ln.startswith(f"tests/data/broken/{path.name}:") for ln in EXPECTED), path.name


def test_tree_error_carries_path_line_node_and_hint() -> None:
    """TreeError exposes the first error's parts and reads like a compiler message."""
    text = (BROKEN / "dangling.yaml").read_text(encoding="utf-8")
    loaded = parse_tree(text, "x.yaml")
    assert loaded.tree is not None  # the shape is fine; the graph is not
    from triage.trees.checks import check_tree

    loaded.add(check_tree(loaded.tree))
    with pytest.raises(TreeError) as exc:
        loaded.raise_for_errors()
    err = exc.value
    assert (err.path, err.line, err.node_id, err.hint) == (
        "x.yaml",
        11,
        "check_cable",
        "did you mean 'restart_router'?",
    )
    assert str(err) == (
        "x.yaml:11: node 'check_cable': option 'Yes' goes to 'restar_router', which does not exist "
        "(did you mean 'restart_router'?) (and 2 more)"
    )
    assert isinstance(err, ValueError)


def test_tree_from_text_raises_on_schema_errors() -> None:
    """tree_from_text refuses a file that does not fit the model."""
    with pytest.raises(TreeError, match=r"<tree>: a tree file must be a mapping of fields \(got list\)"):
        tree_from_text("- 1\n- 2\n")


def test_empty_file() -> None:
    """An empty file says so."""
    loaded = parse_tree("", "empty.yaml")
    assert [str(d) for d in loaded.diagnostics] == [
        "empty.yaml: a tree file must be a mapping of fields (got an empty file)"
    ]


def test_unreadable_file(tmp_path: Path) -> None:
    """A missing file is a diagnostic, not a crash."""
    loaded = load_tree(tmp_path / "nope.yaml")
    assert loaded.tree is None
    assert loaded.diagnostics[0].code == "unreadable"


def test_line_index_points_at_keys_and_items() -> None:
    """Lines are found for nested keys and list items, falling back to the enclosing place."""
    idx = LineIndex("a: 1\nnodes:\n  - id: x\n    next: y\n  - id: z\n")
    assert idx.line(("nodes", 0, "next")) == 4
    assert idx.line(("nodes", 1)) == 5
    assert idx.line(("nodes", 1, "missing")) == 5
    assert idx.line(("a",)) == 1


def test_clean_file_has_digest_and_no_messages() -> None:
    """A valid file loads with no messages and a stable SHA-256 digest of its text."""
    loaded = load_tree(HERE / "data" / "mini" / "router-restart.yaml")
    assert loaded.ok
    assert loaded.diagnostics == []
    assert len(loaded.digest) == 64
    assert loaded.digest == load_tree(HERE / "data" / "mini" / "router-restart.yaml").digest


def test_yaml_words_are_words_as_in_yaml_1_2() -> None:
    """Unquoted yes, no, on and off are option values and scenario names, not booleans; true is still one."""
    text = (BROKEN / "yaml-boolean.yaml").read_text(encoding="utf-8")
    words = text.replace("value: true", "value: yes").replace("value: false", "value: no")
    loaded = parse_tree(words, "words.yaml")
    assert loaded.ok, [str(d) for d in loaded.errors]
    assert loaded.tree is not None
    assert [o.value for o in loaded.tree.node("ask").options] == ["yes", "no"]  # type: ignore[union-attr]
    assert [s.name for s in loaded.tree.scenarios] == ["on", "off"]


def test_yaml_the_fast_parser_refuses_is_still_reported_never_raised() -> None:
    """A list used as a key, two documents, a number too large: each is one clear YAML error, not a crash."""
    for text in ("? [1, 2]\n: x\n", "id: a\n---\nid: b\n", "id: 99999999999999999999999999\n"):
        loaded = parse_tree(text, "odd.yaml")
        assert loaded.tree is None
        assert [d.code for d in loaded.diagnostics] == ["yaml"]
        assert str(loaded.diagnostics[0]).startswith(("odd.yaml:1: this is not valid YAML: ", "odd.yaml:2: "))
