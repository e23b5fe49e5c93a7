"""Loading tree files: exact error messages with file, line, node and hint."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage import TreeError, parse_tree, tree_from_text
from triage.cli.main import main
from triage.limits import limits
from triage.trees.loader import PARSE_CACHE, LineIndex, load_tree
from triage.trees.parsecache import ParseCache, Parsed

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
        "(did you mean 'restart_router'?) (and 1 more)"
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


# -- bounded cost (issue #9): size limit, alias budget, parse cache, nothing raises ------------------------------


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """An alias budget of 50 nodes and a file limit of 1,000 bytes, read afresh, restored afterwards."""
    monkeypatch.setenv("TRIAGE_LIMIT_YAML_ALIAS_NODES", "50")
    monkeypatch.setenv("TRIAGE_LIMIT_TREE_FILE_BYTES", "1000")
    limits.cache_clear()
    yield
    monkeypatch.undo()
    limits.cache_clear()


def test_aliases_over_the_budget_are_refused_before_anything_is_built() -> None:
    """A 15 KB list of 3,000 items aliased 3,000 times (9 million nodes) is one error naming the limit."""
    text = "items: &a [" + ",".join(["x"] * 3000) + "]\nnodes: [" + ",".join(["*a"] * 3000) + "]\n"
    loaded = parse_tree(text, "square.yaml")
    assert loaded.raw is None
    assert [str(d) for d in loaded.diagnostics] == [
        "square.yaml:2: YAML aliases (*name) in this file would copy more than 10,000 nodes "
        "(TRIAGE_LIMIT_YAML_ALIAS_NODES), so it was not read "
        "(write the repeated part out once, or make it a procedure (kind: call))"
    ]


def test_alias_budget_counts_nested_copies(small_limits: None) -> None:
    """Every node an alias copies counts (a list counts itself too), also through anchors that hold aliases."""
    seven = "a: &a [1, 2, 3, 4, 5, 6, 7]\nb: [*a, *a, *a, *a, *a, *a, *a]\n"  # 7 copies of 8 nodes = 56
    assert parse_tree(seven.replace(", *a]", "]"), "ok.yaml").raw is not None  # 6 copies of 8 = 48, within 50
    over = parse_tree(seven, "over.yaml")
    assert [d.code for d in over.diagnostics] == ["yaml-aliases"]
    assert "more than 50 nodes" in over.diagnostics[0].message
    # copies: b 2 x 3, c 2 x 7, d 2 x 15 = 50 (within); e copies 31 more (over, on line 5)
    laughs = "a: &a [1, 1]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: &d [*c, *c]\n"
    assert all(d.code != "yaml-aliases" for d in parse_tree(laughs, "l.yaml").diagnostics)
    over_laughs = parse_tree(laughs + "e: [*d]\n", "l.yaml").diagnostics
    assert [(d.code, d.line) for d in over_laughs] == [("yaml-aliases", 5)]


def test_anchors_within_the_budget_load_as_before() -> None:
    """A file that reuses a small block with an anchor loads: anchors are allowed, only their cost is bounded."""
    text = (BROKEN / "dangling.yaml").read_text(encoding="utf-8")
    anchored = "x-note: &note Check the router\n" + text
    loaded = parse_tree(anchored + "description: *note\n", "anchored.yaml")
    assert loaded.raw is not None
    assert loaded.raw["description"] == "Check the router"


def test_file_over_the_size_limit_is_not_read(tmp_path: Path, small_limits: None) -> None:
    """A file over TRIAGE_LIMIT_TREE_FILE_BYTES is refused with its size and the limit; so is such a text."""
    path = tmp_path / "big.yaml"
    path.write_text("id: big\n# " + "x" * 2000 + "\n", encoding="utf-8")
    loaded = load_tree(path)
    assert [str(d) for d in loaded.diagnostics] == [
        f"{path}: this file is 2,011 bytes; a tree file is at most 1,000 bytes (TRIAGE_LIMIT_TREE_FILE_BYTES), "
        "so it was not read (split it into procedures (kind: call) in files of their own)"
    ]
    assert parse_tree("#" * 1001, "t.yaml").diagnostics[0].code == "too-big"


def test_hostile_text_is_a_diagnostic_never_an_exception() -> None:
    """Deep brackets, a control character, a 5,000-digit number, a huge string and a python tag: each a message."""
    cases = {
        "a: " + "[" * 100_000 + "]" * 100_000: "this is not valid YAML: exceeded maximum nesting depth",
        "id: a\x00b\n": "this file holds a character YAML does not allow (U+0000 at character 6)",
        "id: 1\nversion: [" + "9" * 5000 + "]\n": "",
        "tags: '" + "x" * 1_000_000 + "'\n": "(1,000,002 characters)",
        "id: !!python/object/apply:os.system ['echo hi']\n": "",
    }
    for text, expected in cases.items():
        loaded = parse_tree(text, "h.yaml")
        assert loaded.errors, text[:40]
        assert all(len(str(d)) < 400 for d in loaded.diagnostics)
        assert expected in " ".join(str(d) for d in loaded.diagnostics), text[:40]


def test_thousands_of_errors_are_capped() -> None:
    """A file of 5,000 bad nodes reports the first hundred and a count of the rest."""
    text = "id: t\nstart: n0\nnodes:\n" + "".join(f"  - {{id: n{i}, kind: nope}}\n" for i in range(5000))
    loaded = parse_tree(text, "many.yaml")
    assert [d.code for d in loaded.diagnostics].count("unknown-kind") == 100
    assert "and 4,900 more errors, not shown" in [d.message for d in loaded.diagnostics]
    assert loaded.diagnostics[0].line == 4


def test_parse_cache_reuses_results_by_content() -> None:
    """The same bytes are parsed once: a second load shares the tree and re-labels messages with its own path."""
    text = (HERE / "data" / "mini" / "router-restart.yaml").read_text(encoding="utf-8")
    PARSE_CACHE.clear()
    first = parse_tree(text, "a.yaml")
    second = parse_tree(text, "b.yaml")
    assert (PARSE_CACHE.hits, PARSE_CACHE.misses) == (1, 1)
    assert second.tree is first.tree
    broken = (BROKEN / "schema.yaml").read_text(encoding="utf-8")
    one, two = parse_tree(broken, "one.yaml"), parse_tree(broken, "two.yaml")
    assert [d.path for d in two.diagnostics] == ["two.yaml"] * len(one.diagnostics)
    assert [d.message for d in two.diagnostics] == [d.message for d in one.diagnostics]
    two.diagnostics.clear()  # a caller's list is its own
    assert parse_tree(broken, "three.yaml").diagnostics


def test_parse_cache_is_bounded() -> None:
    """The cache forgets the least recently used result past its entry and byte bounds."""
    cache = ParseCache(max_entries=2, max_bytes=100)
    for key, size in (("a", 10), ("b", 10), ("c", 10)):
        cache.put(key, Parsed(None, None, (), size))
    assert (cache.get("a"), len(cache)) == (None, 2)
    cache.put("d", Parsed(None, None, (), 95))
    assert (cache.get("b"), cache.get("c"), len(cache)) == (None, None, 1)
    cache.put("huge", Parsed(None, None, (), 101))
    assert cache.get("huge") is None


def test_line_index_reads_only_as_far_as_it_must() -> None:
    """Asked for one location, the index records it and its enclosing ones, not the rest of the file."""
    text = "a: 1\nnodes:\n  - id: x\n    next: y\n  - id: z\n"
    idx = LineIndex(text, [("nodes", 0, "id")])
    assert idx.line(("nodes", 0, "id")) == 3
    assert idx.line(("nodes", 1)) == 2  # not read: falls back to `nodes`
    idx.find([("nodes", 1)])
    assert idx.line(("nodes", 1)) == 5


@settings(max_examples=200)
@given(st.text(alphabet=st.sampled_from(list("[]{}&*!:-,'\"#|>?\n\t x0\x00é%@`")), max_size=200))
def test_any_text_gives_a_loaded_tree_never_an_exception(text: str) -> None:
    """Random YAML punctuation never makes parse_tree raise: every outcome is a LoadedTree."""
    loaded = parse_tree(text, "fuzz.yaml")
    assert loaded.tree is not None or loaded.diagnostics


def test_a_lone_surrogate_with_an_anchor_is_a_diagnostic_not_an_exception() -> None:
    """Text pasted into the studio may hold a lone surrogate; with an anchor it used to crash the alias scan."""
    loaded = parse_tree("id: x\na: &a [1]\nb: \ud800\n", "pasted.yaml")
    assert loaded.tree is None
    assert [str(d) for d in loaded.diagnostics] == [
        "pasted.yaml: this text holds a broken character (U+D800 at character 20)"
        " (remove it: a tree file is plain UTF-8 text)"
    ]
