"""Translation status of trees: texts and keys, source hashes, the sidecar record, stale and missing findings."""

from __future__ import annotations

import shutil
from pathlib import Path

from triage.trees.library import DEFAULT_TREES, load_library
from triage.trees.loader import tree_from_text
from triage.trees.translations import (
    TextState,
    coverage,
    read_stamps,
    source_hash,
    stamp,
    stamps_path,
    tree_texts,
    write_stamps,
)

TREE = """\
id: mini
title: {en: "Mini tree", de: "Mini-Baum"}
category: connectivity
symptoms:
  - {en: "no internet", de: "kein Internet"}
locales: [en, de]
start: ask
nodes:
  - id: ask   # the first question
    kind: question
    text: {en: "Is any light on?", de: "Leuchtet eine Lampe?"}
    options:
      - {label: {en: "Yes", de: "Ja"}, value: "yes", next: done}
      - {label: {en: "No", de: "Nein"}, value: "no", next: done}
  - id: done
    kind: outcome
    outcome: resolved
    text: {en: "Done.", de: "Fertig."}
    reason: {en: "It works.", de: "Es geht."}
"""


def _copy(tmp_path: Path, text: str = TREE) -> Path:
    path = tmp_path / "connectivity" / "mini.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_keys_name_node_field_and_item() -> None:
    """Each text is keyed by node id, field and item (an option by its value), the tree's own with no node."""
    keys = [t.key for t in tree_texts(tree_from_text(TREE))]
    assert keys == [
        "|title",
        "|symptoms|0",
        "ask|text",
        "ask|options.label|yes",
        "ask|options.label|no",
        "done|text",
        "done|reason",
    ]


def test_hash_ignores_wrapping_but_not_words() -> None:
    """Re-wrapping a text keeps its hash; changing a word changes it; the hash is 12 hex digits."""
    assert source_hash("Is any  light\n on?") == source_hash("Is any light on?")
    assert source_hash("Is any lamp on?") != source_hash("Is any light on?")
    assert len(source_hash("x")) == 12
    assert int(source_hash("x"), 16) >= 0


def test_stamp_is_idempotent_and_round_trips(tmp_path: Path) -> None:
    """Stamping writes a sidecar that reads back the same; stamping again leaves its bytes alone."""
    path = _copy(tmp_path)
    tree = tree_from_text(TREE)
    assert write_stamps(tree, path, stamp(tree, None)) is True
    side = stamps_path(path)
    assert side.name == "mini.i18n.toml"
    first = side.read_bytes()
    assert read_stamps(side) == {
        "de": {t.key: source_hash(t.get("en", "en") or "") for t in tree_texts(tree)}
    }
    assert write_stamps(tree, path, stamp(tree, read_stamps(side))) is False
    assert side.read_bytes() == first
    assert '"ask|options.label|yes" = "' in first.decode()


def test_english_edit_makes_a_stale_warning_with_file_line_node_and_locale(tmp_path: Path) -> None:
    """After an English edit, validation warns "stale" at the German text's line, naming node and locale."""
    path = _copy(tmp_path)
    tree = tree_from_text(TREE)
    write_stamps(tree, path, stamp(tree, None))
    path.write_text(TREE.replace('"Is any light on?"', '"Is any lamp on?"'), encoding="utf-8")
    lib = load_library([tmp_path])
    stale = [d for d in lib.diagnostics if d.code == "stale-translation"]
    assert [str(d) for d in stale] == [
        f"{path}:11: warning: node 'ask': the de translation of `text` is stale: the en text changed since it was "
        f"translated (re-translate it from the current text, then run `triage i18n stamp {path} --locale de`)"
    ]
    edited = tree_from_text(path.read_text())
    (de,) = coverage(edited, read_stamps(stamps_path(path)))
    assert (de.counts[TextState.STALE], de.counts[TextState.TRANSLATED]) == (1, 6)


def test_declared_locale_with_missing_texts_is_one_clear_finding(tmp_path: Path) -> None:
    """A tree declaring nl with no Dutch texts gets one warning at `locales` counting the shown texts missing."""
    path = _copy(tmp_path, TREE.replace("locales: [en, de]", "locales: [en, de, nl]"))
    lib = load_library([tmp_path])
    (summary,) = [d for d in lib.diagnostics if d.code == "locale-incomplete"]
    assert summary.line == 6
    assert (
        summary.message
        == "'nl' is declared but 6 of 6 texts have no nl translation (the en text is shown instead)"
    )
    assert str(path) == summary.path


def test_untracked_tree_has_no_stale_or_unstamped_findings(tmp_path: Path) -> None:
    """Without a sidecar a tree is not tracked; with one, a translation nobody stamped is one warning."""
    path = _copy(tmp_path)
    assert [d.code for d in load_library([tmp_path]).diagnostics] == []
    tree = tree_from_text(TREE)
    write_stamps(tree, path, {"de": {}})
    (d,) = load_library([tmp_path]).diagnostics
    assert (d.code, d.message) == (
        "translation-unstamped",
        "7 de translation(s) do not record the text they were made from",
    )


def test_shipped_trees_have_keys_unique_and_every_german_text_counted(tmp_path: Path) -> None:
    """Every shipped tree's texts have unique keys, and each German text is counted once (copied to tmp)."""
    shutil.copytree(DEFAULT_TREES, tmp_path / "trees", ignore=shutil.ignore_patterns("*.i18n.toml"))
    lib = load_library([tmp_path / "trees"])
    for tree in lib.trees.values():
        texts = tree_texts(tree)
        assert len({t.key for t in texts}) == len(texts), tree.id
        for c in coverage(tree, None):
            assert c.total == sum(1 for t in texts if t.get(tree.locales[0], tree.locales[0]))
